// The operator's whole job with reshard alone, through the built CLI against real servers:
// scale out (add-node twice, one replica, `rebalance --check` right after, then
// `rebalance --use-empty-primaries`), scale in (remove-node of a slot-owning primary: drained,
// replicas re-pointed, forgotten by every node, check clean, every key present), and the CLI's
// sharp edges (exit codes and one-line messages).
import {spawnSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {connectNode} from '../../src/cluster/connection.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'

const KEYS = 1500

function ok(r: CliResult, what: string): void {
  expect(r.code, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0)
}

async function client(cluster: TestCluster, n: TestNode): Promise<Redis> {
  return connectNode(cluster.connection, n.host, n.port)
}

/** A key's value in a form that does not depend on encoding order (a hashtable set DUMPs in hash order). */
async function canonical(c: Redis, k: Buffer): Promise<string> {
  const type = String(await c.call('TYPE', k))
  const hex = (v: unknown): string => (Array.isArray(v) ? `[${v.map(hex).join(',')}]` : Buffer.isBuffer(v) ? v.toString('hex') : String(v))
  const ttl = Number(await c.call('PTTL', k)) > 0 ? 'ttl' : 'no-ttl'
  const read: Record<string, () => Promise<unknown>> = {
    string: () => c.callBuffer('GET', k),
    hash: async () => pairs((await c.callBuffer('HGETALL', k)) as Buffer[]),
    list: () => c.callBuffer('LRANGE', k, '0', '-1'),
    set: async () => ((await c.callBuffer('SMEMBERS', k)) as Buffer[]).map(hex).sort(),
    zset: () => c.callBuffer('ZRANGE', k, '0', '-1', 'WITHSCORES'),
    stream: () => c.callBuffer('XRANGE', k, '-', '+'),
  }
  return `${type}:${ttl}:${hex(await (read[type] ?? (() => c.callBuffer('DUMP', k)))())}`
}

function pairs(flat: Buffer[]): string[] {
  const out: string[] = []
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]!.toString('hex')}=${flat[i + 1]!.toString('hex')}`)
  return out.sort()
}

/** Every key of every primary with its canonical value, read by SCAN (hex key -> value). */
async function allKeys(cluster: TestCluster, nodes: TestNode[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const n of nodes) {
    const c = await client(cluster, n)
    try {
      if (!String(await c.call('ROLE')).startsWith('master')) continue
      let cursor = '0'
      do {
        const [next, keys] = (await c.callBuffer('SCAN', cursor, 'COUNT', '1000')) as [Buffer, Buffer[]]
        cursor = next.toString()
        for (const k of keys) {
          const key = k.toString('hex')
          if (out.has(key)) throw new Error(`key ${key} is on two primaries`)
          out.set(key, await canonical(c, k))
        }
      } while (cursor !== '0')
    } finally {
      c.disconnect()
    }
  }
  return out
}

async function nodesView(cluster: TestCluster, n: TestNode) {
  const c = await client(cluster, n)
  try {
    return parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
  } finally {
    c.disconnect()
  }
}

function redisCliCheck(seed: string): string {
  const r = spawnSync('redis-cli', ['--cluster', 'check', seed], {encoding: 'utf8', timeout: 30_000})
  return `${r.stdout}${r.stderr}`
}

describe('scale out and in with reshard alone', () => {
  let cluster: TestCluster
  let before: Map<string, string>
  let d: TestNode
  let e: TestNode
  let f: TestNode
  const outputs: string[] = []

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: KEYS})
    before = await allKeys(cluster, cluster.nodes)
    expect(before.size).toBe(KEYS)
    d = await cluster.startBareNode()
    e = await cluster.startBareNode()
    f = await cluster.startBareNode()
  }, 180_000)

  afterAll(async () => {
    await cluster?.stop()
    if (process.env.RESHARD_SHOW_OUTPUTS) process.stderr.write(outputs.join('\n'))
  })

  const cli = async (args: string[]) => {
    const r = await runCli([...args, ...cluster.cliArgs], {env: cluster.env})
    outputs.push(`$ reshard ${args.join(' ')}\n${r.stdout}${r.stderr}(exit ${r.code})\n`)
    return r
  }

  it('add-node --dry-run prints the exact MEET and changes nothing', async () => {
    const r = await cli(['add-node', d.address, '--dry-run'])
    ok(r, 'add-node --dry-run')
    expect(r.stdout).toMatch(new RegExp(`would send to 127\\.0\\.0\\.1:\\d+: CLUSTER MEET 127\\.0\\.0\\.1 ${d.port}\\b`))
    expect(await nodesView(cluster, d)).toHaveLength(1)
  })

  it('scale out: two primaries and a replica join; rebalance --check sees the empty primaries', async () => {
    const a = await cli(['add-node', d.address, '--yes'])
    ok(a, 'add-node d')
    expect(a.stdout).toMatch(/added .* as an empty primary: all 4 nodes agree/)
    const b = await cli(['add-node', e.address, '--yes', '--json'])
    ok(b, 'add-node e')
    const doc = JSON.parse(b.stdout) as {ok: boolean; node: {id: string}; knownBy: number; alreadyMember: boolean}
    expect(doc).toMatchObject({ok: true, knownBy: 5, alreadyMember: false})
    const c = await cli(['add-node', f.address, '--replica-of', d.address, '--yes'])
    ok(c, 'add-node f --replica-of d')
    expect(c.stdout).toContain('CLUSTER REPLICATE')
    // every node knows all six, and f follows d
    for (const n of [...cluster.nodes, d, e, f]) {
      const view = await nodesView(cluster, n)
      expect(view.map((l) => l.port).sort()).toEqual([...cluster.nodes, d, e, f].map((x) => x.port).sort())
      const fl = view.find((l) => l.port === f.port)!
      expect(fl.role).toBe('replica')
      expect(fl.primaryId).toBe(view.find((l) => l.port === d.port)!.id)
    }
    // re-running is safe
    const again = await cli(['add-node', d.address, '--yes'])
    ok(again, 'add-node d again')
    expect(again.stdout).toContain('already in the cluster')

    const note = await cli(['rebalance', '--check'])
    expect(note.code).toBe(0)
    expect(note.stdout).toMatch(/note: .* are empty primaries and took no part; add --use-empty-primaries/)
    const check = await cli(['rebalance', '--check', '--use-empty-primaries'])
    expect(check.code).toBe(10)

    const rb = await cli(['rebalance', '--use-empty-primaries', '--yes'])
    ok(rb, 'rebalance')
    const view = await nodesView(cluster, cluster.nodes[0]!)
    for (const p of [d, e]) expect(view.find((l) => l.port === p.port)!.slots.length).toBeGreaterThan(3000)

    // a count-based move: 6 slots, 3 from each named source, printed as ranges, then moved
    const [srcA, srcB] = cluster.nodes
    const mv = await cli(['move', '--count', '6', '--from', `${srcA!.address},${srcB!.address}`, '--to', e.address, '--yes', '--json'])
    ok(mv, 'move --count')
    const moved = JSON.parse(mv.stdout) as {picked: {count: number; from: Array<{count: number; slots: string}>}; moved: Array<{slot: number; outcome: string}>}
    expect(moved.picked.count).toBe(6)
    expect(moved.picked.from.map((x) => x.count)).toEqual([3, 3])
    expect(moved.moved.filter((x) => x.outcome === 'done')).toHaveLength(6)
    const eView = (await nodesView(cluster, e)).find((l) => l.myself)!
    for (const x of moved.moved) expect(eView.slots).toContain(x.slot)
    expect((await cli(['check'])).code).toBe(0)
    const after = await allKeys(cluster, [...cluster.nodes, d, e])
    expect(after).toEqual(before)
  }, 300_000)

  it('scale in: remove-node drains a primary, re-points its replica and every node forgets it', async () => {
    const dId = (await nodesView(cluster, d)).find((l) => l.myself)!.id
    const dry = await cli(['remove-node', dId.slice(0, 10), '--dry-run'])
    ok(dry, 'remove-node --dry-run')
    expect(dry.stdout).toContain(`CLUSTER FORGET ${dId}`)
    expect((await nodesView(cluster, cluster.nodes[0]!)).some((l) => l.id === dId)).toBe(true)

    const r = await cli(['remove-node', dId.slice(0, 10), '--yes', '--json'])
    ok(r, 'remove-node')
    const doc = JSON.parse(r.stdout) as {ok: boolean; forgottenBy: number; forgetMs: number; drained?: {moved: unknown[]}; node: {id: string}}
    expect(doc.ok).toBe(true)
    expect(doc.node.id).toBe(dId)
    expect(doc.forgottenBy).toBe(5)
    expect(doc.forgetMs).toBeLessThan(60_000)
    expect(doc.drained?.moved.length).toBeGreaterThan(3000)
    const rest = [...cluster.nodes, e, f]
    for (const n of rest) {
      const view = await nodesView(cluster, n)
      expect(view.some((l) => l.id === dId), `${n.address} still knows the removed node`).toBe(false)
    }
    // the replica follows a primary that is still in the cluster
    const fl = (await nodesView(cluster, f)).find((l) => l.myself)!
    expect(fl.role).toBe('replica')
    expect((await nodesView(cluster, cluster.nodes[0]!)).find((l) => l.id === fl.primaryId)?.role).toBe('primary')
    // the removed node was reset: it knows only itself and holds nothing
    expect(await nodesView(cluster, d)).toHaveLength(1)
    expect((await cli(['check'])).code).toBe(0)
    expect(redisCliCheck(cluster.seeds[0]!)).toContain('[OK] All 16384 slots covered')
    expect(await allKeys(cluster, [...cluster.nodes, e])).toEqual(before)
  }, 300_000)

  it('remove-node --shutdown stops a removed replica', async () => {
    const r = await cli(['remove-node', f.address, '--shutdown', '--yes'])
    ok(r, 'remove-node --shutdown')
    expect(r.stdout).toMatch(/removed .*: forgotten by all 4 other node\(s\).*the node was shut down/)
    await expect(client(cluster, f)).rejects.toThrow(/cannot connect|connection refused|did not answer/i)
  }, 180_000)

  it('refuses bad input and foreign nodes without changing anything', async () => {
    const bad = await cli(['add-node', 'nohost', '--yes'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^Error: "nohost" is not a host:port address\n/)
    const noYes = await cli(['add-node', d.address])
    expect(noYes.code).toBe(2)
    expect(noYes.stderr).toContain('without --yes')
    // a node that owns slots of its own belongs to another cluster
    const g = await cluster.startBareNode()
    const c = await client(cluster, g)
    await c.call('CLUSTER', 'ADDSLOTS', '1', '2', '3')
    c.disconnect()
    const foreign = await cli(['add-node', g.address, '--yes'])
    expect(foreign.code).toBe(3)
    expect(foreign.stderr).toContain('already belongs to a cluster with slots')
    const unknown = await cli(['remove-node', 'nosuchnode', '--yes'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown node to remove "nosuchnode"/)
    // a primary that owns slots refuses to become a replica
    const primary = await cli(['add-node', e.address, '--replica-of', cluster.nodes[0]!.address, '--yes'])
    expect(primary.code).toBe(3)
  }, 180_000)
})

describe('CLI edges (no cluster needed)', () => {
  const env = {...process.env, RESHARD_CLUSTER: '127.0.0.1:1', NO_COLOR: '1'}
  it.each([
    {args: ['mvoe', '100', '--to', 'nodeB'], line: 'Error: unknown command "mvoe"; did you mean "move"?', hint: 'run `reshard move 100 --to nodeB`'},
    {args: ['move', '100', '--too', 'nodeB'], line: 'Error: Nonexistent flag: --too; did you mean --to?', hint: 'reshard move --help'},
    {args: ['move', '100'], line: 'Error: missing --to: name the primary that takes the slots', hint: '`reshard move 100 --to nodeB`'},
    {args: ['move', '--to', 'nodeB'], line: 'Error: no slots given: say which slots to move, or how many', hint: '`reshard move --count 100 --to nodeB`'},
    {args: ['move', '1-5', '--count', '5', '--to', 'nodeB'], line: 'Error: give slots or --count, not both', hint: 'reshard move --count 5'},
  ])('$args -> exit 2, one line and the fix', async ({args, line, hint}) => {
    const r = await runCli(args, {env})
    expect(r.code).toBe(2)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe(line)
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain(hint)
    expect(r.stdout).toBe('')
  })

  it('an unknown command under --json is one usage document', async () => {
    const r = await runCli(['stauts', '--json'], {env})
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ok: false, error: {kind: 'usage', exitCode: 2, suggestion: 'status'}})
  })

  it('every help lists exit code 130 (a declined confirmation)', async () => {
    for (const cmd of ['move', 'add-node', 'remove-node', 'rebalance']) {
      const r = await runCli([cmd, '--help'], {env})
      expect(r.stdout).toMatch(/130 {2}cancelled at a confirmation or question: nothing was changed/)
    }
  })
})
