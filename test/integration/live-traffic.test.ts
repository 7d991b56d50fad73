// Acknowledged writes survive a live multi-slot move (DESIGN.md §1: writes of moved keys get ASK
// to the target; nothing is finalized while the source still holds keys). Several ioredis
// `Cluster` clients write unique keys and increment shared counters in the moving slots while
// `reshard move` runs; afterwards every acknowledged write is there with its value, every counter
// equals the number of acknowledged INCRs, the seeded keys are intact, and no client saw an error.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {runCli, startTestCluster, type TestCluster} from './helpers/cluster.js'
import {auditKeys, clientsOf, closeClients, range, slotOwners, snapshotKeys} from './helpers/key-audit.js'
import {startLiveWriters, type LiveWritersResult} from './helpers/live-writers.js'

const SLOTS = range(4000, 4009)
const SEEDED = 20_000
const CLIENTS = 4
const WORKERS_PER_CLIENT = 3

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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
    const writers = await startLiveWriters({
      seeds: [{host: nodeA.host, port: nodeA.port}, {host: nodeB.host, port: nodeB.port}],
      slots: SLOTS,
      clients: CLIENTS,
      workersPerClient: WORKERS_PER_CLIENT,
    })
    let result: LiveWritersResult
    try {
      await sleep(300)
      const opsBefore = writers.ops()
      const r = await runCli(['move', `${SLOTS[0]}-${SLOTS.at(-1)}`, '--to', 'nodeB', '--yes', '--json'], {env: cluster.env, timeoutMs: 90_000})
      const opsDuring = writers.ops() - opsBefore
      await sleep(300)
      expect(r.code, `move exited ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ok: true, verified: true, open: []})
      // traffic really ran while the slots moved
      expect(opsDuring).toBeGreaterThan(50)
      console.log(`[live-traffic] ${CLIENTS} clients x ${WORKERS_PER_CLIENT} workers: ${writers.ops()} SET+INCR pairs, ${opsDuring} during the move`)
    } finally {
      // stop writing, then read every acknowledged SET and counter back through a fresh client
      result = await writers.stopAndVerify()
    }
    // no TRYAGAIN / ASK / MOVED / CLUSTERDOWN ever reached the application
    expect(result.errors, result.errors.slice(0, 20).join('\n')).toEqual([])
    // every acknowledged SET is there with its value, every counter equals its acknowledged INCRs
    expect(result.acked).toBeGreaterThan(100)
    expect(result.lost.slice(0, 20), `${result.lost.length} acknowledged writes lost`).toEqual([])

    // every slot now belongs to nodeB, and nodeA keeps no key of them
    const owners = await slotOwners(clients.get(nodeB.address)!, cluster.state.host)
    for (const s of SLOTS) expect(owners.get(s)).toBe(nodeB.address)
    const a = clients.get(nodeA.address)!
    for (const s of SLOTS) expect(Number(await a.call('CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(0)

    const b = clients.get(nodeB.address)!
    // the seeded keys are intact (the new keys are in the same slots)
    expect(await auditKeys(clients, cluster.state.host, snap, {othersAllowed: true})).toEqual([])
    const total = (await Promise.all(SLOTS.map((s) => b.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))))).reduce<number>((x, y) => x + Number(y), 0)
    expect(total).toBe(SEEDED + result.acked + SLOTS.length)

    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, check.stdout + check.stderr).toBe(0)
  })
})
