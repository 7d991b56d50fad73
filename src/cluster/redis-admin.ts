// ClusterAdmin over real per-node ioredis clients. Node-specific admin commands go to a
// per-node client with call/callBuffer (STACK.md: plain clients do not follow redirects).
import type {Redis} from 'ioredis'
import {ConnectionError} from '../errors.js'
import {buildMigrateArgs} from './migrate-args.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {nameOf, nodeById, type Topology} from '../topology/topology.js'
import {getSlotMigrations, migrationStatus, rangeArgs, readFlavour} from './asm-commands.js'
import type {AsmFlavour, AsmTask, ChannelOptions, ClusterAdmin, MigrateBatch, MigrationChannel, MigrateOptions, MigrateOutcome, MigrateResult, SetSlotOp} from './cluster-admin.js'
import {discover, NodePool} from './discovery.js'
import {closedMessage, within} from './timeout.js'
import {sendEncoded} from './encoded-command.js'
import type {ConnectionOptions} from './connection.js'

// Type + contents of a key with unordered types sorted: equal values give equal replies even
// when their DUMPs differ (a set's or hash's encoding order can differ between processes).
// Streams and other types return false here and are compared by DUMP only.
const CANONICAL_SCRIPT = `
local k = KEYS[1]
local t = redis.call('TYPE', k)['ok']
if t == 'none' then return nil end
local out = {t}
local function add(v) out[#out + 1] = v end
if t == 'string' then add(redis.call('GET', k))
elseif t == 'list' then for _, v in ipairs(redis.call('LRANGE', k, 0, -1)) do add(v) end
elseif t == 'set' then local m = redis.call('SMEMBERS', k); table.sort(m); for _, v in ipairs(m) do add(v) end
elseif t == 'zset' then for _, v in ipairs(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')) do add(v) end
elseif t == 'hash' then
  local h = redis.call('HGETALL', k); local f = {}
  for i = 1, #h, 2 do f[#f + 1] = h[i] .. '=' .. string.len(h[i]) .. '=' .. h[i + 1] end
  table.sort(f); for _, v in ipairs(f) do add(v) end
else add('dump-only') add(redis.call('DUMP', k)) end
add('ttl'); add(tostring(redis.call('PTTL', k) > 0))
return out`

// COUNTKEYSINSLOT lists as one read-only script per node (a wave has up to 1024 slots, and a
// pipeline of 1024 commands costs the client ~20 ms of command objects and reply handling; the
// server needs ~1 ms). Each count comes back in list order, or the error text.
// CLUSTER SETSLOT is never sent from a script (DESIGN.md §1): on Valkey 8+ a primary with
// replicas blocks the caller until its replicas acknowledge, and a blocked script aborts the
// server process.
const COUNTKEYS_SCRIPT = `
local out = {}
for i = 1, #ARGV do
  local r = redis.pcall('CLUSTER', 'COUNTKEYSINSLOT', ARGV[i])
  if type(r) == 'table' and r.err then out[#out + 1] = r.err else out[#out + 1] = r end -- a count, or the error text
end
return out`

/** How long an admin command may wait for its node: a stopped node must not hang a run. */
export const ADMIN_TIMEOUT_MS = 15_000
/** First guess of one SETSLOT's cost before the node was measured: replicated SETSLOT takes ~5 ms on an idle machine, ~50 ms under load; the first chunk is small and measures it. */
const SETSLOT_COST_GUESS_MS = 50
/** A SETSLOT chunk aims at about this long on the node. */
const SETSLOT_CHUNK_MS = 1000

/** Connections per node for SETSLOT on nodes that block the caller on every SETSLOT. */
const SETSLOT_LANES = 8

/** All strings of a (nested) reply, joined: enough to look for an argument name in COMMAND DOCS. */
function flatText(reply: unknown): string {
  if (reply === null || reply === undefined) return ''
  if (Array.isArray(reply)) return reply.map(flatText).join(' ')
  if (reply instanceof Map) return [...reply].map(([k, v]) => `${flatText(k)} ${flatText(v)}`).join(' ')
  if (Buffer.isBuffer(reply)) return reply.toString()
  if (typeof reply === 'object') return Object.entries(reply).map(([k, v]) => `${k} ${flatText(v)}`).join(' ')
  return String(reply)
}

/** How many SETSLOTs go in one chunk at the measured cost: 16 to 1024. */
export function setSlotChunk(costMs: number): number {
  return Math.max(16, Math.min(1024, Math.floor(SETSLOT_CHUNK_MS / Math.max(costMs, 0.01))))
}

/** A chunk's deadline: the admin deadline plus ten times what the chunk should take. */
export function setSlotDeadline(costMs: number, n: number): number {
  return ADMIN_TIMEOUT_MS + Math.ceil(10 * costMs * n)
}

/** One pipeline write of SETSLOTs; per op undefined on success or the error text. */
async function pipelineSetSlots(c: Redis, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
  const p = c.pipeline()
  for (const op of ops) {
    if (op.action === 'stable') p.call('CLUSTER', 'SETSLOT', String(op.slot), 'STABLE')
    else p.call('CLUSTER', 'SETSLOT', String(op.slot), op.action.toUpperCase(), op.nodeId!)
  }
  const res = (await p.exec()) ?? []
  return ops.map((_, i) => {
    const [err] = res[i] ?? [new Error('no reply')]
    return err ? err.message : undefined
  })
}

export class RedisClusterAdmin implements ClusterAdmin {
  readonly dryRun = false
  private topo?: Topology
  /** Set once a node refused EVAL: slot lists go as pipelines from then on. */
  private noScripts = false
  constructor(
    readonly pool: NodePool,
    private readonly withKeys = false,
  ) {}

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
    if (!n) throw new ConnectionError(`node ${nodeId.slice(0, 8)} is not part of the cluster any more`)
    return this.pool.get(n.address)
  }

  private label(nodeId: string): string {
    return nameOf(this.topo, nodeId)
  }

  address(nodeId: string): {host: string; port: number} {
    const n = this.topo && nodeById(this.topo, nodeId)
    if (!n) throw new ConnectionError(`node ${nodeId.slice(0, 8)} is unknown`)
    return {host: n.host, port: n.port}
  }

  /** Measured milliseconds per SETSLOT, per node (replicated SETSLOT costs ms, not us). */
  private readonly setSlotCost = new Map<string, number>()
  /** Per node: whether it replicates SETSLOT and blocks the caller until its replicas acknowledge. */
  private readonly blockingSetSlot = new Map<string, Promise<boolean>>()

  /**
   * SETSLOT lists never go through a script (DESIGN.md §1). A node that replicates SETSLOT and
   * blocks the caller until its replicas acknowledge (Valkey 8+) gets one SETSLOT in flight per
   * connection, on several connections at once: a pipelined SETSLOT that waits behind a blocked
   * one can stay in the server's query buffer unread until more input arrives (seen on Valkey
   * 9.0: a 200-SETSLOT pipeline stalled with 3.5 KB unparsed, `qbuf=3585`, until our deadline).
   * Other nodes get pipelined chunks sized from what the node measurably takes, each chunk with a
   * deadline of its own: a slow but answering node never times out half-way through a wave,
   * while a node that stops answering is a verdict within the deadline.
   */
  async setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    if (ops.length === 0) return []
    const what = `node ${this.label(nodeId)}`
    const c = await within(this.client(nodeId), ADMIN_TIMEOUT_MS, what)
    if (await this.blocksOnSetSlot(nodeId, c)) return this.setSlotsInLanes(nodeId, ops)
    const out: Array<string | undefined> = []
    for (let i = 0; i < ops.length; ) {
      const cost = this.setSlotCost.get(nodeId) ?? SETSLOT_COST_GUESS_MS
      const chunk = ops.slice(i, i + setSlotChunk(cost))
      const started = Date.now()
      const replies = await within(pipelineSetSlots(c, chunk), setSlotDeadline(cost, chunk.length), what)
      this.setSlotCost.set(nodeId, Math.max(0.05, (cost + (Date.now() - started) / chunk.length) / 2))
      out.push(...replies)
      i += chunk.length
    }
    return out
  }

  /**
   * Whether the node replicates SETSLOT and blocks the caller (probed, never read from a version
   * string): such servers document a TIMEOUT argument for it (COMMAND DOCS CLUSTER|SETSLOT).
   * When the node will not say, assume it does: one SETSLOT in flight is right on every server.
   */
  private blocksOnSetSlot(nodeId: string, c: Redis): Promise<boolean> {
    let known = this.blockingSetSlot.get(nodeId)
    if (!known) {
      known = within(c.call('COMMAND', 'DOCS', 'CLUSTER|SETSLOT'), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`).then(
        (docs) => /timeout/i.test(flatText(docs)),
        () => true,
      )
      this.blockingSetSlot.set(nodeId, known)
    }
    return known
  }

  /** One SETSLOT in flight per connection, SETSLOT_LANES connections; a slot's ops stay in order on one lane. */
  private async setSlotsInLanes(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    const what = `node ${this.label(nodeId)}`
    const address = this.address(nodeId)
    const lanes: number[][] = Array.from({length: Math.min(SETSLOT_LANES, ops.length)}, () => [])
    const laneOfSlot = new Map<number, number>()
    ops.forEach((op, i) => {
      let lane = laneOfSlot.get(op.slot)
      if (lane === undefined) laneOfSlot.set(op.slot, (lane = laneOfSlot.size % lanes.length))
      lanes[lane]!.push(i)
    })
    const out = new Array<string | undefined>(ops.length)
    await Promise.all(
      lanes.map(async (indexes, lane) => {
        if (indexes.length === 0) return
        const c = await within(this.pool.get(`${address.host}:${address.port}`, lane), ADMIN_TIMEOUT_MS, what)
        for (const i of indexes) {
          const op = ops[i]!
          const args = op.action === 'stable' ? [String(op.slot), 'STABLE'] : [String(op.slot), op.action.toUpperCase(), op.nodeId!]
          try {
            await within(c.call('CLUSTER', 'SETSLOT', ...args), ADMIN_TIMEOUT_MS, what)
          } catch (e) {
            if ((e as Error).name !== 'ReplyError') throw e
            out[i] = (e as Error).message
          }
        }
      }),
    )
    return out
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
    const c = await this.client(nodeId)
    const p = c.pipeline()
    for (const k of keys) {
      p.call('ASKING')
      p.callBuffer('DUMP', k)
    }
    const res = (await p.exec()) ?? []
    const out: Array<Buffer | null | undefined> = []
    for (let i = 0; i < keys.length; i++) {
      const [err, val] = res[2 * i + 1] ?? [new Error('no reply'), null]
      if (err) {
        // ASK: a MIGRATING node does not have the key. MOVED: the node neither owns nor imports
        // the slot, so it will not show its copy (orphaned keys): unreadable.
        if (/^ASK /.test(err.message)) {
          out.push(null)
          continue
        }
        if (/^MOVED |^CLUSTERDOWN/.test(err.message)) {
          out.push(undefined)
          continue
        }
        throw err
      }
      out.push((val as Buffer | null) ?? null)
    }
    return out
  }

  async canonical(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
    const c = await this.client(nodeId)
    const out: Array<Buffer | null | undefined> = []
    for (const k of keys) {
      try {
        await c.call('ASKING')
        const r = (await c.callBuffer('EVAL', CANONICAL_SCRIPT, '1', k)) as Buffer[] | null
        out.push(r === null ? null : Buffer.concat(r.flatMap((part) => [Buffer.from(String(part.length) + ':'), part])))
      } catch (e) {
        if (/^(MOVED|ASK|CLUSTERDOWN) /.test((e as Error).message)) out.push((e as Error).message.startsWith('ASK') ? null : undefined)
        else throw e
      }
    }
    return out
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
