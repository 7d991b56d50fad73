// A live client for the "never lose an acknowledged write" tests (issue 11): ioredis `Cluster`
// workers that, in the slots under test, create new keys and overwrite a fixed set of keys with
// ever-increasing values, and read back keys they wrote. Each key is written by one worker only,
// so the last acknowledged value is the one any later read must see. It records every
// acknowledged write, every read of an acknowledged key that came back nil (or older), and
// client errors (not failures by themselves: a redirect loop during a repair is not a write).
import {hashTagForSlot} from '../../../src/sandbox/keyslot.js'
import {clusterClient, ready} from './live-writers.js'

export interface LiveWriter {
  /** key -> last acknowledged value */
  acked: Map<string, string>
  nilReads: string[]
  staleReads: string[]
  errors: string[]
  ops(): number
  stop(): Promise<void>
  /** Keys whose value now (read through the cluster) is not the last acknowledged one. */
  audit(): Promise<string[]>
}

export async function startLiveWriter(seed: {host: string; port: number}, slots: number[], o: {workers?: number; overwrite?: number; password?: string} = {}): Promise<LiveWriter> {
  const client = clusterClient({seeds: [seed], password: o.password})
  client.on('error', () => undefined)
  await ready(client)
  const acked = new Map<string, string>()
  const nilReads: string[] = []
  const staleReads: string[] = []
  const errors: string[] = []
  let ops = 0
  let stopped = false
  const tags = slots.map((s) => hashTagForSlot(s))
  const workers = o.workers ?? 4
  const overwrite = o.overwrite ?? 8
  const loops = Array.from({length: workers}, async (_, w) => {
    const mine: string[] = []
    for (let i = 0; !stopped; i++) {
      const tag = tags[i % tags.length]!
      // a new key, or an overwrite of one of this worker's keys of the slot
      const fresh = i % 2 === 0 || mine.length < overwrite
      const key = fresh ? `lw:{${tag}}:${w}:${i}` : mine[(i * 7) % mine.length]!
      const value = `${w}:${i}`
      try {
        if ((await client.set(key, value)) === 'OK') {
          acked.set(key, value)
          if (fresh) mine.push(key)
        }
      } catch (e) {
        errors.push(`SET ${key}: ${(e as Error).message}`)
      }
      if (mine.length > 0) {
        const k = mine[(i * 13) % mine.length]!
        const want = acked.get(k)
        try {
          const got = await client.get(k)
          // a write that errored may still have been applied: only compare with a key whose last write was acknowledged
          if (want !== undefined && got === null) nilReads.push(`${k} (last acked ${want})`)
          else if (want !== undefined && got !== want && older(got!, want)) staleReads.push(`${k}: read ${got}, last acked ${want}`)
        } catch (e) {
          errors.push(`GET ${k}: ${(e as Error).message}`)
        }
      }
      ops++
    }
  })
  return {
    acked,
    nilReads,
    staleReads,
    errors,
    ops: () => ops,
    async stop() {
      stopped = true
      await Promise.all(loops)
    },
    async audit() {
      const bad: string[] = []
      const all = [...acked]
      for (let i = 0; i < all.length; i += 500) {
        const chunk = all.slice(i, i + 500)
        const got = await Promise.all(chunk.map(([k]) => client.get(k).catch((e: Error) => `<error ${e.message}>`)))
        chunk.forEach(([k, v], j) => {
          if (got[j] !== v && !(got[j] && !older(got[j]!, v))) bad.push(`${k}: ${got[j] ?? 'nil'}, last acked ${v}`)
        })
      }
      client.disconnect()
      return bad
    },
  }
}

/** Values are "worker:i"; for one key (one worker) a smaller i is older. */
function older(got: string, want: string): boolean {
  return Number(got.split(':')[1]) < Number(want.split(':')[1])
}
