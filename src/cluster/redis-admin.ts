// ClusterAdmin over real per-node ioredis clients. Node-specific admin commands go to a
// per-node client with call/callBuffer (STACK.md: plain clients do not follow redirects).
import type {Redis} from 'ioredis'
import {ConnectionError} from '../errors.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {nameOf, nodeById, type Topology, shortId} from '../topology/topology.js'
import {getSlotMigrations, migrationStatus, rangeArgs, readFlavour} from './asm-commands.js'
import type {AsmFlavour, AsmTask, ChannelOptions, ClusterAdmin, MigrateBatch, MigrationChannel, MigrateOptions, MigrateOutcome, MigrateResult, SetSlotOp} from './cluster-admin.js'
import {discover, NodePool} from './discovery.js'
import {ADMIN_TIMEOUT_MS, closedMessage, within} from './timeout.js'
import {sendEncoded} from './encoded-command.js'
import type {ConnectionOptions} from './connection.js'
import {buildMigrateArgs} from './migrate-args.js'
import {canonicalKeys, COUNTKEYS_SCRIPT, dumpKeys, NONEMPTY_SCRIPT, OUTSIDE_SCRIPT} from './key-reads.js'
import {complementRanges, SLOT_COUNT, slotRange} from '../topology/slot-set.js'
import {SetSlotSender} from './setslot.js'

export class RedisClusterAdmin implements ClusterAdmin {
  readonly dryRun = false
  private topo?: Topology
  /** Set once a node refused EVAL: slot lists go as pipelines from then on. */
  private noScripts = false
  private readonly setSlotSender: SetSlotSender
  constructor(
    readonly pool: NodePool,
    private readonly withKeys = false,
  ) {
    this.setSlotSender = new SetSlotSender((address, lane) => this.pool.get(address, lane))
  }

  static async connect(conn: ConnectionOptions, opts: {withKeys?: boolean} = {}): Promise<{admin: RedisClusterAdmin; topology: Topology}> {
    const pool = new NodePool(conn)
    const admin = new RedisClusterAdmin(pool, opts.withKeys)
    try {
      const topology = await admin.refresh()
      return {admin, topology}
    } catch (e) {
      await pool.close()
      throw e
    }
  }

  get conn(): ConnectionOptions {
    return this.pool.conn
  }

  async refresh(): Promise<Topology> {
    this.topo = await discover(this.pool, {withKeys: this.withKeys})
    return this.topo
  }

  private async client(nodeId: string): Promise<Redis> {
    let n = this.topo && nodeById(this.topo, nodeId)
    if (!n) {
      await this.refresh()
      n = nodeById(this.topo!, nodeId)
    }
    if (!n) throw new ConnectionError(`node ${shortId(nodeId)} is not part of the cluster any more`)
    return this.pool.get(n.address)
  }

  private label(nodeId: string): string {
    return nameOf(this.topo, nodeId)
  }

  address(nodeId: string): {host: string; port: number} {
    const n = this.topo && nodeById(this.topo, nodeId)
    if (!n) throw new ConnectionError(`node ${shortId(nodeId)} is unknown`)
    return {host: n.host, port: n.port}
  }

  /** SETSLOT lists, never from a script: pipelined chunks, or lanes on nodes that block on SETSLOT (setslot.ts). */
  async setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    if (ops.length === 0) return []
    const what = `node ${this.label(nodeId)}`
    const c = await within(this.client(nodeId), ADMIN_TIMEOUT_MS, what)
    const {host, port} = this.address(nodeId)
    return this.setSlotSender.send(nodeId, c, `${host}:${port}`, what, ops)
  }

  /**
   * Runs the read-only COUNTKEYSINSLOT script: one reply per slot. Undefined when the node will
   * not run it: it refuses EVAL (ACL without +eval, a renamed EVAL), or it answers per call that
   * the command is not allowed from a script; the caller then sends the plain commands. Other
   * errors of the commands inside come back per slot; a lost connection is thrown as usual.
   */
  private async script<T>(c: Redis, body: string, args: string[]): Promise<T[] | undefined> {
    if (this.noScripts) return undefined
    let replies: T[]
    try {
      replies = (await c.call('EVAL', body, '0', ...args)) as T[]
    } catch (e) {
      if ((e as Error).name !== 'ReplyError') throw e
      this.noScripts = true
      return undefined
    }
    if (replies.some((r) => typeof r === 'string' && /script/i.test(r))) {
      this.noScripts = true
      return undefined
    }
    return replies
  }

  /** Key counts of the slots in `ranges` ([lo, hi] each, sorted) that hold keys (one script over
   *  the ranges; the per-slot counts where the node runs no script). When the other slots are
   *  fewer (a primary's own, asked about every slot it does not own), one script first counts the
   *  keys outside them: none, and the answer is known at half the cost or less. */
  async nonEmptySlots(nodeId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<Map<number, number>> {
    const out = new Map<number, number>()
    if (ranges.length === 0) return out
    const c = await within(this.client(nodeId), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
    const asked = ranges.reduce((n, [a, b]) => n + b - a + 1, 0)
    if (asked > SLOT_COUNT / 2) {
      const others = complementRanges(ranges).flatMap(([a, b]) => [String(a), String(b)])
      const outside = await within(this.script<number>(c, OUTSIDE_SCRIPT, others), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
      if (outside?.[0] === 0) return out
    }
    const args = ranges.flatMap(([a, b]) => [String(a), String(b)])
    const flat = await within(this.script<number>(c, NONEMPTY_SCRIPT, args), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
    if (flat) {
      for (let i = 0; i < flat.length; i += 2) out.set(Number(flat[i]), Number(flat[i + 1]))
      return out
    }
    const slots = ranges.flatMap(([a, b]) => slotRange(a, b))
    const counts = await this.countKeys(nodeId, slots)
    slots.forEach((s, i) => counts[i]! > 0 && out.set(s, counts[i]!))
    return out
  }

  countKeys(nodeId: string, slots: readonly number[]): Promise<number[]> {
    return within(this._countKeys(nodeId, slots), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  private async _countKeys(nodeId: string, slots: readonly number[]): Promise<number[]> {
    if (slots.length === 0) return []
    const c = await this.client(nodeId)
    const scripted = await this.script<number | string>(c, COUNTKEYS_SCRIPT, slots.map(String))
    if (scripted) {
      return scripted.map((n) => {
        if (typeof n !== 'number') throw new Error(n)
        return n
      })
    }
    const p = c.pipeline()
    for (const s of slots) p.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))
    const res = (await p.exec()) ?? []
    return slots.map((_, i) => {
      const [err, n] = res[i] ?? [new Error('no reply'), null]
      if (err) throw err
      return Number(n)
    })
  }

  getKeys(nodeId: string, slot: number, count: number): Promise<Buffer[]> {
    return within(this._getKeys(nodeId, slot, count), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  private async _getKeys(nodeId: string, slot: number, count: number): Promise<Buffer[]> {
    const c = await this.client(nodeId)
    return (await c.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(slot), String(count))) as Buffer[]
  }

  migrate(sourceId: string, targetId: string, batches: readonly MigrateBatch[], o: MigrateOptions): Promise<MigrateResult> {
    // every batch may take up to its own timeout on the server
    return within(this._migrate(sourceId, targetId, batches, o), o.timeoutMs * (batches.length + 1) + ADMIN_TIMEOUT_MS, `source ${this.label(sourceId)}`)
  }

  private async _migrate(sourceId: string, targetId: string, batches: readonly MigrateBatch[], o: MigrateOptions): Promise<MigrateResult> {
    const send = await this.migrateSender(sourceId, targetId, o)
    const c = await this.client(sourceId)
    // Sent back to back on one connection: the source works through them without waiting
    // for our round trips (ioredis writes each command as soon as it is called).
    const pending = batches.map(send)
    const listing = o.listAfter ? (c.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(o.listAfter.slot), String(o.listAfter.count)) as Promise<Buffer[]>) : undefined
    const outcomes = await Promise.all(pending)
    return {outcomes, listed: listing ? await listing : undefined}
  }

  /** Writes one MIGRATE batch (ASKING first when asked) at once on the source's connection. */
  private async migrateSender(sourceId: string, targetId: string, o: {timeoutMs: number; asking?: boolean}): Promise<(b: MigrateBatch) => Promise<MigrateOutcome>> {
    const c = await this.client(sourceId)
    const {host, port} = this.address(targetId)
    const auth = this.conn.password ? {user: this.conn.user, password: this.conn.password} : undefined
    return (b) => {
      // synchronous up to the write: call order is wire order
      if (o.asking) void c.call('ASKING').catch(() => undefined)
      return sendEncoded(c, ['MIGRATE', ...buildMigrateArgs({host, port, keys: b.keys, timeoutMs: o.timeoutMs, replace: b.replace, auth})]).then(
        (r): MigrateOutcome => ({ok: true, nokey: String(r) === 'NOKEY'}),
        (e: Error): MigrateOutcome => ({ok: false, error: closedMessage(e.message, `source ${this.label(sourceId)}`)}),
      )
    }
  }

  async channel(sourceId: string, targetId: string, o: ChannelOptions): Promise<MigrationChannel> {
    const send = await this.migrateSender(sourceId, targetId, o)
    const c = await this.client(sourceId)
    const what = `source ${this.label(sourceId)}`
    // a MIGRATE may wait behind the ones queued ahead of it, each up to its own timeout
    const budget = o.timeoutMs * (Math.max(1, o.inFlight) + 1) + ADMIN_TIMEOUT_MS
    return {
      migrate: (b) => within(send(b), budget, what),
      getKeys: (slot, count) => within(c.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(slot), String(count)) as Promise<Buffer[]>, budget, what),
    }
  }

  dump(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    return within(this._dump(nodeId, keys), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  private async _dump(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    return dumpKeys(await this.client(nodeId), keys)
  }

  async canonical(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    return canonicalKeys(await this.client(nodeId), keys)
  }

  clusterNodes(nodeId: string): Promise<string> {
    return within(this._clusterNodes(nodeId), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  private async _clusterNodes(nodeId: string): Promise<string> {
    const c = await this.client(nodeId)
    return String(await c.call('CLUSTER', 'NODES'))
  }

  epochs(nodeId: string): Promise<{current: number; config: number; replica: boolean}> {
    return within(
      (async () => {
        const c = await this.client(nodeId)
        const [info, nodes] = await Promise.all([c.call('CLUSTER', 'INFO'), c.call('CLUSTER', 'NODES')])
        const num = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(String(info))?.[1] ?? NaN)
        // a replica reports its primary's config epoch as its own (cluster_my_epoch)
        const me = parseClusterNodes(String(nodes)).find((l) => l.myself)
        return {current: num('cluster_current_epoch'), config: num('cluster_my_epoch'), replica: me?.role === 'replica'}
      })(),
      ADMIN_TIMEOUT_MS,
      `node ${this.label(nodeId)}`,
    )
  }

  bumpEpoch(nodeId: string): Promise<string> {
    return within((async () => String(await (await this.client(nodeId)).call('CLUSTER', 'BUMPEPOCH')))(), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  async ping(nodeId: string): Promise<boolean> {
    try {
      const c = await this.client(nodeId)
      await within(c.ping(), 2000, `node ${this.label(nodeId)}`)
      return true
    } catch {
      return false
    }
  }

  // Atomic slot migration (servers/ASM.md); each call bounded like every admin command.
  async asmFlavour(nodeId: string): Promise<AsmFlavour | 'none'> {
    const c = await this.client(nodeId)
    return within(readFlavour(c), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  async migrateSlots(sourceId: string, targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const c = await this.client(sourceId)
    await within(c.call('CLUSTER', 'MIGRATESLOTS', 'SLOTSRANGE', ...rangeArgs(ranges), 'NODE', targetId), ADMIN_TIMEOUT_MS, `source ${this.label(sourceId)}`)
  }

  async slotMigrations(nodeId: string): Promise<AsmTask[]> {
    const c = await this.client(nodeId)
    return within(getSlotMigrations(c), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  async cancelSlotMigrations(sourceId: string): Promise<void> {
    const c = await this.client(sourceId)
    await within(c.call('CLUSTER', 'CANCELSLOTMIGRATIONS'), ADMIN_TIMEOUT_MS, `source ${this.label(sourceId)}`)
  }

  async migrationImport(targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<string> {
    const c = await this.client(targetId)
    return String(await within(c.call('CLUSTER', 'MIGRATION', 'IMPORT', ...rangeArgs(ranges)), ADMIN_TIMEOUT_MS, `target ${this.label(targetId)}`))
  }

  async migrationStatus(nodeId: string, id?: string): Promise<AsmTask[]> {
    const c = await this.client(nodeId)
    return within(migrationStatus(c, id), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  async migrationCancel(targetId: string, id: string): Promise<number> {
    const c = await this.client(targetId)
    return Number(await within(c.call('CLUSTER', 'MIGRATION', 'CANCEL', 'ID', id), ADMIN_TIMEOUT_MS, `target ${this.label(targetId)}`))
  }

  async close(): Promise<void> {
    await this.pool.close()
  }
}
