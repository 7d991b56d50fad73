// A target frozen (SIGSTOP) longer than the MIGRATE timeout (issue 11 item 5): the batch that
// timed out sits in the frozen target's socket buffer and is applied when it resumes, while the
// source kept those keys and clients kept writing them there. The run stops (exit 5, slot open);
// `recover` then keeps the copy clients last wrote (the source serves every key it holds) over
// the late, unreachable copy: it decides the slot, every acknowledged write is there, check 0.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {runCli, startTestCluster, type TestCluster, type TestNode} from './helpers/cluster.js'
import {keysMoved, spawnCli} from './helpers/cli-process.js'
import {auditKeys, clientsOf, closeClients, snapshotKeys} from './helpers/key-audit.js'
import {startLiveWriter} from './helpers/live-writer.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const SLOT = 1000

describe('a target frozen longer than the MIGRATE timeout', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  let nodeA: TestNode
  let nodeB: TestNode

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: Number(process.env.RESHARD_TEST_REPLICAS ?? 0)})
    clients = await clientsOf(cluster)
    nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    nodeB = cluster.nodes.find((n) => n.hostname === 'nodeB')!
    await cluster.seed({count: 1500, slots: [SLOT], prefix: 'fz', mix: 'strings'})
  })

  afterAll(async () => {
    try {
      if (nodeB) process.kill(nodeB.pid, 'SIGCONT')
    } catch {
      /* gone */
    }
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('the late batch leaves no second live copy that recover cannot decide; nothing lost', async () => {
    const snap = await snapshotKeys(clients, [SLOT])
    // few workers, each rewriting a handful of keys: the batches carry keys clients keep writing
    const writer = await startLiveWriter({host: nodeA.host, port: nodeA.port}, [SLOT], {workers: 4, overwrite: 40})
    let frozen = false
    try {
      await sleep(1500)
      const cli = spawnCli(['move', String(SLOT), '--to', 'nodeB', '--yes', '--json', '--batch-size', '100', '--migrate-timeout', '300'], {env: cluster.env})
      await cli.waitFor(keysMoved(SLOT))
      process.kill(nodeB.pid, 'SIGSTOP')
      frozen = true
      const end = await cli.done
      expect(end.code, end.stderr.slice(-2000)).toBe(5)
      // the source keeps serving (and clients keep writing) the keys of the timed-out batch
      await sleep(800)
      process.kill(nodeB.pid, 'SIGCONT')
      frozen = false
      await sleep(800)
      const rec = await runCli(['recover', '--yes', '--json'], {env: cluster.env, timeoutMs: 60_000})
      expect(rec.code, `recover: ${rec.stdout.slice(-3000)}\n${rec.stderr.slice(-2000)}`).toBe(0)
      await sleep(300)
    } finally {
      if (frozen) process.kill(nodeB.pid, 'SIGCONT')
      await writer.stop()
    }
    console.log(`[frozen-target] ${writer.ops()} ops, ${writer.acked.size} acked keys, ${writer.errors.length} client errors`)
    expect(writer.nilReads.slice(0, 10), `${writer.nilReads.length} nil reads`).toEqual([])
    expect(await writer.audit()).toEqual([])
    expect(await auditKeys(clients, cluster.state.host, snap, {othersAllowed: true})).toEqual([])
    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, check.stdout + check.stderr).toBe(0)
  })
})
