// ClusterAdmin over real per-node ioredis clients. Node-specific admin commands go to a
// per-node client with call/callBuffer (STACK.md: plain clients do not follow redirects).
import type {Redis} from 'ioredis'
import {ConnectionError} from '../errors.js'
import {buildMigrateArgs} from '../migration/migrate-args.js'
import {nameOf, nodeById, type Topology} from '../topology/topology.js'
import type {ChannelOptions, ClusterAdmin, MigrateBatch, MigrationChannel, MigrateOptions, MigrateOutcome, MigrateResult, SetSlotOp} from './cluster-admin.js'
import {discover, NodePool} from './discovery.js'
import {within} from './timeout.js'
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

// Slot lists as one command each (a wave has up to 1024 slots, and a pipeline of 1024 commands
// costs the client ~20 ms of command objects and reply handling; the server needs ~1 ms). The
// CLUSTER calls run one by one inside the script, exactly as pipelined ones would, each with its
// own reply: '' for OK or the error text, or the count.
const SETSLOTS_SCRIPT = `
local out = {}
for i = 1, #ARGV, 3 do
  local r
  if ARGV[i + 2] == '' then r = redis.pcall('CLUSTER', 'SETSLOT', ARGV[i], ARGV[i + 1])
  else r = redis.pcall('CLUSTER', 'SETSLOT', ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
  if type(r) == 'table' and r.err then out[#out + 1] = r.err else out[#out + 1] = '' end
end
return out`
const COUNTKEYS_SCRIPT = `
local out = {}
for i = 1, #ARGV do
  local r = redis.pcall('CLUSTER', 'COUNTKEYSINSLOT', ARGV[i])
  if type(r) == 'table' and r.err then out[#out + 1] = r.err else out[#out + 1] = r end -- a count, or the error text
end
return out`

/** How long an admin command may wait for its node: a stopped node must not hang a run. */
export const ADMIN_TIMEOUT_MS = 15_000

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

  setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    return within(this._setSlots(nodeId, ops), ADMIN_TIMEOUT_MS, `node ${this.label(nodeId)}`)
  }

  private async _setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    if (ops.length === 0) return []
    const c = await this.client(nodeId)
    const args: string[] = []
    for (const op of ops) args.push(String(op.slot), op.action.toUpperCase(), op.action === 'stable' ? '' : op.nodeId!)
    const scripted = await this.script<string>(c, SETSLOTS_SCRIPT, args)
    if (scripted) return scripted.map((e) => (e === '' ? undefined : e))
    // one write for the whole list (a call per command would be a socket write each)
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

  /**
   * Runs one of the slot-list scripts: one reply per slot. Undefined when the node will not run
   * them: it refuses EVAL (ACL without +eval, a renamed EVAL), or it answers per call that the
   * command is not allowed from a script; the caller then sends the plain commands (SETSLOT of a
   * slot to the state it is already in is a no-op). Other errors of the commands inside come
   * back per slot; a lost connection is thrown as usual.
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
        (e: Error): MigrateOutcome => ({ok: false, error: e.message}),
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

  epochs(nodeId: string): Promise<{current: number; config: number}> {
    return within(
      (async () => {
        const info = String(await (await this.client(nodeId)).call('CLUSTER', 'INFO'))
        const num = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN)
        return {current: num('cluster_current_epoch'), config: num('cluster_my_epoch')}
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

  async close(): Promise<void> {
    await this.pool.close()
  }
}
