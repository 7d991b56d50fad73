// Seeding keys fast: each key is written straight to the primary that owns its slot, in
// pipelines (one connection per primary, all primaries in parallel). Content is
// deterministic (a pure function of the index and options) so tests can compare.
import type {Redis} from 'ioredis'
import {connectNode, type ConnectionOptions} from '../cluster/connection.js'
import {PreconditionError, UsageError} from '../errors.js'
import {hashTagForSlot, keySlot, SLOT_COUNT} from './keyslot.js'
import {sandboxConnection} from './sandbox-connection.js'
import type {SandboxState} from './state.js'

export const SEED_TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream'] as const
export type SeedType = (typeof SEED_TYPES)[number]

export interface SeedOptions {
  count: number
  /** Only these slots (keys spread round-robin over them, via hash tags). Default: every slot (keys spread by CRC16). */
  slots?: number[]
  /** Key name prefix (default "key"); use distinct prefixes to seed twice without overwriting. */
  prefix?: string
  /** "mixed" (default): every data type, ~9% with TTLs, ~1% binary names. "strings": small strings only, no TTL, no binary names. */
  mix?: 'mixed' | 'strings'
  /** TTL of the keys that get one (default 3600 s). */
  ttlSeconds?: number
  /** Pad string values to this many bytes (default: short values). */
  valueSize?: number
}

export interface SeedKeySpec {
  index: number
  key: Buffer
  slot: number
  type: SeedType
  ttlSeconds?: number
  binaryName: boolean
}

export interface SeedResult {
  count: number
  byType: Record<SeedType, number>
  withTtl: number
  binaryNames: number
  /** Keys written per primary "host:port". */
  perNode: Record<string, number>
  ms: number
}

/** The deterministic description of key number `index`. */
export function seedKeySpec(index: number, opts: Omit<SeedOptions, 'count'> = {}): SeedKeySpec {
  const prefix = opts.prefix ?? 'key'
  const mixed = (opts.mix ?? 'mixed') === 'mixed'
  const m = index % 20
  const type: SeedType = !mixed ? 'string' : m === 1 ? 'hash' : m === 2 ? 'list' : m === 3 ? 'set' : m === 4 ? 'zset' : m === 5 ? 'stream' : 'string'
  // ~1% binary names (strings at index%100==7, hashes at index%1000==21): 0xff 0xfe and 0x80 are never valid UTF-8 here.
  const binaryName = mixed && (index % 100 === 7 || index % 1000 === 21)
  // 11 is coprime with 20, so TTLs fall on every type.
  const ttlSeconds = mixed && index % 11 === 5 ? (opts.ttlSeconds ?? 3600) : undefined
  let tag = ''
  if (opts.slots && opts.slots.length > 0) tag = `{${hashTagForSlot(opts.slots[index % opts.slots.length]!)}}`
  const text = tag ? `${prefix}:${tag}:${index}` : `${prefix}:${index}`
  const key = binaryName ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'latin1'), Buffer.from([0x80, 0x00])]) : Buffer.from(text, 'latin1')
  return {index, key, slot: keySlot(key), type, ttlSeconds, binaryName}
}

function stringValue(index: number, prefix: string, size?: number): string {
  const v = `${prefix}-value-${index}`
  if (!size || size <= v.length) return v
  return (v + ':').padEnd(size, String.fromCharCode(97 + (index % 26)))
}

type Cmd = [string, ...Array<string | Buffer | number>]

/** The commands that create key `spec` (the first sets the value; TTL included). */
export function seedCommands(spec: SeedKeySpec, opts: Omit<SeedOptions, 'count'> = {}): Cmd[] {
  const i = spec.index
  const p = opts.prefix ?? 'key'
  const k = spec.key
  const out: Cmd[] = []
  switch (spec.type) {
    case 'string':
      out.push(spec.ttlSeconds ? ['SET', k, stringValue(i, p, opts.valueSize), 'EX', spec.ttlSeconds] : ['SET', k, stringValue(i, p, opts.valueSize)])
      return out
    case 'hash':
      out.push(['HSET', k, 'field1', `h${i}-1`, 'field2', `h${i}-2`, 'field3', `h${i}-3`])
      break
    case 'list':
      out.push(['RPUSH', k, `a${i}`, `b${i}`, `c${i}`])
      break
    case 'set':
      out.push(['SADD', k, `m${i}-1`, `m${i}-2`, `m${i}-3`])
      break
    case 'zset':
      out.push(['ZADD', k, 1, `z${i}-1`, 2, `z${i}-2`, 3.5, `z${i}-3`])
      break
    case 'stream':
      // Explicit entry ids, so the content (and DUMP) is the same on every run.
      out.push(['XADD', k, '1-1', 'event', `e${i}-1`], ['XADD', k, '2-1', 'event', `e${i}-2`])
      break
  }
  if (spec.ttlSeconds) out.push(['EXPIRE', k, spec.ttlSeconds])
  return out
}

function isConnection(t: SandboxState | ConnectionOptions): t is ConnectionOptions {
  return 'seeds' in t
}

/** slot -> "host:port" of its owner, from CLUSTER SLOTS of the first seed that answers. */
async function slotOwners(conn: ConnectionOptions): Promise<string[]> {
  let lastError: unknown
  for (const s of conn.seeds) {
    let c: Redis | undefined
    try {
      c = await connectNode(conn, s.host, s.port)
      const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>
      const owners = new Array<string>(SLOT_COUNT)
      for (const [lo, hi, [ip, port]] of ranges) {
        const host = ip === '' || ip === '?' ? s.host : ip
        for (let slot = lo; slot <= hi; slot++) owners[slot] = `${host}:${port}`
      }
      return owners
    } catch (e) {
      lastError = e
    } finally {
      c?.disconnect()
    }
  }
  throw lastError instanceof Error ? lastError : new PreconditionError('unreachable', 'no seed node answered CLUSTER SLOTS')
}

const PIPELINE_CHUNK = 5000
const MSET_PAIRS = 100

type Pipeline = ReturnType<Redis['pipeline']>

/** One open pipeline per owner (host:port), on one connection per owner made on first use. */
class OwnerPipelines {
  readonly clients = new Map<string, Redis>()
  private readonly open = new Map<string, Pipeline>()
  private readonly pending: Array<Promise<Array<[Error | null, unknown]> | null>> = []
  constructor(private readonly conn: ConnectionOptions) {}

  async get(owner: string): Promise<Pipeline> {
    let client = this.clients.get(owner)
    if (!client) {
      const j = owner.lastIndexOf(':')
      client = await connectNode(this.conn, owner.slice(0, j), Number(owner.slice(j + 1)))
      this.clients.set(owner, client)
    }
    let pl = this.open.get(owner)
    if (!pl) {
      pl = client.pipeline()
      this.open.set(owner, pl)
    }
    return pl
  }

  /** Sends the owner's pipeline once it holds PIPELINE_CHUNK commands; the next get() opens a new one. */
  sendIfFull(owner: string, pl: Pipeline): void {
    if (pl.length >= PIPELINE_CHUNK) {
      this.pending.push(pl.exec())
      this.open.delete(owner)
    }
  }

  /** Sends what is left; throws on the first command that failed. */
  async finish(): Promise<void> {
    for (const pl of this.open.values()) this.pending.push(pl.exec())
    const replies = await Promise.all(this.pending)
    for (const r of replies) {
      const failed = r?.find(([err]) => err)
      if (failed) throw new PreconditionError('seed_failed', `seeding failed: ${failed[0]!.message.split('\n')[0]}`)
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.disconnect()
  }
}

/** Write `opts.count` deterministic keys, each to the primary that owns its slot. */
export async function seedKeys(target: SandboxState | ConnectionOptions, opts: SeedOptions): Promise<SeedResult> {
  const started = Date.now()
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new UsageError(`--keys must be a whole number >= 0 (got ${opts.count})`)
  for (const s of opts.slots ?? []) {
    if (!Number.isInteger(s) || s < 0 || s >= SLOT_COUNT) throw new UsageError(`slot ${s} is out of range 0-16383`)
  }
  const conn = isConnection(target) ? target : sandboxConnection(target)
  const result: SeedResult = {count: 0, byType: {string: 0, hash: 0, list: 0, set: 0, zset: 0, stream: 0}, withTtl: 0, binaryNames: 0, perNode: {}, ms: 0}
  if (opts.count === 0) return result
  const owners = await slotOwners(conn)
  const pipelines = new OwnerPipelines(conn)
  const msets = new Map<number, Array<string | Buffer>>()
  const prefix = opts.prefix ?? 'key'
  try {
    for (let i = 0; i < opts.count; i++) {
      const spec = seedKeySpec(i, opts)
      const owner = owners[spec.slot]
      if (!owner) throw new PreconditionError('slot_uncovered', `slot ${spec.slot} has no owner; cannot seed key ${i}`)
      const pl = await pipelines.get(owner)
      if (spec.type === 'string' && !spec.ttlSeconds) {
        // Plain strings of one slot go out as one MSET (MSET needs a single slot): far fewer commands.
        let bucket = msets.get(spec.slot)
        if (!bucket) {
          bucket = []
          msets.set(spec.slot, bucket)
        }
        bucket.push(spec.key, stringValue(i, prefix, opts.valueSize))
        if (bucket.length >= MSET_PAIRS * 2) {
          pl.call('MSET', ...bucket)
          msets.delete(spec.slot)
        }
      } else {
        for (const [cmd, ...args] of seedCommands(spec, opts)) pl.call(cmd, ...args)
      }
      pipelines.sendIfFull(owner, pl)
      result.count++
      result.byType[spec.type]++
      if (spec.ttlSeconds) result.withTtl++
      if (spec.binaryName) result.binaryNames++
      result.perNode[owner] = (result.perNode[owner] ?? 0) + 1
    }
    for (const [slot, bucket] of msets) (await pipelines.get(owners[slot]!)).call('MSET', ...bucket)
    await pipelines.finish()
  } finally {
    pipelines.close()
  }
  result.ms = Date.now() - started
  return result
}
