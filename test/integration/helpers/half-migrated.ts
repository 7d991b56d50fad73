// Building the broken slot states `reshard recover` repairs, with raw CLUSTER SETSLOT / MIGRATE /
// DELSLOTS commands on plain per-node clients (no tool code involved), and the key snapshots
// that prove nothing was lost: DUMP, PTTL, and sorted members of sets (a hashtable-encoded set
// DUMPs in the process' own hash order, so its DUMP differs between two servers).
import {Redis} from 'ioredis'
import {hashTagForSlot, keySlot} from '../../../src/sandbox/keyslot.js'
import {parseClusterNodes, type NodeLine} from '../../../src/topology/cluster-nodes.js'

export const HOST = '127.0.0.1'

/** A plain client on one node (no cluster redirects followed). */
export function rawClient(port: number): Redis {
  return new Redis({host: HOST, port, maxRetriesPerRequest: 2, lazyConnect: false})
}

export interface KeySnapshot {
  key: Buffer
  type: string
  dump: Buffer
  pttl: number
  /** Sorted hex members of a set. */
  members?: string[]
}

export function keyName(prefix: string, slot: number, suffix: string): Buffer {
  return Buffer.from(`${prefix}:{${hashTagForSlot(slot)}}:${suffix}`, 'latin1')
}

/** A key whose name is not valid UTF-8 (0xff 0xfe ... 0x80 0x00), in `slot`. */
export function binaryKeyName(prefix: string, slot: number, suffix: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), keyName(prefix, slot, suffix), Buffer.from([0x80, 0x00])])
}

type Cmd = [string, ...Array<string | Buffer | number>]

/**
 * Write keys of every type into `slot` on node `c` (the owner; with `asking`, a node that only
 * IMPORTS the slot). Strings, hash, list, a hashtable set, an intset, zset, stream with a
 * consumer group, a string and a hash with TTLs, a binary name, plus `extra` plain strings.
 */
export async function writeSlotKeys(c: Redis, slot: number, prefix: string, o: {asking?: boolean; extra?: number} = {}): Promise<Buffer[]> {
  const k = (s: string) => keyName(prefix, slot, s)
  const cmds: Cmd[] = [
    ['SET', k('str'), `${prefix}-string-value`],
    ['SET', k('ttl'), 'expires-later', 'EX', 3600],
    ['HSET', k('hash'), 'f1', 'v1', 'f2', 'v2', 'f3', Buffer.from([0x00, 0xff, 0x01])],
    ['HSET', k('hash-ttl'), 'a', '1'],
    ['PEXPIRE', k('hash-ttl'), 7_200_000],
    ['RPUSH', k('list'), 'a', 'b', 'c', 'b'],
    ['SADD', k('set'), 'alpha', 'beta', 'gamma', 'delta'],
    ['SADD', k('intset'), 1, 2, 3, 100000],
    ['ZADD', k('zset'), 1, 'one', 2.5, 'two', -3, 'minus'],
    ['XADD', k('stream'), '1-1', 'event', 'first'],
    ['XADD', k('stream'), '2-1', 'event', 'second'],
    ['XGROUP', 'CREATE', k('stream'), 'readers', '0'],
    ['SET', binaryKeyName(prefix, slot, 'bin'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00])],
  ]
  for (let i = 0; i < (o.extra ?? 6); i++) cmds.push(['SET', k(`n${i}`), `v${i}`])
  const keys = new Map<string, Buffer>()
  for (const [, ...args] of cmds) {
    const key = (args[0] === 'CREATE' ? args[1] : args[0]) as Buffer
    if (keySlot(key) !== slot) throw new Error(`key ${key.toString('latin1')} is not in slot ${slot}`)
    keys.set(key.toString('hex'), key)
  }
  for (const cmd of cmds) {
    if (o.asking) {
      const res = await c.pipeline().call('ASKING').call(...cmd).exec()
      for (const [err] of res ?? []) if (err) throw err
    } else await c.call(...cmd)
  }
  return [...keys.values()]
}

/** Snapshot of keys on a node that serves them (the owner). */
export async function snapshotKeys(c: Redis, keys: readonly Buffer[]): Promise<Map<string, KeySnapshot>> {
  const out = new Map<string, KeySnapshot>()
  for (const key of keys) {
    const [type, dump, pttl] = await Promise.all([c.call('TYPE', key), c.callBuffer('DUMP', key) as Promise<Buffer | null>, c.call('PTTL', key)])
    if (dump === null) throw new Error(`key ${key.toString('latin1')} is missing`)
    const snap: KeySnapshot = {key, type: String(type), dump, pttl: Number(pttl)}
    if (snap.type === 'set') snap.members = ((await c.callBuffer('SMEMBERS', key)) as Buffer[]).map((m) => m.toString('hex')).sort()
    out.set(key.toString('hex'), snap)
  }
  return out
}

export async function countInSlot(c: Redis, slot: number): Promise<number> {
  return Number(await c.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)))
}

export async function clusterNodes(c: Redis): Promise<NodeLine[]> {
  return parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
}

/** The owner of `slot` in this node's own view (null: unassigned). */
export async function ownerInView(c: Redis, slot: number): Promise<string | null> {
  const lines = await clusterNodes(c)
  return lines.find((l) => l.role === 'primary' && l.slots.includes(slot))?.id ?? null
}

/** Open marks of `slot` on this node's myself line. */
export async function openMarks(c: Redis, slot: number): Promise<string[]> {
  const me = (await clusterNodes(c)).find((l) => l.myself)!
  const out: string[] = []
  if (me.migrating.has(slot)) out.push(`migrating->${me.migrating.get(slot)}`)
  if (me.importing.has(slot)) out.push(`importing<-${me.importing.get(slot)}`)
  return out
}

export async function setSlot(c: Redis, slot: number, ...args: string[]): Promise<void> {
  const r = await c.call('CLUSTER', 'SETSLOT', String(slot), ...args)
  if (r !== 'OK') throw new Error(`CLUSTER SETSLOT ${slot} ${args.join(' ')}: ${String(r)}`)
}

/** MIGRATE keys (Buffers, exactly as listed) from `src` to the node at `port` (with AUTH `password` when the target needs one). */
export async function migrateKeys(src: Redis, port: number, keys: readonly Buffer[], password?: string): Promise<void> {
  if (keys.length === 0) return
  const auth = password === undefined ? [] : ['AUTH', password]
  const r = await src.call('MIGRATE', HOST, String(port), '', '0', '5000', ...auth, 'KEYS', ...keys)
  if (r !== 'OK' && r !== 'NOKEY') throw new Error(`MIGRATE: ${String(r)}`)
}

export async function getKeysInSlot(c: Redis, slot: number): Promise<Buffer[]> {
  return (await c.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(slot), '100000')) as Buffer[]
}

/** Poll `fn` until it returns true; throws with `what` after `ms`. */
export async function waitUntil(what: string, fn: () => Promise<boolean>, ms = 10_000, every = 100): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}
