// Epoch-safe finalization under stress (issue 11 item 3): parallel pairs in which every node is a
// target in one pair and a source in the next, hundreds of finalizations. After SETSLOT NODE a
// target must hold the newest config epoch of every node that claims (or could claim) the slot;
// otherwise the old owner's claim (a ping, or an UPDATE from a node with a stale table) makes the
// target yield the slot and delete its keys. After every round: every key is there, on the owner
// of its slot, and every node agrees on the owners.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {EventBus} from '../../src/events/events.js'
import {runMoves} from '../../src/operations/run-moves.js'
import {openSession} from '../../src/operations/session.js'
import {planMoves} from '../../src/planner/move.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {startTestCluster, type TestCluster, type TestNode} from './helpers/cluster.js'
import {auditKeys, clientsOf, closeClients, snapshotKeys, type KeySnapshot} from './helpers/key-audit.js'

const SLOTS_PER_NODE = 24
const KEYS_PER_SLOT = 3
const BUDGET_MS = Number(process.env.RESHARD_STRESS_MS ?? 15_000)

describe('epoch-safe finalization: parallel pairs where each node is a target and a source', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  let nodes: TestNode[]
  let snap: KeySnapshot
  const owned = new Map<string, number[]>()

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 4, replicas: 1})
    clients = await clientsOf(cluster)
    nodes = cluster.nodes.filter((n) => n.role === 'primary')
    const lines = parseClusterNodes(String(await clients.get(nodes[0]!.address)!.call('CLUSTER', 'NODES')))
    for (const n of nodes) owned.set(n.id, lines.find((l) => l.id === n.id)!.slots.slice(0, SLOTS_PER_NODE))
    const slots = [...owned.values()].flat()
    await cluster.seed({count: slots.length * KEYS_PER_SLOT, slots, prefix: 'ep', mix: 'strings'})
    snap = await snapshotKeys(clients, slots)
    expect(snap.keys.size).toBe(slots.length * KEYS_PER_SLOT)
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('hundreds of finalizations lose no key and leave every node agreeing', async () => {
    const started = Date.now()
    let finalizations = 0
    let round = 0
    const failures: string[] = []
    while (Date.now() - started < BUDGET_MS && failures.length === 0) {
      // a ring: node i gives its slots to node i+1, so every node is a target and a source;
      // disjoint pairs (0->1, 2->3) run at once, then (1->2, 3->0)
      const moves = nodes.flatMap((n, i) => {
        const to = nodes[(i + 1) % nodes.length]!
        return owned.get(n.id)!.map((slot) => ({slot, from: n.id, to: to.id}))
      })
      const session = await openSession(cluster.connection)
      try {
        await runMoves({session, plan: planMoves(session.topology, moves), bus: new EventBus(), engine: {parallel: 4, waveSlots: 2}})
        finalizations += moves.length
      } catch (e) {
        failures.push(`round ${round}: ${(e as Error).message}`)
      } finally {
        await session.close()
      }
      const next = new Map<string, number[]>()
      nodes.forEach((n, i) => next.set(nodes[(i + 1) % nodes.length]!.id, owned.get(n.id)!))
      for (const [k, v] of next) owned.set(k, v)
      const problems = await auditKeys(clients, cluster.state.host, snap)
      if (problems.length > 0) failures.push(`round ${round}: ${problems.join('; ')}`)
      round++
    }
    console.log(`[finalize-epoch] ${round} rounds, ${finalizations} finalizations in ${Date.now() - started} ms`)
    expect(failures).toEqual([])
    expect(finalizations).toBeGreaterThan(200)
  })
})
