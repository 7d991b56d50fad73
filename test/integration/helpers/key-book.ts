// "Every key is present": a digest of every key on every primary (SCAN), compared after each
// step of a suite. A key's digest is its DUMP, except for sets and hashes, whose DUMP follows the
// process' own hash order when hashtable-encoded (it differs between two servers): those are
// compared by their sorted members / fields. Each key must sit on the primary that owns its
// slot, and only there.
import type {Redis} from 'ioredis'
import {keySlot} from '../../../src/sandbox/keyslot.js'
import {slotOwners} from './key-audit.js'

export interface KeyEntry {
  key: Buffer
  type: string
  digest: string
  hasTtl: boolean
  node: string
}

export type KeyBook = Map<string, KeyEntry>

async function scanAll(c: Redis): Promise<Buffer[]> {
  const out: Buffer[] = []
  let cursor = '0'
  do {
    const [next, keys] = (await c.callBuffer('SCAN', cursor, 'COUNT', '1000')) as [Buffer, Buffer[]]
    cursor = next.toString()
    out.push(...keys)
  } while (cursor !== '0')
  return out
}

async function digests(c: Redis, keys: Buffer[], node: string): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000)
    const p = c.pipeline()
    for (const k of chunk) p.call('TYPE', k).call('PTTL', k)
    const meta = (await p.exec())!
    const q = c.pipeline()
    chunk.forEach((k, j) => {
      const type = String(meta[2 * j]![1])
      if (type === 'set') q.callBuffer('SMEMBERS', k)
      else if (type === 'hash') q.callBuffer('HGETALL', k)
      else q.callBuffer('DUMP', k)
    })
    const vals = (await q.exec())!
    chunk.forEach((k, j) => {
      const type = String(meta[2 * j]![1])
      const [err, v] = vals[j]!
      let digest: string
      if (err) digest = `error: ${err.message}`
      else if (type === 'set') digest = (v as Buffer[]).map((m) => m.toString('hex')).sort().join(',')
      else if (type === 'hash') {
        const flat = v as Buffer[]
        const pairs: string[] = []
        for (let f = 0; f < flat.length; f += 2) pairs.push(`${flat[f]!.toString('hex')}=${flat[f + 1]!.toString('hex')}`)
        digest = pairs.sort().join(',')
      } else digest = v === null ? 'missing' : (v as Buffer).toString('hex')
      out.push({key: k, type, digest, hasTtl: Number(meta[2 * j + 1]![1]) > 0, node})
    })
  }
  return out
}

/** Every key of every primary ("host:port" -> client; replicas are skipped by ROLE), and where each one is wrongly placed. */
export async function readKeyBook(clients: Map<string, Redis>, host: string): Promise<{book: KeyBook; misplaced: string[]}> {
  const book: KeyBook = new Map()
  const misplaced: string[] = []
  const owners = await slotOwners([...clients.values()][0]!, host)
  const perNode = await Promise.all(
    [...clients].map(async ([addr, c]) => {
      const role = (await c.call('ROLE')) as unknown[]
      return String(role[0]) === 'master' ? digests(c, await scanAll(c), addr) : []
    }),
  )
  for (const entries of perNode) {
    for (const e of entries) {
      const addr = e.node
      const hex = e.key.toString('hex')
      const slot = keySlot(e.key)
      if (owners.get(slot) !== addr) misplaced.push(`${JSON.stringify(e.key.toString('latin1'))} (slot ${slot}) is on ${addr}, owner ${owners.get(slot) ?? 'none'}`)
      if (book.has(hex)) misplaced.push(`${JSON.stringify(e.key.toString('latin1'))} is on both ${book.get(hex)!.node} and ${addr}`)
      book.set(hex, e)
    }
  }
  return {book, misplaced}
}

/** What `now` lost or changed of `before` (keys that expired on their own are not expected here: TTLs are an hour). */
export function compareKeyBooks(before: KeyBook, now: KeyBook, max = 20): string[] {
  const problems: string[] = []
  for (const [hex, e] of before) {
    if (problems.length >= max) break
    const n = now.get(hex)
    const name = JSON.stringify(e.key.toString('latin1'))
    if (!n) problems.push(`${name} (${e.type}) is missing`)
    else if (n.type !== e.type || n.digest !== e.digest) problems.push(`${name} changed (${e.type} -> ${n.type})`)
    else if (n.hasTtl !== e.hasTtl) problems.push(`${name} ${e.hasTtl ? 'lost its' : 'gained a'} TTL`)
  }
  return problems
}
