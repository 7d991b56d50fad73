// `reshard move` against real sandbox clusters, through the built CLI (bin/run.js): every key
// arrives with its value and TTL, the source keeps none, every node agrees on the owner,
// `redis-cli --cluster check` is clean, clients under traffic see no error and lose no write,
// dry-run changes nothing, and status/check/recover tell the truth (DESIGN.md §1, §4, §5).
import {spawnSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Cluster, type Redis} from 'ioredis'
import {connectNode} from '../../src/cluster/connection.js'
import {hashTagForSlot} from '../../src/sandbox/keyslot.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {clusterNodesOfAll, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'

const BASE_KEYS = 8000

interface KeySnapshot {
  key: Buffer
  type: string
  dump: Buffer
  pttl: number
  /** Sorted members: a hashtable-encoded set DUMPs in the server's own hash order (random seed per process). */
  members?: string[]
}

async function setMembers(c: Redis, key: Buffer): Promise<string[]> {
  return ((await c.callBuffer('SMEMBERS', key)) as Buffer[]).map((m) => m.toString('hex')).sort()
}

function range(lo: number, hi: number): number[] {
  return Array.from({length: hi - lo + 1}, (_, i) => lo + i)
}

function expectOk(r: CliResult, what = 'command'): void {
  expect(r.code, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0)
}

/** redis-cli --cluster check output, which must hold no [ERR] and no [WARNING]. */
function redisCliCheck(cluster: TestCluster): string {
  const r = spawnSync('redis-cli', ['--cluster', 'check', cluster.seeds[0]!], {encoding: 'utf8', timeout: 30_000})
  return `${r.stdout}${r.stderr}`
}

/** Owner (node id) of each slot as every node's own CLUSTER NODES says: address -> slot -> id. */
async function ownersSeenByEveryNode(clients: Map<number, Redis>, slots: number[]): Promise<Map<number, Array<string | undefined>>> {
  const out = new Map<number, Array<string | undefined>>()
  for (const [port, c] of clients) {
    const lines = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
    const owner = new Map<number, string>()
    for (const l of lines) if (l.role === 'primary') for (const s of l.slots) owner.set(s, l.id)
    out.set(
      port,
      slots.map((s) => owner.get(s)),
    )
  }
  return out
}

async function snapshotSlots(c: Redis, slots: number[]): Promise<Map<string, KeySnapshot>> {
  const out = new Map<string, KeySnapshot>()
  for (const slot of slots) {
    const keys = (await c.callBuffer('CLUSTER', 'GETKEYSINSLOT', String(slot), '100000')) as Buffer[]
    const p = c.pipeline()
    for (const key of keys) {
      p.call('TYPE', key)
      p.callBuffer('DUMP', key)
      p.call('PTTL', key)
    }
    const replies = (await p.exec()) ?? []
    for (const [i, key] of keys.entries()) {
      const [type, dump, pttl] = [0, 1, 2].map((k) => {
        const [err, v] = replies[3 * i + k]!
        if (err) throw err
        return v
      })
      const snap: KeySnapshot = {key, type: String(type), dump: dump as Buffer, pttl: Number(pttl)}
      if (snap.type === 'set') snap.members = await setMembers(c, key)
      out.set(key.toString('hex'), snap)
    }
  }
  return out
}

async function countKeysInSlots(c: Redis, slots: number[]): Promise<number> {
  const counts = await Promise.all(slots.map((s) => c.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))))
  return counts.reduce<number>((a, n) => a + Number(n), 0)
}

async function dbsizes(clients: Map<number, Redis>): Promise<Record<number, number>> {
  const out: Record<number, number> = {}
  for (const [port, c] of clients) out[port] = Number(await c.call('DBSIZE'))
  return out
}

describe('move on a 3-primary, 1-replica-each cluster with keys of every type', () => {
  let cluster: TestCluster
  const clients = new Map<number, Redis>()
  const client = (n: TestNode) => clients.get(n.port)!
  let nodeA: TestNode
  let nodeB: TestNode
  let nodeC: TestNode
  let dryRunOutputs: {human: CliResult; json: CliResult} | undefined

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 1, keys: BASE_KEYS})
    for (const n of cluster.nodes) clients.set(n.port, await connectNode(cluster.connection, n.host, n.port))
    ;[nodeA, nodeB, nodeC] = ['nodeA', 'nodeB', 'nodeC'].map((h) => cluster.nodes.find((n) => n.hostname === h)!) as [TestNode, TestNode, TestNode]
    // A dense range on nodeA: ~20 keys per slot, every data type, TTLs and binary names.
    await cluster.seed({count: 2000, slots: range(1000, 1099), prefix: 'mv'})
  })

  afterAll(async () => {
    for (const c of clients.values()) c.disconnect()
    await cluster?.stop()
  })

  it('moves a range (--to hostname): every key arrives with the same DUMP and its TTL, the source keeps none, every node agrees, redis-cli check is clean', async () => {
    const slots = range(1000, 1099)
    // TTLs can only run down from here: the tolerance is the time from this snapshot to the reads after the move.
    const t0 = Date.now()
    const before = await snapshotSlots(client(nodeA), slots)
    // The range really holds what the test claims to prove.
    expect(before.size).toBeGreaterThanOrEqual(2000)
    expect(new Set([...before.values()].map((k) => k.type))).toEqual(new Set(['string', 'hash', 'list', 'set', 'zset', 'stream']))
    expect([...before.values()].filter((k) => k.pttl > 0).length).toBeGreaterThan(50)
    const binary = [...before.values()].filter((k) => !Buffer.from(k.key.toString('utf8'), 'utf8').equals(k.key))
    expect(binary.length).toBeGreaterThan(5)

    const r = await runCli(['move', '1000-1099', '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    expectOk(r, 'move')
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ok: true, dryRun: false, verified: true, open: [], keys: before.size})
    expect(doc.moved).toHaveLength(100)
    expect(doc.moved.every((m: {outcome: string; from: string; to: string}) => m.outcome === 'done' && m.from === 'nodeA' && m.to === 'nodeB')).toBe(true)

    // Every key on the target, byte-identical, TTL kept (it can only have run down).
    const target = client(nodeB)
    const pipeline = target.pipeline()
    for (const k of before.values()) {
      pipeline.callBuffer('DUMP', k.key)
      pipeline.call('PTTL', k.key)
    }
    const replies = (await pipeline.exec())!
    const elapsed = Date.now() - t0
    let i = 0
    const problems: string[] = []
    for (const k of before.values()) {
      const [dErr, dump] = replies[i++]!
      const [tErr, pttl] = replies[i++]!
      const name = JSON.stringify(k.key.toString('latin1'))
      if (dErr || tErr) {
        problems.push(`${name}: ${(dErr ?? tErr)!.message}`)
        continue
      }
      if (!(dump instanceof Buffer)) problems.push(`${name} (${k.type}): missing on the target`)
      else if (!dump.equals(k.dump)) {
        // Redis 7.0 serialises a hashtable-encoded set in its own (per-process seeded) hash order,
        // so the bytes may differ for the same value: compare its members instead.
        const sameSet = k.type === 'set' && JSON.stringify(await setMembers(target, k.key)) === JSON.stringify(k.members)
        if (!sameSet) problems.push(`${name} (${k.type}): DUMP differs`)
      }
      const after = Number(pttl)
      if (k.pttl < 0) {
        if (after !== -1) problems.push(`${name}: had no TTL, now PTTL ${after}`)
      } else if (!(after > 0 && after <= k.pttl && after >= k.pttl - elapsed - 1000)) {
        problems.push(`${name}: PTTL ${k.pttl} before, ${after} after (${elapsed} ms later)`)
      }
    }
    expect(problems.slice(0, 10)).toEqual([])
    expect(await countKeysInSlots(target, slots)).toBe(before.size)

    // The source holds none.
    expect(await countKeysInSlots(client(nodeA), slots)).toBe(0)

    // Every node, replicas included, names nodeB as the owner of every moved slot; no open slot anywhere.
    const views = await ownersSeenByEveryNode(clients, slots)
    for (const [port, owners] of views) expect(new Set(owners), `owners seen by :${port}`).toEqual(new Set([nodeB.id]))
    for (const text of Object.values(await clusterNodesOfAll(cluster))) expect(text).not.toMatch(/\[\d+-[<>]-/)

    const check = redisCliCheck(cluster)
    expect(check).toMatch(/\[OK\] All 16384 slots covered/)
    expect(check).not.toMatch(/\[ERR\]/)
    expect(check).not.toMatch(/\[WARNING\]/)
  })

  it('re-running the same move skips every slot, exits 0 and changes nothing', async () => {
    const before = await clusterNodesOfAll(cluster)
    const r = await runCli(['move', '1000-1099', '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    expectOk(r, 're-run')
    const doc = JSON.parse(r.stdout)
    expect(doc.ok).toBe(true)
    expect(doc.moved).toEqual([])
    expect(doc.skipped).toHaveLength(100)
    expect(doc.skipped.every((s: {reason: string}) => /already owns/.test(s.reason))).toBe(true)
    expect(await clusterNodesOfAll(cluster)).toEqual(before)

    const human = await runCli(['move', '1000-1099', '--to', 'nodeB', '--yes'], {env: cluster.env})
    expectOk(human, 're-run (human)')
    expect(human.stdout).toMatch(/nothing to do/)
  })

  it('--to as an id prefix and as host:port', async () => {
    const prefix = nodeC.id.slice(0, 8)
    const byPrefix = await runCli(['move', '2000-2009', '--to', prefix, '--yes', '--json'], {env: cluster.env})
    expectOk(byPrefix, '--to <id prefix>')
    expect(JSON.parse(byPrefix.stdout).moved.map((m: {to: string}) => m.to)).toEqual(Array(10).fill('nodeC'))

    const byAddress = await runCli(['move', '2010-2019', '--to', nodeB.address, '--yes', '--json'], {env: cluster.env})
    expectOk(byAddress, '--to host:port')
    expect(JSON.parse(byAddress.stdout).moved.map((m: {to: string}) => m.to)).toEqual(Array(10).fill('nodeB'))

    const views = await ownersSeenByEveryNode(clients, [...range(2000, 2009), ...range(2010, 2019)])
    for (const [port, owners] of views) {
      expect(owners.slice(0, 10), `:${port}`).toEqual(Array(10).fill(nodeC.id))
      expect(owners.slice(10), `:${port}`).toEqual(Array(10).fill(nodeB.id))
    }
    expect(await countKeysInSlots(client(nodeA), range(2000, 2019))).toBe(0)
  })

  it('moves an empty slot', async () => {
    let empty = -1
    for (let s = 3000; s < 3400 && empty < 0; s++) if (Number(await client(nodeA).call('CLUSTER', 'COUNTKEYSINSLOT', String(s))) === 0) empty = s
    expect(empty).toBeGreaterThanOrEqual(0)
    const r = await runCli(['move', String(empty), '--to', 'nodeC', '--yes', '--json'], {env: cluster.env})
    expectOk(r, 'move empty slot')
    expect(JSON.parse(r.stdout)).toMatchObject({ok: true, keys: 0, moved: [{slot: empty, outcome: 'done', keys: 0}]})
    const views = await ownersSeenByEveryNode(clients, [empty])
    for (const [port, owners] of views) expect(owners, `:${port}`).toEqual([nodeC.id])
  })

  it('--dry-run changes nothing: CLUSTER NODES and key counts identical', async () => {
    const slots = range(4000, 4199)
    const nodesBefore = await clusterNodesOfAll(cluster)
    const sizesBefore = await dbsizes(clients)
    const slotKeysBefore = await countKeysInSlots(client(nodeA), slots)
    expect(slotKeysBefore).toBeGreaterThan(0)

    const human = await runCli(['move', '4000-4199', '--to', 'nodeC', '--dry-run'], {env: cluster.env})
    expectOk(human, 'dry-run')
    expect(human.stdout).toMatch(/dry run/i)
    const json = await runCli(['move', '4000-4199', '--to', 'nodeC', '--dry-run', '--json'], {env: cluster.env})
    expectOk(json, 'dry-run --json')
    expect(JSON.parse(json.stdout)).toMatchObject({ok: true, dryRun: true})
    dryRunOutputs = {human, json}

    expect(await clusterNodesOfAll(cluster)).toEqual(nodesBefore)
    expect(await dbsizes(clients)).toEqual(sizesBefore)
    expect(await countKeysInSlots(client(nodeA), slots)).toBe(slotKeysBefore)
    expect(await countKeysInSlots(client(nodeC), slots)).toBe(0)
  })

  it('--dry-run shows the commands it would send (DESIGN.md §4)', () => {
    expect(dryRunOutputs, 'the previous test ran the dry runs').toBeDefined()
    const {human, json} = dryRunOutputs!
    // Human: "would send to <node>: ..." lines; --json: `command` events on stderr.
    expect(human.stdout + human.stderr).toMatch(/SETSLOT/)
    expect(human.stdout + human.stderr).toMatch(/MIGRATE/)
    expect(json.stderr).toMatch(/"type":"command"/)
    expect(json.stderr).toMatch(/MIGRATE/)
  })

  it('status --json parses and shows 3 primaries with their replicas; check exits 0', async () => {
    const r = await runCli(['status', '--json'], {env: cluster.env})
    expectOk(r, 'status')
    const doc = JSON.parse(r.stdout)
    expect(doc.healthy).toBe(true)
    expect(doc.primaries.map((p: {hostname: string}) => p.hostname).sort()).toEqual(['nodeA', 'nodeB', 'nodeC'])
    expect(doc.primaries.every((p: {replicas: unknown[]}) => p.replicas.length === 1)).toBe(true)
    expect(doc.primaries.reduce((a: number, p: {slots: number}) => a + p.slots, 0)).toBe(16384)
    expect(doc.primaries.reduce((a: number, p: {keys: number}) => a + p.keys, 0)).toBe(BASE_KEYS + 2000)
    expect(doc.open).toEqual([])

    const check = await runCli(['check'], {env: cluster.env})
    expectOk(check, 'check')
  })

  it('check exits 3 on an open slot and names `reshard recover`; after `recover --yes` check exits 0 and no key is lost', async () => {
    const slot = 5000
    const keysBefore = await countKeysInSlots(client(nodeA), [slot])
    // A half-started move, made by hand: nodeA MIGRATING slot 5000 to nodeB.
    await client(nodeA).call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', nodeB.id)

    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, check.stdout + check.stderr).toBe(3)
    expect(check.stdout + check.stderr).toMatch(new RegExp(`slot ${slot}\\b.*MIGRATING`, 'i'))
    expect(check.stdout + check.stderr).toMatch(/reshard recover/)
    expect(check.stderr).not.toMatch(/^\s+at /m)

    const checkJson = await runCli(['check', '--json'], {env: cluster.env})
    expect(checkJson.code).toBe(3)
    const doc = JSON.parse(checkJson.stdout)
    expect(doc.ok).toBe(false)
    expect(doc.problems.join('\n')).toMatch(/reshard recover/)

    const recover = await runCli(['recover', '--yes'], {env: cluster.env})
    expectOk(recover, 'recover')

    const again = await runCli(['check'], {env: cluster.env})
    expectOk(again, 'check after recover')
    for (const text of Object.values(await clusterNodesOfAll(cluster))) expect(text).not.toMatch(/\[\d+-[<>]-/)
    const after = (await countKeysInSlots(client(nodeA), [slot])) + (await countKeysInSlots(client(nodeB), [slot])) + (await countKeysInSlots(client(nodeC), [slot]))
    expect(after).toBe(keysBefore)
  })
})

describe('move while an ioredis Cluster client reads and writes keys of the moving slots', () => {
  let cluster: TestCluster
  const SLOTS = range(600, 799)

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 2000})
    // Bulk in the moving slots so the move takes long enough to overlap the traffic.
    await cluster.seed({count: 6000, slots: SLOTS, prefix: 'bulk', mix: 'strings'})
  })

  afterAll(async () => {
    await cluster?.stop()
  })

  it('no client error surfaces and every acknowledged write is readable afterwards', async () => {
    const nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    const nodeC = cluster.nodes.find((n) => n.hostname === 'nodeC')!
    const client = new Cluster([{host: nodeA.host, port: nodeA.port}], {
      maxRedirections: 64,
      retryDelayOnMoved: 0,
      retryDelayOnTryAgain: 50,
      retryDelayOnClusterDown: 100,
    })
    const errors: string[] = []
    client.on('error', (e: Error) => errors.push(`client: ${e.message}`))
    await new Promise<void>((res, rej) => {
      client.once('ready', () => res())
      client.once('error', rej)
    })

    const WORKERS = 8
    let stop = false
    let opsDuringMove = 0
    let moving = false
    // Each worker owns its keys, so "last acknowledged value" is exact.
    const written = new Map<string, string>()
    const counters = new Map<string, number>()
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const slot = SLOTS[(w * 37 + n * 13) % SLOTS.length]!
        const tag = hashTagForSlot(slot)
        const key = `live:{${tag}}:w${w}:${n % 50}`
        const counter = `ctr:{${tag}}:w${w}`
        try {
          const value = `v${w}-${n}`
          if ((await client.set(key, value)) !== 'OK') throw new Error(`SET ${key} did not answer OK`)
          written.set(key, value)
          const c = await client.incr(counter)
          const had = counters.get(counter) ?? 0
          if (c !== had + 1) throw new Error(`INCR ${counter} answered ${c}, expected ${had + 1}`)
          counters.set(counter, c)
          const read = await client.get(key)
          if (read !== value) throw new Error(`GET ${key} answered ${read}, expected ${value}`)
          if (moving) opsDuringMove++
        } catch (e) {
          errors.push((e as Error).message)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    }
    const workers = Array.from({length: WORKERS}, (_, w) => worker(w))
    try {
      await new Promise((r) => setTimeout(r, 300))
      moving = true
      // Small batches with a pause: the move lasts long enough for the traffic to cross it.
      const r = await runCli(['move', '600-799', '--to', 'nodeC', '--yes', '--json', '--batch-size', '20', '--batch-delay', '5'], {env: cluster.env})
      moving = false
      expectOk(r, 'move under traffic')
      const doc = JSON.parse(r.stdout)
      expect(doc).toMatchObject({ok: true, verified: true, open: []})
      expect(doc.moved).toHaveLength(200)
      await new Promise((res) => setTimeout(res, 300))
    } finally {
      stop = true
      await Promise.all(workers)
    }

    expect(errors.slice(0, 10)).toEqual([])
    expect(opsDuringMove).toBeGreaterThan(50)
    expect(written.size).toBeGreaterThan(0)

    // Every acknowledged write is there (read through the cluster client, which now goes to nodeC).
    const lost: string[] = []
    for (const [key, value] of written) {
      const got = await client.get(key)
      if (got !== value) lost.push(`${key}: ${got} != ${value}`)
    }
    for (const [key, n] of counters) {
      const got = Number(await client.get(key))
      if (got !== n) lost.push(`${key}: ${got} != ${n}`)
    }
    expect(lost.slice(0, 10)).toEqual([])

    // And they live on the new owner.
    const target = await connectNode(cluster.connection, nodeC.host, nodeC.port)
    try {
      const some = [...written.keys()].slice(0, 50)
      for (const k of some) expect(await target.get(k)).toBe(written.get(k))
    } finally {
      target.disconnect()
      client.disconnect()
    }
  })
})
