// plan / apply / rebalance / drain from the built CLI against one real cluster, in order:
// a new empty primary is balanced in, two disjoint pairs run concurrently, a stale plan is
// refused, a plan applied twice moves nothing the second time, and a primary is drained.
// Every step that moves slots proves nothing was lost: same key count, same DUMP of a sample.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {connectNode} from '../../src/cluster/connection.js'
import {parsePlan, type Plan} from '../../src/planner/index.js'
import {seedKeySpec} from '../../src/sandbox/seed.js'
import {parseClusterNodes, type NodeLine} from '../../src/topology/cluster-nodes.js'
import {clusterNodesOfAll, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'

const KEYS = 12_000
/** Every 37th seeded key: ~320 keys of every type, with TTLs and binary names among them. */
const SAMPLE = Array.from({length: Math.floor(KEYS / 37)}, (_, i) => i * 37)

interface Ev {
  type: string
  from?: string
  to?: string
  slot?: number
  parallel?: number
  pairs?: Array<{from: string; to: string; slots: number; keys: number}>
  nodes?: Record<string, string>
}

function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}

function events(r: CliResult): Ev[] {
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Ev)
}

describe('plan, apply, rebalance, drain (3 primaries + 1 added, 12000 keys)', () => {
  let cluster: TestCluster
  let dir: string
  let nodeA: TestNode, nodeB: TestNode, nodeC: TestNode, nodeD: TestNode
  const clients = new Map<number, Promise<Redis>>()
  let dumps: Map<number, string | null>

  const cli = (...args: string[]) => runCli([...args, ...cluster.cliArgs], {env: cluster.env, timeoutMs: 60_000})
  const client = (port: number): Promise<Redis> => {
    let c = clients.get(port)
    if (!c) clients.set(port, (c = connectNode(cluster.connection, '127.0.0.1', port)))
    return c
  }
  /** The cluster as node A sees it (after a verified run every node agrees). */
  const lines = async (): Promise<NodeLine[]> => parseClusterNodes(String(await (await client(nodeA.port)).call('CLUSTER', 'NODES')))
  const slotsByPort = async () => new Map((await lines()).filter((l) => l.role === 'primary').map((l) => [l.port, l.slots.length]))
  /** Keys over the primaries (a replica holds copies); each node says its own role (gossip lags). */
  const totalKeys = async () => {
    let n = 0
    for (const node of cluster.nodes) {
      const c = await client(node.port)
      const role = (await c.call('ROLE')) as [string, ...unknown[]]
      if (role[0] === 'master') n += Number(await c.call('DBSIZE'))
    }
    return n
  }
  /**
   * Per sampled key, on the primary that owns its slot now: its DUMP, and whether it has a TTL.
   * Redis 7.0 DUMPs a hashtable-encoded set in hash order, which RESTORE may change: for sets the
   * sorted members stand in for the DUMP.
   */
  const dumpSample = async () => {
    const owner = new Array<number>(16384)
    for (const l of (await lines()).filter((x) => x.role === 'primary')) for (const s of l.slots) owner[s] = l.port
    const out = new Map<number, string | null>()
    // All at once: commands on one connection are pipelined.
    await Promise.all(
      SAMPLE.map(async (i) => {
        const spec = seedKeySpec(i)
        const c = await client(owner[spec.slot]!)
        const [dump, pttl, members] = await Promise.all([
          c.callBuffer('DUMP', spec.key) as Promise<Buffer | null>,
          c.call('PTTL', spec.key),
          spec.type === 'set' ? (c.callBuffer('SMEMBERS', spec.key) as Promise<Buffer[]>) : Promise.resolve([]),
        ])
        if (dump === null) return void out.set(i, null)
        const body = spec.type === 'set' ? members.map((b) => b.toString('hex')).sort().join(',') : dump.toString('hex')
        out.set(i, `${spec.type}:${Number(pttl) > 0 ? 'ttl' : 'persistent'}:${body}`)
      }),
    )
    return out
  }
  const expectNothingLost = async () => {
    expect(await totalKeys()).toBe(KEYS)
    const now = await dumpSample()
    const changed = SAMPLE.filter((i) => now.get(i) === null || now.get(i) !== dumps.get(i))
    expect(changed, `keys whose DUMP changed or vanished: ${changed.slice(0, 10).join(', ')}`).toEqual([])
  }
  const expectCheckOk = async () => {
    const r = await cli('check')
    expect(r.code, r.stdout + r.stderr).toBe(0)
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reshard-plans-'))
    cluster = await startTestCluster({primaries: 3, keys: KEYS})
    ;[nodeA, nodeB, nodeC] = cluster.nodes as [TestNode, TestNode, TestNode]
    nodeD = await cluster.addEmptyPrimary()
    dumps = await dumpSample()
    expect([...dumps.values()].every((d) => d !== null)).toBe(true)
  })

  afterAll(async () => {
    for (const c of clients.values()) (await c.catch(() => undefined))?.disconnect()
    await cluster?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('rebalance --check exits 10 while the new primary is empty, and changes nothing', async () => {
    const before = await clusterNodesOfAll(cluster)
    const r = await cli('rebalance', '--check', '--use-empty-primaries', '--json')
    expect(r.code, r.stderr).toBe(10)
    const doc = json<{ok: boolean; movesNeeded: boolean; moves: number; spread: Plan['spread']; pairs: unknown[]}>(r)
    expect(doc).toMatchObject({ok: false, movesNeeded: true})
    expect(doc.moves).toBeGreaterThanOrEqual(4095)
    expect(doc.moves).toBeLessThanOrEqual(4097)
    expect(doc.spread.after.slots).toBeLessThanOrEqual(1)
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
  })

  it('plan rebalance prints tables, --json prints exactly the document -o writes', async () => {
    const file = join(dir, 'rebalance.json')
    const human = await cli('plan', 'rebalance', '--use-empty-primaries', '-o', file)
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^FROM\s+TO\s+SLOTS\s+COUNT\s+KEYS$/m)
    expect(human.stdout).toMatch(/^nodeA\s+->\s+nodeD\s+\d+-5461\s+\d+\s+\d+$/m)
    expect(human.stdout).toMatch(/^PRIMARY\s+ADDRESS\s+ID\s+WEIGHT\s+SLOTS BEFORE\s+SLOTS AFTER\s+CHANGE\s+KEYS BEFORE\s+KEYS AFTER$/m)
    expect(human.stdout).toMatch(/^nodeD\s+127\.0\.0\.1:\d+\s+[0-9a-f]{8}\s+1\s+0\s+409[56]\s+\+409[56]/m)
    expect(human.stdout).toContain(`reshard apply ${file}`)
    const r = await cli('plan', 'rebalance', '--use-empty-primaries', '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(readFileSync(file, 'utf8'))
    const plan = parsePlan(r.stdout)
    expect(plan.kind).toBe('rebalance')
    expect(plan.totals.keys).toBeGreaterThan(0)
    expect(new Set(plan.moves.map((m) => m.to))).toEqual(new Set([nodeD.id]))
  })

  it('rebalance --use-empty-primaries --yes: every primary within one slot of 4096, nothing lost, check OK', async () => {
    const r = await cli('rebalance', '--use-empty-primaries', '--yes', '--json')
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    const doc = json<{ok: boolean; moved: Array<{outcome: string}>; verified: boolean; plan: {kind: string; moves: number}}>(r)
    expect(doc.ok).toBe(true)
    expect(doc.verified).toBe(true)
    expect(doc.moved.length).toBe(doc.plan.moves)
    expect(doc.moved.every((m) => m.outcome === 'done')).toBe(true)
    const slots = await slotsByPort()
    expect([...slots.keys()].sort()).toEqual([nodeA.port, nodeB.port, nodeC.port, nodeD.port].sort())
    for (const [port, n] of slots) expect(Math.abs(n - 4096), `port ${port} has ${n} slots`).toBeLessThanOrEqual(1)
    await expectNothingLost()
    await expectCheckOk()
    const again = await cli('rebalance', '--check', '--use-empty-primaries')
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^OK: the primaries are within the 2% threshold/m)
  })

  it('a rebalance with two disjoint pairs runs them concurrently and loses nothing', async () => {
    // B and D give to A and C (weights 1.1): two pairs that share no node.
    const r = await cli('rebalance', '--weight', 'nodeA=1.1', '--weight', `${nodeC.address}=1.1`, '--yes', '--json')
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    const ev = events(r)
    const started = ev.find((e) => e.type === 'run-started')!
    expect(started.pairs).toHaveLength(2)
    expect(started.parallel).toBe(2)
    expect(new Set(started.pairs!.flatMap((p) => [started.nodes![p.from], started.nodes![p.to]]))).toEqual(new Set(['nodeA', 'nodeB', 'nodeC', 'nodeD']))
    // Interleaved: events of pair 2 occur between events of pair 1, and the other way round.
    const seq = ev.filter((e) => e.type === 'slot-state' || e.type === 'keys-moved').map((e) => `${e.from}>${e.to}`)
    const pairKeys = [...new Set(seq)]
    expect(pairKeys).toHaveLength(2)
    const [p1, p2] = pairKeys as [string, string]
    expect(seq.filter((k) => k === p1).length).toBeGreaterThan(10)
    expect(seq.filter((k) => k === p2).length).toBeGreaterThan(10)
    const first = (k: string) => seq.indexOf(k)
    const last = (k: string) => seq.lastIndexOf(k)
    expect(first(p2), 'pair 2 starts before pair 1 ends').toBeLessThan(last(p1))
    expect(first(p1), 'pair 1 starts before pair 2 ends').toBeLessThan(last(p2))
    let switches = 0
    for (let i = 1; i < seq.length; i++) if (seq[i] !== seq[i - 1]) switches++
    expect(switches).toBeGreaterThan(2)
    const doc = json<{ok: boolean; moved: Array<{outcome: string}>}>(r)
    expect(doc.ok).toBe(true)
    expect(doc.moved.every((m) => m.outcome === 'done')).toBe(true)
    const slots = await slotsByPort()
    expect(slots.get(nodeA.port)).toBeGreaterThan(slots.get(nodeB.port)! + 100)
    expect(slots.get(nodeC.port)).toBeGreaterThan(slots.get(nodeD.port)! + 100)
    await expectNothingLost()
  })

  it('a stale plan (a slot moved elsewhere in between) exits 4 and changes nothing', async () => {
    const file = join(dir, 'stale.json')
    const owned = (await lines()).find((l) => l.port === nodeB.port)!.slots.slice(0, 10)
    const made = await cli('plan', 'move', `${owned[0]}-${owned[9]}`, '--to', 'nodeC', '-o', file)
    expect(made.code, made.stderr).toBe(0)
    expect(owned[9]! - owned[0]!).toBe(9)
    const moved = await cli('move', `${owned[0]}-${owned[2]}`, '--to', 'nodeA', '--yes', '--quiet')
    expect(moved.code, moved.stderr).toBe(0)
    const before = await clusterNodesOfAll(cluster)
    const r = await cli('apply', file, '--yes', '--json')
    expect(r.code, r.stderr).toBe(4)
    const doc = json<{ok: boolean; error: {kind: string; differences: string[]}}>(r)
    expect(doc.ok).toBe(false)
    expect(doc.error.kind).toBe('stale_plan')
    expect(doc.error.differences).toEqual([`slots ${owned[0]}-${owned[2]} (3): planned nodeB -> nodeC, now owned by nodeA`])
    // A plan for another cluster (none of its node ids is here), in human output: every difference listed.
    const other = readFileSync(file, 'utf8').replace(/"([0-9a-f]{40})"/g, (_, id: string) => `"${[...id].reverse().join('')}"`)
    const otherFile = join(dir, 'other.json')
    writeFileSync(otherFile, other)
    const r2 = await cli('apply', otherFile, '--yes')
    expect(r2.code, r2.stderr).toBe(4)
    expect(r2.stderr).toMatch(/^Error: the plan is stale: 5 difference\(s\)/m)
    expect(r2.stderr).toMatch(/^  - the plan was made for another cluster/m)
    expect(r2.stderr.match(/^  - node [0-9a-f]{8} \(node[ABCD], 127\.0\.0\.1:\d+\) is not in this cluster$/gm)).toHaveLength(4)
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
  })

  it('apply refuses without --yes when stdin is not a terminal; applied twice, the second run moves nothing', async () => {
    const file = join(dir, 'rebalance-2.json')
    const made = await cli('plan', 'rebalance', '-o', file, '--json')
    expect(made.code, made.stderr).toBe(0)
    const plan = parsePlan(readFileSync(file, 'utf8'))
    expect(plan.moves.length).toBeGreaterThan(100)
    const before = await clusterNodesOfAll(cluster)
    const refused = await cli('apply', file)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--yes/)
    expect(await clusterNodesOfAll(cluster)).toEqual(before)

    const first = await cli('apply', file, '--yes', '--json')
    expect(first.code, first.stderr.slice(-2000)).toBe(0)
    const d1 = json<{ok: boolean; moved: unknown[]; skipped: unknown[]; plan: {alreadyDone: number}}>(first)
    expect(d1.ok).toBe(true)
    expect(d1.moved).toHaveLength(plan.moves.length)
    expect(d1.plan.alreadyDone).toBe(0)

    const second = await cli('apply', file, '--yes', '--json')
    expect(second.code, second.stderr).toBe(0)
    const d2 = json<{ok: boolean; moved: unknown[]; skipped: Array<{reason: string}>; plan: {alreadyDone: number}}>(second)
    expect(d2.ok).toBe(true)
    expect(d2.moved).toEqual([])
    expect(d2.skipped).toHaveLength(plan.moves.length)
    expect(d2.plan.alreadyDone).toBe(plan.moves.length)
    await expectNothingLost()
  })

  it('drain NODE: the node ends with no slot and no key, the report says what became of it, nothing lost', async () => {
    const r = await cli('drain', 'nodeD', '--yes', '--json')
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    const doc = json<{ok: boolean; drained: {name: string; role: string; primary?: string; slots: number; message: string}; moved: unknown[]}>(r)
    expect(doc.ok).toBe(true)
    expect(doc.drained).toMatchObject({name: 'nodeD', slots: 0})
    // The node's own view: the others learn its new role by gossip.
    const me = parseClusterNodes(String(await (await client(nodeD.port)).call('CLUSTER', 'NODES'))).find((l) => l.myself)!
    expect(me.slots).toEqual([])
    if (me.role === 'primary') {
      expect(doc.drained.role).toBe('primary')
      expect(Number(await (await client(nodeD.port)).call('DBSIZE'))).toBe(0)
      expect(doc.drained.message).toMatch(/is an empty primary/)
    } else {
      // Redis made it a replica of the new owner of its last slot.
      expect(doc.drained.role).toBe('replica')
      expect(doc.drained.message).toMatch(/^nodeD now has no slots and is a replica of node[ABC]$/)
    }
    const slots = await slotsByPort()
    expect([...slots.values()].reduce((a, b) => a + b, 0)).toBe(16384)
    expect(slots.get(nodeD.port) ?? 0).toBe(0)
    await expectNothingLost()
    await expectCheckOk()
  })
})
