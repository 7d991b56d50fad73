// Acknowledged writes survive a live multi-slot move (DESIGN.md §1: writes of moved keys get ASK
// to the target; nothing is finalized while the source still holds keys). Several ioredis
// `Cluster` clients write unique keys and increment shared counters in the moving slots while
// `reshard move` runs; afterwards every acknowledged write is there with its value, every counter
// equals the number of acknowledged INCRs, the seeded keys are intact, and no client saw an error.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Cluster, type Redis} from 'ioredis'
import {hashTagForSlot} from '../../src/sandbox/keyslot.js'
import {runCli, startTestCluster, type TestCluster} from './helpers/cluster.js'
import {auditKeys, clientsOf, closeClients, range, slotOwners, snapshotKeys} from './helpers/key-audit.js'

const SLOTS = range(4000, 4009)
const SEEDED = 20_000
const CLIENTS = 4
const WORKERS_PER_CLIENT = 3

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Writer {
  id: number
  client: Cluster
  /** key -> value of every SET that was acknowledged */
  acked: Map<string, string>
  /** counter key -> acknowledged INCRs by this client */
  incrs: Map<string, number>
  errors: string[]
  ops: number
}

describe('acknowledged writes during a live multi-slot move', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3})
    clients = await clientsOf(cluster)
    await cluster.seed({count: SEEDED, slots: SLOTS, prefix: 'seed', mix: 'strings'})
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('several Cluster clients writing and incrementing in the moving slots lose nothing and see no error', async () => {
    const nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    const nodeB = cluster.nodes.find((n) => n.hostname === 'nodeB')!
    const snap = await snapshotKeys(clients, SLOTS)
    expect(snap.keys.size).toBe(SEEDED)
    const tags = SLOTS.map((s) => hashTagForSlot(s))
    const counters = tags.map((t) => `ctr:{${t}}`)

    const writers: Writer[] = []
    for (let id = 0; id < CLIENTS; id++) {
      const client = new Cluster([{host: nodeA.host, port: nodeA.port}, {host: nodeB.host, port: nodeB.port}], {
        maxRedirections: 64,
        retryDelayOnMoved: 0,
        retryDelayOnTryAgain: 50,
        retryDelayOnClusterDown: 100,
      })
      const w: Writer = {id, client, acked: new Map(), incrs: new Map(), errors: [], ops: 0}
      client.on('error', (e: Error) => w.errors.push(`client event: ${e.message}`))
      await new Promise<void>((res, rej) => {
        client.once('ready', () => res())
        client.once('error', rej)
      })
      writers.push(w)
    }

    let stop = false
    const loops = writers.flatMap((w) =>
      Array.from({length: WORKERS_PER_CLIENT}, async (_, worker) => {
        let i = 0
        while (!stop) {
          const k = i % SLOTS.length
          const key = `w:{${tags[k]}}:c${w.id}:${worker}:${i}`
          const value = `v-${w.id}-${worker}-${i}`
          i++
          try {
            const [setReply, n] = await Promise.all([w.client.set(key, value), w.client.incr(counters[k]!)])
            if (setReply === 'OK') w.acked.set(key, value)
            else w.errors.push(`SET ${key} replied ${String(setReply)}`)
            if (typeof n === 'number') w.incrs.set(counters[k]!, (w.incrs.get(counters[k]!) ?? 0) + 1)
          } catch (e) {
            // not acknowledged (either or both): the ack maps keep only what was confirmed
            w.errors.push((e as Error).message)
          }
          w.ops++
        }
      }),
    )
    try {
      await sleep(300)
      const opsBefore = writers.reduce((a, w) => a + w.ops, 0)
      const r = await runCli(['move', `${SLOTS[0]}-${SLOTS.at(-1)}`, '--to', 'nodeB', '--yes', '--json'], {env: cluster.env, timeoutMs: 90_000})
      const opsDuring = writers.reduce((a, w) => a + w.ops, 0) - opsBefore
      await sleep(300)
      stop = true
      await Promise.all(loops)
      expect(r.code, `move exited ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ok: true, verified: true, open: []})
      // traffic really ran while the slots moved
      expect(opsDuring).toBeGreaterThan(50)
      console.log(`[live-traffic] ${CLIENTS} clients x ${WORKERS_PER_CLIENT} workers: ${writers.reduce((a, w) => a + w.ops, 0)} SET+INCR pairs, ${opsDuring} during the move`)
    } finally {
      stop = true
      await Promise.all(loops)
      for (const w of writers) w.client.disconnect()
    }

    const errors = writers.flatMap((w) => w.errors.map((e) => `client ${w.id}: ${e}`))
    // no TRYAGAIN / ASK / MOVED / CLUSTERDOWN ever reached the application
    expect(errors, errors.slice(0, 20).join('\n')).toEqual([])

    // every slot now belongs to nodeB, and nodeA keeps no key of them
    const owners = await slotOwners(clients.get(nodeB.address)!, cluster.state.host)
    for (const s of SLOTS) expect(owners.get(s)).toBe(nodeB.address)
    const a = clients.get(nodeA.address)!
    for (const s of SLOTS) expect(Number(await a.call('CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(0)

    // every acknowledged SET is there with its value
    const b = clients.get(nodeB.address)!
    const acked = writers.flatMap((w) => [...w.acked])
    expect(acked.length).toBeGreaterThan(100)
    const missing: string[] = []
    for (let i = 0; i < acked.length; i += 5000) {
      const chunk = acked.slice(i, i + 5000)
      const p = b.pipeline()
      for (const [k] of chunk) p.call('GET', k)
      const res = (await p.exec())!
      chunk.forEach(([k, v], j) => {
        const [err, got] = res[j]!
        if (err || got !== v) missing.push(`${k}: expected ${v}, got ${err ? err.message : String(got)}`)
      })
    }
    expect(missing.slice(0, 20), `${missing.length} acknowledged writes lost`).toEqual([])

    // every counter equals the number of acknowledged INCRs over all clients
    const wrongCounters: string[] = []
    for (const c of counters) {
      const expected = writers.reduce((s, w) => s + (w.incrs.get(c) ?? 0), 0)
      const got = Number(await b.call('GET', c))
      if (got !== expected) wrongCounters.push(`${c}: ${got}, ${expected} acknowledged INCRs`)
    }
    expect(wrongCounters).toEqual([])

    // the seeded keys are intact (the new keys are in the same slots)
    expect(await auditKeys(clients, cluster.state.host, snap, {othersAllowed: true})).toEqual([])
    const total = (await Promise.all(SLOTS.map((s) => b.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))))).reduce<number>((x, y) => x + Number(y), 0)
    expect(total).toBe(SEEDED + acked.length + counters.length)

    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, check.stdout + check.stderr).toBe(0)
  })
})
