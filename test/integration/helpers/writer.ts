// A live writer for fault tests: a Cluster client that SETs unique keys in given slots and
// records every acknowledged write; `verify` reads each one back through a Cluster client.
import {Cluster} from 'ioredis'
import {hashTagForSlot} from '../../../src/sandbox/keyslot.js'
import type {TestCluster} from './cluster.js'

export interface LiveWriter {
  acked: Map<string, string>
  errors: string[]
  /** Stop writing; resolves when the loops ended. */
  stop(): Promise<void>
  /** Acknowledged writes that are missing or hold another value now. */
  verify(): Promise<string[]>
}

export async function startWriter(cluster: TestCluster, slots: number[], workers = 4): Promise<LiveWriter> {
  const seeds = cluster.nodes.map((n) => ({host: n.host, port: n.port}))
  const opts = {maxRedirections: 64, retryDelayOnMoved: 0, retryDelayOnTryAgain: 50, retryDelayOnClusterDown: 100, redisOptions: {password: cluster.password}}
  const client = new Cluster(seeds, opts)
  client.on('error', () => undefined)
  await new Promise<void>((res, rej) => {
    client.once('ready', () => res())
    client.once('error', rej)
  })
  const acked = new Map<string, string>()
  const errors: string[] = []
  const tags = slots.map((s) => hashTagForSlot(s))
  let stopped = false
  const loops = Array.from({length: workers}, async (_, w) => {
    for (let i = 0; !stopped; i++) {
      const key = `lw:{${tags[(i * workers + w) % tags.length]}}:${w}:${i}`
      const value = `v${w}-${i}`
      try {
        if ((await client.set(key, value)) === 'OK') acked.set(key, value)
      } catch (e) {
        errors.push((e as Error).message)
      }
    }
  })
  return {
    acked,
    errors,
    async stop() {
      stopped = true
      await Promise.all(loops)
    },
    async verify() {
      const bad: string[] = []
      const all = [...acked]
      for (let i = 0; i < all.length; i += 500) {
        const chunk = all.slice(i, i + 500)
        const got = await Promise.all(chunk.map(([k]) => client.get(k).catch((e: Error) => `error: ${e.message}`)))
        chunk.forEach(([k, v], j) => got[j] !== v && bad.push(`${k}: acked ${v}, now ${String(got[j])}`))
      }
      client.disconnect()
      return bad
    },
  }
}
