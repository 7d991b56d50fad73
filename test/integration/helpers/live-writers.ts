// Live traffic for a move: ioredis `Cluster` clients that SET unique keys and INCR shared
// counters in given slots while the test runs a command, remembering only what the server
// acknowledged. `verify` then finds every acknowledged write with its value and every counter
// equal to its acknowledged INCRs (DESIGN.md §1: never lose an acknowledged write).
import {Cluster} from 'ioredis'
import {hashTagForSlot} from '../../../src/sandbox/keyslot.js'

export interface LiveWritersOptions {
  seeds: Array<{host: string; port: number}>
  slots: number[]
  password?: string
  user?: string
  clients?: number
  workersPerClient?: number
  prefix?: string
}

export interface LiveWritersResult {
  /** SET+INCR pairs attempted over the whole run. */
  ops: number
  acked: number
  /** Errors the application saw (should be none: redirects are the client's business). */
  errors: string[]
  /** Acknowledged writes missing or wrong, counters off (empty when nothing was lost). */
  lost: string[]
}

export interface LiveWriters {
  /** Operations so far (to prove traffic ran during the command). */
  ops(): number
  /** Stop writing, then check every acknowledged write through a fresh Cluster client. */
  stopAndVerify(): Promise<LiveWritersResult>
}

interface Writer {
  client: Cluster
  acked: Map<string, string>
  incrs: Map<string, number>
  errors: string[]
  ops: number
}

/** A Cluster client that follows redirects itself (the application never sees ASK/MOVED/TRYAGAIN). */
export function clusterClient(o: Pick<LiveWritersOptions, 'seeds' | 'password' | 'user'>): Cluster {
  return new Cluster(o.seeds, {
    maxRedirections: 64,
    retryDelayOnMoved: 0,
    retryDelayOnTryAgain: 50,
    retryDelayOnClusterDown: 100,
    redisOptions: {password: o.password, username: o.user},
  })
}

export async function ready(c: Cluster): Promise<void> {
  await new Promise<void>((res, rej) => {
    c.once('ready', () => res())
    c.once('error', rej)
  })
}

export async function startLiveWriters(o: LiveWritersOptions): Promise<LiveWriters> {
  const prefix = o.prefix ?? 'live'
  const tags = o.slots.map((s) => hashTagForSlot(s))
  const counters = tags.map((t) => `${prefix}-ctr:{${t}}`)
  const writers: Writer[] = []
  for (let id = 0; id < (o.clients ?? 2); id++) {
    const client = clusterClient(o)
    const w: Writer = {client, acked: new Map(), incrs: new Map(), errors: [], ops: 0}
    client.on('error', (e: Error) => w.errors.push(`client event: ${e.message}`))
    await ready(client)
    writers.push(w)
  }
  let stop = false
  const loops = writers.flatMap((w, id) =>
    Array.from({length: o.workersPerClient ?? 3}, async (_, worker) => {
      let i = 0
      while (!stop) {
        const k = i % tags.length
        const key = `${prefix}:{${tags[k]}}:c${id}:${worker}:${i}`
        const value = `v-${id}-${worker}-${i}`
        i++
        try {
          const [setReply, n] = await Promise.all([w.client.set(key, value), w.client.incr(counters[k]!)])
          if (setReply === 'OK') w.acked.set(key, value)
          else w.errors.push(`SET ${key} replied ${String(setReply)}`)
          if (typeof n === 'number') w.incrs.set(counters[k]!, (w.incrs.get(counters[k]!) ?? 0) + 1)
        } catch (e) {
          // not acknowledged: the maps keep only what was confirmed
          w.errors.push((e as Error).message)
        }
        w.ops++
      }
    }),
  )
  return {
    ops: () => writers.reduce((a, w) => a + w.ops, 0),
    async stopAndVerify() {
      stop = true
      await Promise.all(loops)
      for (const w of writers) w.client.disconnect()
      const reader = clusterClient(o)
      await ready(reader)
      const lost: string[] = []
      try {
        const acked = writers.flatMap((w) => [...w.acked])
        for (let i = 0; i < acked.length; i += 500) {
          const chunk = acked.slice(i, i + 500)
          const got = await Promise.all(chunk.map(([k]) => reader.get(k)))
          chunk.forEach(([k, v], j) => {
            if (got[j] !== v) lost.push(`${k}: expected ${v}, got ${String(got[j])}`)
          })
        }
        for (const c of counters) {
          const expected = writers.reduce((s, w) => s + (w.incrs.get(c) ?? 0), 0)
          const got = Number((await reader.get(c)) ?? 0)
          if (got !== expected) lost.push(`${c}: ${got}, ${expected} acknowledged INCRs`)
        }
        return {
          ops: writers.reduce((a, w) => a + w.ops, 0),
          acked: acked.length,
          errors: writers.flatMap((w, id) => w.errors.map((e) => `client ${id}: ${e}`)),
          lost,
        }
      } finally {
        reader.disconnect()
      }
    },
  }
}
