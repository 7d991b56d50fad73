// Dry-run: the second ClusterAdmin. Reads go to the cluster; every command that would change
// it is recorded instead of sent, and the key listing is simulated so the engine's loop runs
// exactly as it would for real (docs/architecture.md "Layers").
import type {Topology} from '../topology/topology.js'
import {nameOf, nodeById} from '../topology/topology.js'
import {buildMigrateArgs, describeMigrate} from './migrate-args.js'
import {asmCommandText} from './asm-commands.js'
import type {AsmFlavour, AsmTask, ChannelOptions, ClusterAdmin, MigrateBatch, MigrationChannel, MigrateOptions, MigrateResult, SetSlotOp} from './cluster-admin.js'

export interface RecordedCommand {
  node: string
  command: string
}

export class DryRunAdmin implements ClusterAdmin {
  readonly dryRun = true
  private remaining = new Map<string, number>()
  private topo?: Topology

  constructor(
    private readonly real: ClusterAdmin,
    private readonly onCommand: (c: RecordedCommand) => void = () => undefined,
    private readonly auth?: {user?: string; password?: string},
  ) {}

  private label(nodeId: string): string {
    return nameOf(this.topo, nodeId)
  }

  private record(nodeId: string, command: string): void {
    const c = {node: this.label(nodeId), command}
    this.onCommand(c)
  }

  async refresh(): Promise<Topology> {
    this.topo = await this.real.refresh()
    return this.topo
  }

  async setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    for (const op of ops) {
      this.record(nodeId, `CLUSTER SETSLOT ${op.slot} ${op.action.toUpperCase()}${op.nodeId ? ` ${op.nodeId}` : ''}`)
    }
    return ops.map(() => undefined)
  }

  async countKeys(nodeId: string, slots: readonly number[]): Promise<number[]> {
    const real = await this.real.countKeys(nodeId, slots)
    return slots.map((s, i) => this.remaining.get(`${nodeId}/${s}`) ?? real[i]!)
  }

  async getKeys(nodeId: string, slot: number, count: number): Promise<Buffer[]> {
    const k = `${nodeId}/${slot}`
    let left = this.remaining.get(k)
    if (left === undefined) {
      left = (await this.real.countKeys(nodeId, [slot]))[0]!
    }
    const n = Math.min(count, left)
    this.remaining.set(k, left - n)
    return Array.from({length: n}, (_, i) => Buffer.from(`<key ${left! - i} of slot ${slot}>`))
  }

  async migrate(sourceId: string, targetId: string, batches: readonly MigrateBatch[], o: MigrateOptions): Promise<MigrateResult> {
    const t = this.topo && nodeById(this.topo, targetId)
    for (const b of batches) {
      const args = buildMigrateArgs({host: t?.host ?? '?', port: t?.port ?? 0, keys: b.keys, timeoutMs: o.timeoutMs, replace: b.replace, auth: this.auth})
      this.record(sourceId, describeMigrate(args))
    }
    const listed = o.listAfter ? await this.getKeys(sourceId, o.listAfter.slot, o.listAfter.count) : undefined
    return {outcomes: batches.map(() => ({ok: true, nokey: false})), listed}
  }

  async channel(sourceId: string, targetId: string, o: ChannelOptions): Promise<MigrationChannel> {
    return {
      migrate: async (b) => (await this.migrate(sourceId, targetId, [b], {timeoutMs: o.timeoutMs, asking: o.asking})).outcomes[0]!,
      getKeys: (slot, count) => this.getKeys(sourceId, slot, count),
    }
  }

  dump(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    return this.real.dump(nodeId, keys)
  }

  canonical(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    return this.real.canonical(nodeId, keys)
  }

  clusterNodes(nodeId: string): Promise<string> {
    return this.real.clusterNodes(nodeId)
  }

  epochs(nodeId: string): Promise<{current: number; config: number; replica: boolean}> {
    return this.real.epochs(nodeId)
  }

  async bumpEpoch(nodeId: string): Promise<string> {
    this.record(nodeId, 'CLUSTER BUMPEPOCH')
    return 'STILL'
  }

  ping(nodeId: string): Promise<boolean> {
    return this.real.ping(nodeId)
  }

  // ASM: detection and task lists are reads (sent); starting and cancelling is recorded. A
  // recorded start reads back as a finished task, so the engine's loop runs as it would for real.
  private dryTasks: AsmTask[] = []

  asmFlavour(nodeId: string): Promise<AsmFlavour | 'none'> {
    return this.real.asmFlavour(nodeId)
  }

  async migrateSlots(sourceId: string, targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<void> {
    this.record(sourceId, asmCommandText.migrateSlots(ranges, targetId))
    this.dryTasks.unshift(this.dryTask(`dry-run-${this.dryTasks.length + 1}`, sourceId, targetId, ranges, 'success'))
  }

  async slotMigrations(nodeId: string): Promise<AsmTask[]> {
    this.record(nodeId, asmCommandText.getSlotMigrations())
    return [...this.dryTasks, ...(await this.real.slotMigrations(nodeId))]
  }

  async cancelSlotMigrations(sourceId: string): Promise<void> {
    this.record(sourceId, asmCommandText.cancelSlotMigrations())
  }

  async migrationImport(targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<string> {
    this.record(targetId, asmCommandText.migrationImport(ranges))
    const id = `dry-run-${this.dryTasks.length + 1}`
    this.dryTasks.unshift(this.dryTask(id, '', targetId, ranges, 'completed'))
    return id
  }

  async migrationStatus(nodeId: string, id?: string): Promise<AsmTask[]> {
    this.record(nodeId, asmCommandText.migrationStatus(id))
    const mine = this.dryTasks.filter((t) => id === undefined || t.id === id)
    return id !== undefined && mine.length > 0 ? mine : [...mine, ...(await this.real.migrationStatus(nodeId, id))]
  }

  async migrationCancel(targetId: string, id: string): Promise<number> {
    this.record(targetId, asmCommandText.migrationCancel(id))
    return 1
  }

  private dryTask(id: string, source: string, target: string, ranges: ReadonlyArray<readonly [number, number]>, state: string): AsmTask {
    return {id, operation: 'export', ranges: ranges.map(([s, e]) => `${s}-${e}`).join(' '), source, target, state, error: '', retries: 0}
  }

  async close(): Promise<void> {
    await this.real.close()
  }
}
