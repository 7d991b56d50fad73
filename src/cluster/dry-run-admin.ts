// Dry-run: the second ClusterAdmin. Reads go to the cluster; every command that would change
// it is recorded instead of sent, and the key listing is simulated so the engine's loop runs
// exactly as it would for real (DESIGN.md §3).
import type {Topology} from '../topology/topology.js'
import {nameOf, nodeById} from '../topology/topology.js'
import {buildMigrateArgs, describeMigrate} from '../migration/migrate-args.js'
import type {ChannelOptions, ClusterAdmin, MigrateBatch, MigrationChannel, MigrateOptions, MigrateResult, SetSlotOp} from './cluster-admin.js'

export interface RecordedCommand {
  node: string
  command: string
}

export class DryRunAdmin implements ClusterAdmin {
  readonly dryRun = true
  readonly recorded: RecordedCommand[] = []
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
    this.recorded.push(c)
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

  epochs(nodeId: string): Promise<{current: number; config: number}> {
    return this.real.epochs(nodeId)
  }

  async bumpEpoch(nodeId: string): Promise<string> {
    this.record(nodeId, 'CLUSTER BUMPEPOCH')
    return 'STILL'
  }

  ping(nodeId: string): Promise<boolean> {
    return this.real.ping(nodeId)
  }

  async close(): Promise<void> {
    await this.real.close()
  }
}
