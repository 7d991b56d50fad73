// Deadlines everywhere (issue 11 item 5): a node that accepts TCP but never answers (SIGSTOP, a
// frozen VM) is a verdict named by address, in bounded time: `status`/`check` exit 3, commands
// that would change the cluster refuse in preflight with exit 3 and change nothing, and a move
// whose target freezes half-way stops with exit 5 naming the open slots. Every stopped node is
// SIGCONTed in a finally.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {clusterNodesOfAll, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'
import {clientsOf, closeClients, range} from './helpers/key-audit.js'
import {spawnCli} from './helpers/cli-process.js'

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`

async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult & {ms: number}> {
  const t0 = Date.now()
  const r = await runCli(args, {env, timeoutMs: 60_000})
  return {...r, ms: Date.now() - t0}
}

describe('hung nodes: bounded time, named by address', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  const node = (h: string): TestNode => cluster.nodes.find((n) => n.hostname === h)!
  const stopped = new Set<number>()
  const freeze = (n: TestNode) => {
    process.kill(n.pid, 'SIGSTOP')
    stopped.add(n.pid)
  }
  const thaw = () => {
    for (const pid of stopped) process.kill(pid, 'SIGCONT')
    stopped.clear()
  }
  /** Every node's view, without the nofailover flag (set by this test, gossiped lazily). */
  const layout = async () => Object.fromEntries(Object.entries(await clusterNodesOfAll(cluster)).map(([k, v]) => [k, v.replace(/,nofailover/g, '')]))
  /** After a thaw: until no node flags another as failing (gossip clears it within seconds). */
  const settled = async () => {
    const deadline = Date.now() + 30_000
    for (;;) {
      const views = Object.values(await clusterNodesOfAll(cluster))
      if (!views.some((v) => /fail/.test(v.replace(/nofailover/g, '')))) return
      if (Date.now() > deadline) throw new Error(`nodes still flag a failure:\n${views.join('\n')}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 1})
    clients = await clientsOf(cluster)
    // a frozen primary must stay frozen, not be failed over, while the test looks at it
    for (const n of cluster.nodes.filter((x) => x.role === 'replica')) await clients.get(n.address)!.call('CONFIG', 'SET', 'cluster-replica-no-failover', 'yes')
    await cluster.seed({count: 3000, slots: range(100, 129), prefix: 'hung', mix: 'strings'})
  })

  afterAll(async () => {
    thaw()
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('one stopped replica: status and check exit 3 naming it within the deadline; move refuses (exit 3) and changes nothing', async () => {
    const replica = cluster.nodes.find((n) => n.role === 'replica')!
    const before = await layout()
    freeze(replica)
    try {
      const env = cluster.env
      const st = await timed(['status', '--timeout', '1'], env)
      expect(st.code, show(st)).toBe(3)
      expect(st.ms).toBeLessThan(15_000)
      const ck = await timed(['check', '--timeout', '1'], env)
      expect(ck.code, show(ck)).toBe(3)
      expect(ck.stdout).toContain(`${replica.address} did not answer within 1 s`)
      expect(ck.ms).toBeLessThan(15_000)
      const mv = await timed(['move', '100-129', '--to', 'nodeB', '--yes', '--timeout', '1'], env)
      expect(mv.code, show(mv)).toBe(3)
      expect(mv.stderr).toMatch(new RegExp(`replica ${replica.hostname} \\(.*${replica.address}\\) does not answer.*nothing was changed`))
      expect(mv.ms).toBeLessThan(15_000)
    } finally {
      thaw()
    }
    await settled()
    expect(await layout()).toEqual(before)
  })

  it('a stopped primary as the seed and as a target: exit 3 by address, nothing changed', async () => {
    const c = node('nodeC')
    const before = await layout()
    freeze(c)
    try {
      const only = {...cluster.env, RESHARD_CLUSTER: c.address}
      const st = await timed(['status', '--timeout', '1'], only)
      expect(st.code, show(st)).toBe(3)
      expect(st.stderr).toContain(`${c.address} did not answer within 1 s`)
      const mv = await timed(['move', '100-129', '--to', 'nodeC', '--yes', '--timeout', '1'], cluster.env)
      expect(mv.code, show(mv)).toBe(3)
      expect(mv.stderr).toMatch(/primary nodeC .* is unreachable .*did not answer within 1 s.*nothing was changed/)
      expect(mv.ms).toBeLessThan(15_000)
    } finally {
      thaw()
    }
    await settled()
    expect(await layout()).toEqual(before)
  })

  it('the target freezes mid-move: exit 5 in bounded time with the open slots named; recover repairs after it resumes', async () => {
    const b = node('nodeB')
    const live = spawnCli(['move', '100-129', '--to', 'nodeB', '--yes', '--json', '--timeout', '1', '--migrate-timeout', '1000', '--max-keys-per-second', '500'], {env: cluster.env, timeoutMs: 120_000})
    let t0 = 0
    try {
      await live.waitFor((e) => e.type === 'keys-moved' || e.type === 'slot-progress', 30_000)
      freeze(b)
      t0 = Date.now()
      const r = await live.done
      const ms = Date.now() - t0
      expect(r.code, show(r)).toBe(5)
      expect(ms).toBeLessThan(60_000)
      const doc = JSON.parse(r.stdout) as {error: {open: Array<{slot: number}>; message: string}}
      expect(doc.error.open.length).toBeGreaterThan(0)
      expect(doc.error.message).toMatch(/slots left open: \d+/)
    } finally {
      thaw()
    }
    await settled()
    const rec = await runCli(['recover', '--yes'], {env: cluster.env, timeoutMs: 60_000})
    expect(rec.code, show(rec)).toBe(0)
    const ck = await runCli(['check'], {env: cluster.env})
    expect(ck.code, show(ck)).toBe(0)
  })
})
