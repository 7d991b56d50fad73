// The sandbox starts a real, healthy cluster with the layout and data the other tests rely on,
// and stops exactly its processes.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {connectNode} from '../../src/cluster/connection.js'
import {findFreePortRange} from '../../src/sandbox/ports.js'
import {isPidAlive, waitForExit} from '../../src/sandbox/process.js'
import {SEED_TYPES} from '../../src/sandbox/seed.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {clusterNodesOfAll, runCli, startTestCluster, type TestCluster} from './helpers/cluster.js'

const KEYS = 2000

describe('sandbox (3 primaries, 1 replica each, 2000 keys)', () => {
  let cluster: TestCluster
  const clients = new Map<number, Redis>()
  const client = (port: number) => clients.get(port)!

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 1, keys: KEYS})
    for (const n of cluster.nodes) clients.set(n.port, await connectNode(cluster.connection, n.host, n.port))
  })

  afterAll(async () => {
    for (const c of clients.values()) c.disconnect()
    await cluster?.stop()
  })

  it('starts 6 nodes on free loopback ports, hostnames nodeA..nodeF', () => {
    expect(cluster.nodes).toHaveLength(6)
    expect(cluster.nodes.map((n) => n.hostname)).toEqual(['nodeA', 'nodeB', 'nodeC', 'nodeD', 'nodeE', 'nodeF'])
    expect(cluster.seeds).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.port}`))
    expect(cluster.nodes.every((n) => isPidAlive(n.pid))).toBe(true)
    expect(cluster.env.RESHARD_CLUSTER).toBe(cluster.seeds.join(','))
    expect(cluster.env.RESHARD_SANDBOX_STATE).toMatch(/no-sandbox-here\.json$/)
  })

  it('every node reports cluster_state:ok', async () => {
    for (const n of cluster.nodes) {
      const info = String(await client(n.port).call('CLUSTER', 'INFO'))
      expect(info, `${n.address}`).toMatch(/cluster_state:ok/)
      expect(info).toMatch(/cluster_known_nodes:6\b/)
    }
  })

  it('all nodes agree: 3 primaries with even slot ranges, each with one replica, hostnames announced', async () => {
    const views = await clusterNodesOfAll(cluster)
    // Same lines everywhere, apart from which one is "myself".
    const normalised = new Set(Object.values(views).map((v) => v.replace(/myself,/g, '')))
    expect(normalised.size).toBe(1)
    const lines = parseClusterNodes(String(await client(cluster.nodes[0]!.port).call('CLUSTER', 'NODES')))
    const primaries = lines.filter((l) => l.role === 'primary').sort((a, b) => a.port - b.port)
    expect(primaries.map((p) => [p.hostname, p.slots[0], p.slots.at(-1)])).toEqual([
      ['nodeA', 0, 5461],
      ['nodeB', 5462, 10922],
      ['nodeC', 10923, 16383],
    ])
    const replicas = lines.filter((l) => l.role === 'replica')
    expect(replicas).toHaveLength(3)
    for (const p of primaries) expect(replicas.filter((r) => r.primaryId === p.id)).toHaveLength(1)
  })

  it(`seeded ${KEYS} keys: every data type, some TTLs, some binary (non-UTF-8) names`, async () => {
    expect(cluster.seeded?.count).toBe(KEYS)
    const primaries = cluster.nodes.filter((n) => n.role === 'primary')
    let total = 0
    const types = new Set<string>()
    let withTtl = 0
    let binary = 0
    for (const p of primaries) {
      const c = client(p.port)
      total += Number(await c.call('DBSIZE'))
      let cursor = '0'
      do {
        const [next, keys] = (await c.callBuffer('SCAN', cursor, 'COUNT', 1000)) as [Buffer, Buffer[]]
        cursor = next.toString()
        for (const k of keys) {
          if (!Buffer.from(k.toString('utf8'), 'utf8').equals(k)) binary++
          if (types.size < SEED_TYPES.length || withTtl < 10) {
            types.add(String(await c.call('TYPE', k)))
            if (Number(await c.call('PTTL', k)) > 0) withTtl++
          }
        }
      } while (cursor !== '0')
    }
    expect(total).toBe(KEYS)
    expect([...types].sort()).toEqual(['hash', 'list', 'set', 'stream', 'string', 'zset'])
    expect(withTtl).toBeGreaterThan(0)
    expect(binary).toBeGreaterThan(0)
    expect(binary).toBe(cluster.seeded?.binaryNames)
  })

  it('replicas hold their primary\'s keys', async () => {
    const deadline = Date.now() + 10_000
    for (const r of cluster.state.nodes.filter((n) => n.role === 'replica')) {
      const primary = cluster.state.nodes.find((n) => n.port === r.primaryPort)!
      const want = Number(await client(primary.port).call('DBSIZE'))
      let got = -1
      while (Date.now() < deadline && got !== want) {
        got = Number(await client(r.port).call('DBSIZE'))
        if (got !== want) await new Promise((res) => setTimeout(res, 50))
      }
      expect(got, `${r.hostname} replicates ${primary.hostname}`).toBe(want)
    }
  })

  it('the CLI reaches the cluster through the harness env, with stdin not a TTY', async () => {
    const r = await runCli(['sandbox', 'status', '--json'], {env: cluster.env})
    expect(r.code).toBe(0)
    // The harness never points the CLI at a recorded sandbox.
    expect(JSON.parse(r.stdout)).toMatchObject({ok: true, running: false})
  })

  it('stop() ends every process (by PID) and removes the temp dir', async () => {
    const pids = cluster.nodes.map((n) => n.pid)
    for (const c of clients.values()) c.disconnect()
    clients.clear()
    await cluster.stop()
    expect(await waitForExit(pids, 5000)).toEqual([])
    expect(pids.filter(isPidAlive)).toEqual([])
    expect(existsSync(cluster.dir)).toBe(false)
  })
})

describe('sandbox with --password and --tls, plus an added empty primary', () => {
  let cluster: TestCluster

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, password: true, tls: true, keys: 300})
  })

  afterAll(async () => {
    await cluster?.stop()
  })

  it('never puts the password on a command line, and requires it', async () => {
    expect(cluster.password).toBeTruthy()
    for (const n of cluster.nodes) {
      const cmdline = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8')
      expect(cmdline).not.toContain(cluster.password!)
    }
    const noAuth = {...cluster.connection, password: undefined}
    await expect(connectNode(noAuth, '127.0.0.1', cluster.nodes[0]!.port)).rejects.toThrow(/requires a password/)
  })

  it('serves TLS only, and redis-cli --cluster check passes with the CA', () => {
    const out = execFileSync('redis-cli', ['--tls', '--cacert', cluster.tls!.caCert, '--cluster', 'check', cluster.seeds[0]!], {
      env: {...process.env, REDISCLI_AUTH: cluster.password},
      encoding: 'utf8',
    })
    expect(out).toMatch(/\[OK\] All 16384 slots covered/)
    expect(out).toMatch(/300 keys in 3 masters/)
  })

  it('addEmptyPrimary() meets a 4th primary with no slots, known to every node', async () => {
    const node = await cluster.addEmptyPrimary()
    expect(node.hostname).toBe('nodeD')
    expect(cluster.nodes).toHaveLength(4)
    const views = await clusterNodesOfAll(cluster)
    expect(Object.keys(views)).toHaveLength(4)
    for (const text of Object.values(views)) {
      const line = text.split('\n').find((l) => l.startsWith(node.id))
      expect(line).toBeDefined()
      expect(line).toMatch(/,nodeD (myself,)?master - \d+$/)
    }
    expect(cluster.env.RESHARD_CLUSTER).toContain(node.address)
  })
})

describe('reshard sandbox up|status|down (the CLI)', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  let port: number

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reshard-cli-sandbox-'))
    port = await findFreePortRange(6)
    env = {...process.env, RESHARD_SANDBOX_STATE: join(dir, 'sandbox.json'), NO_COLOR: '1'}
    delete env.REDISCLI_AUTH
    delete env.RESHARD_CLUSTER
  })

  afterAll(async () => {
    // If a step failed half-way, stop what the state file still records.
    await runCli(['sandbox', 'down'], {env})
    rmSync(dir, {recursive: true, force: true})
  })

  it('up starts, records and prints the nodes; a second up is refused; down stops exactly them', async () => {
    const up = await runCli(['sandbox', 'up', '--port', String(port), '--keys', '500', '--dir', join(dir, 'data'), '--json'], {env})
    expect(up.code, up.stderr).toBe(0)
    const doc = JSON.parse(up.stdout)
    expect(doc.nodes.map((n: {hostname: string}) => n.hostname)).toEqual(['nodeA', 'nodeB', 'nodeC'])
    expect(doc.nodes.every((n: {alive: boolean; clusterState: string}) => n.alive && n.clusterState === 'ok')).toBe(true)
    expect(doc.seeded.count).toBe(500)
    const pids: number[] = doc.nodes.map((n: {pid: number}) => n.pid)

    const again = await runCli(['sandbox', 'up', '--port', String(port)], {env})
    expect(again.code).toBe(3)
    expect(again.stderr).toMatch(/already running/)
    expect(again.stderr).not.toMatch(/\n\s+at /) // no stack trace

    const status = await runCli(['sandbox', 'status'], {env})
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/nodeB\s+127\.0\.0\.1:\d+\s+primary\s+5462-10922/)

    const down = await runCli(['sandbox', 'down', '--json'], {env})
    expect(down.code).toBe(0)
    expect(JSON.parse(down.stdout).stopped.map((s: {result: string}) => s.result)).toEqual(['stopped', 'stopped', 'stopped'])
    expect(await waitForExit(pids, 5000)).toEqual([])
    expect(existsSync(join(dir, 'sandbox.json'))).toBe(false)
    expect(existsSync(join(dir, 'data'))).toBe(false)
  })

  it('a busy port is refused with exit 3 and a hint', async () => {
    const blocker = createServer().listen(port + 1, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    try {
      const r = await runCli(['sandbox', 'up', '--port', String(port)], {env})
      expect(r.code).toBe(3)
      expect(r.stderr).toMatch(new RegExp(`port ${port + 1}\\b.*in use`))
    } finally {
      blocker.close()
    }
  })

  it('a missing redis-server says how to install it', async () => {
    const r = await runCli(['sandbox', 'up', '--port', String(port), '--redis-server', join(dir, 'no-such-redis-server')], {env})
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/not an executable file/)
    expect(r.stderr).toMatch(/install Redis 7/)
  })
})
