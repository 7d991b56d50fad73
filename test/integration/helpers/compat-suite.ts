// The compatibility suite: every step an operator takes, from the built CLI, on every server of
// the matrix (helpers/matrix.ts: Debian's redis-server always; Valkey 8, Valkey 9 (kv) and Redis 8
// when env RESHARD_TEST_SERVERS names them, as `.ci/run` does). One password-protected cluster of
// 3 primaries + 1 replica each per server, with seeded keys of every type, shared by the steps,
// which run in order. After each step: `reshard check` exits 0, the server's own cli
// `--cluster check` is clean, every key is present (same content, on its slot's owner only), and
// no server process died.
import {execFile, execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {connectNode} from '../../../src/cluster/connection.js'
import {isSandboxProcess} from '../../../src/sandbox/process.js'
import {REPO_ROOT, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './cluster.js'
import {migrateKeys, openMarks, setSlot, writeSlotKeys} from './half-migrated.js'
import {clientsOf, closeClients, range, slotOwners} from './key-audit.js'
import {compareKeyBooks, readKeyBook, type KeyBook} from './key-book.js'
import {startLiveWriters} from './live-writers.js'
import {matrixServers, skippedServersNote, type MatrixServer} from './matrix.js'

/**
 * The servers of the compatibility suite: the PATH redis-server (Debian's Redis 7.0), then those env
 * RESHARD_TEST_SERVERS names (CI: Valkey 8, Valkey 9, Redis 8), so the suite runs on all four. One
 * test file per server (compat-1..4.test.ts) so the servers run in parallel.
 */
export const COMPAT_SERVERS = matrixServers()
const NOTE = skippedServersNote(matrixServers())

/** Whether the built CLI has `move --mechanism` (the legacy case turns on by itself once it does). */
const HAS_MECHANISM = /--mechanism/.test(execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'move', '--help'], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}}))

/** The rights the ACL user gets: auth-tls.test.ts' minimal set, plus what atomic slot migration needs where the server has it. */
const ACL_RULES = ['~*', '+cluster|nodes', '+cluster|setslot', '+cluster|countkeysinslot', '+cluster|getkeysinslot', '+migrate', '+restore-asking', '+select', '+dump', '+asking', '+ping', '+dbsize', '+client|setname', '+client|list', '+cluster|info', '+cluster|bumpepoch']
const ACL_OPTIONAL = ['+command|info', '+info', '+cluster|info', '+cluster|myid', '+cluster|migrateslots', '+cluster|getslotmigrations', '+cluster|cancelslotmigrations', '+cluster|migration']

function explain(r: CliResult, what: string): string {
  return `${what} exited ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`
}

function execCli(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; out: string}> {
  return new Promise((res) => {
    execFile(cli, args, {env, encoding: 'utf8', timeout: 30_000}, (err, stdout, stderr) => {
      res({code: err ? ((err as {code?: number}).code ?? 1) : 0, out: `${stdout}${stderr}`})
    })
  })
}

let noteShown = false

/** Registers the suite for the i-th server of COMPAT_SERVERS (none when there are fewer). */
export function compatSuite(i: number): void {
  const srv = COMPAT_SERVERS[i]
  if (!srv) {
    describe.skip(`compatibility on server #${i + 1} of the matrix (not configured)`, () => it('is not configured', () => undefined))
    return
  }
  describe(`compatibility on ${srv.name}`, () => suite(srv))
}

function suite(srv: MatrixServer): void {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  let book: KeyBook
  let dir: string
  const times: string[] = []
  const node = (hostname: string): TestNode => cluster.nodes.find((n) => n.hostname === hostname)!
  const cli = (args: string[], env = cluster.env, timeoutMs = 90_000) => runCli(args, {env, timeoutMs})
  const ok = async (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => {
    const r = await cli(args, env)
    expect(r.code, explain(r, args.join(' '))).toBe(0)
    return r
  }

  beforeAll(async () => {
    if (NOTE && !noteShown) console.log(NOTE)
    noteShown = true
    const t0 = Date.now()
    cluster = await startTestCluster({server: srv.server, primaries: 3, replicas: 1, keys: 1500, password: true})
    dir = mkdtempSync(join(tmpdir(), 'reshard-compat-'))
    // dense slots for the moves, the live writers and the ACL user
    await cluster.seed({count: 2000, slots: range(0, 199), prefix: 'dense'})
    await cluster.seed({count: 1000, slots: range(5462, 5561), prefix: 'dense-b', mix: 'strings'})
    clients = await clientsOf(cluster)
    book = (await readKeyBook(clients, cluster.state.host)).book
    expect(book.size).toBe(4500)
    times.push(`start ${Date.now() - t0} ms`)
  })

  afterAll(async () => {
    if (times.length > 0) console.log(`[compat ${srv.name}] ${cluster?.state.server?.label ?? ''}: ${times.join(', ')}`)
    if (clients) closeClients(clients)
    await cluster?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  /** The checks after every step. */
  async function healthy(step: string, t0: number): Promise<void> {
    const tc = Date.now()
    const dead = cluster.state.nodes.filter((n) => !isSandboxProcess(n.pid, n.port, cluster.state.redisServer))
    expect(dead.map((n) => `${n.hostname} (pid ${n.pid}, see ${n.dir}/redis.log)`), `${step}: server processes died`).toEqual([])
    // read-only, so at once
    const [check, own, now] = await Promise.all([
      cli(['check']),
      execCli(srv.cli, ['--cluster', 'check', cluster.seeds[0]!], {...process.env, REDISCLI_AUTH: cluster.password}),
      readKeyBook(clients, cluster.state.host),
    ])
    expect(check.code, explain(check, `${step}: reshard check`)).toBe(0)
    expect(own.code, `${step}: ${srv.cli} --cluster check\n${own.out}`).toBe(0)
    expect(own.out, `${step}: ${srv.cli} --cluster check`).toMatch(/\[OK\] All 16384 slots covered/)
    expect(own.out, `${step}: ${srv.cli} --cluster check`).not.toMatch(/\[ERR\]|\[WARNING\]/)
    expect(now.misplaced, `${step}: keys off their owner`).toEqual([])
    expect(compareKeyBooks(book, now.book), `${step}: keys lost or changed`).toEqual([])
    // keys written by a step (live writers, half-moved slots) are followed from now on
    book = now.book
    times.push(`${step} ${Date.now() - t0} ms (checks ${Date.now() - tc})`)
  }

  async function expectOwner(slots: number[], owner: TestNode): Promise<void> {
    const owners = await slotOwners(clients.get(owner.address)!, cluster.state.host)
    expect(slots.filter((s) => owners.get(s) !== owner.address)).toEqual([])
  }

  it('status and check are clean on the new cluster', async () => {
    const t0 = Date.now()
    const st = await ok(['status'])
    expect(st.stdout + st.stderr).toMatch(/nodeA/)
    await healthy('status', t0)
  })

  it('move (default mechanism)', async () => {
    const t0 = Date.now()
    const r = await ok(['move', '0-99', '--to', 'nodeB', '--yes', '--json'])
    expect(JSON.parse(r.stdout)).toMatchObject({ok: true})
    await expectOwner(range(0, 99), node('nodeB'))
    await healthy('move', t0)
  })

  it.skipIf(!HAS_MECHANISM)('move --mechanism legacy', async () => {
    const t0 = Date.now()
    const r = await ok(['move', '100-199', '--to', 'nodeC', '--mechanism', 'legacy', '--yes', '--json'])
    expect(JSON.parse(r.stdout)).toMatchObject({ok: true})
    await expectOwner(range(100, 199), node('nodeC'))
    await healthy('move legacy', t0)
  })

  it('plan + apply', async () => {
    const t0 = Date.now()
    const file = join(dir, 'plan.json')
    await ok(['plan', 'move', '0-49', '--to', 'nodeA', '-o', file])
    await ok(['apply', file, '--yes'])
    await expectOwner(range(0, 49), node('nodeA'))
    await healthy('plan+apply', t0)
  })

  it('a live writer loses no acknowledged write during a move', async () => {
    const t0 = Date.now()
    const slots = range(5462, 5481)
    const writers = await startLiveWriters({seeds: cluster.seeds.slice(0, 3).map((s) => ({host: s.split(':')[0]!, port: Number(s.split(':')[1])})), slots, password: cluster.password})
    await new Promise((r) => setTimeout(r, 200))
    const before = writers.ops()
    const r = await cli(['move', `${slots[0]}-${slots.at(-1)}`, '--to', 'nodeC', '--yes', '--json'])
    const during = writers.ops() - before
    await new Promise((r) => setTimeout(r, 200))
    const res = await writers.stopAndVerify()
    expect(r.code, explain(r, 'move under traffic')).toBe(0)
    expect(during, 'writes ran while the slots moved').toBeGreaterThan(20)
    expect(res.errors.slice(0, 10), 'errors the application saw').toEqual([])
    expect(res.lost.slice(0, 10), `${res.lost.length} acknowledged writes lost`).toEqual([])
    await expectOwner(slots, node('nodeC'))
    await healthy(`live writer (${res.acked} acked, ${during} ops during)`, t0)
  })

  it('an ACL user with only the rights reshard needs moves slots', async () => {
    const t0 = Date.now()
    const password = `acl-${Math.random().toString(36).slice(2)}`
    for (const c of clients.values()) {
      await c.call('ACL', 'SETUSER', 'reshard', 'reset', 'on', `>${password}`, '-@all', ...ACL_RULES)
      // rights of commands this server may not have (atomic slot migration): added where known
      for (const rule of ACL_OPTIONAL) await c.call('ACL', 'SETUSER', 'reshard', rule).catch(() => undefined)
    }
    const env = {...cluster.env, REDISCLI_AUTH: password}
    await ok(['move', '5482-5561', '--to', 'nodeA', '--user', 'reshard', '--yes'], env)
    await expectOwner(range(5482, 5561), node('nodeA'))
    await healthy('ACL user', t0)
  })

  it('recover repairs each half-moved case (replicas\' copies of the markers change nothing)', async () => {
    const t0 = Date.now()
    const A = node('nodeA')
    const B = node('nodeB')
    const a = clients.get(A.address)!
    const b = clients.get(B.address)!
    const pw = cluster.password
    const cases = {
      'half-init-migrating-only': 1001,
      'half-init-importing-only': 1002,
      'both-open': 1003,
      'half-finalised-on-migrating': 1004,
      'half-finalised-on-importing': 1005,
    }
    const keys = new Map<number, Buffer[]>()
    for (const slot of Object.values(cases)) keys.set(slot, await writeSlotKeys(a, slot, `hm${slot}`))
    const open = async (slot: number, moved: Buffer[]) => {
      await setSlot(b, slot, 'IMPORTING', A.id)
      await setSlot(a, slot, 'MIGRATING', B.id)
      await migrateKeys(a, B.port, moved, pw)
    }
    await setSlot(a, 1001, 'MIGRATING', B.id)
    await setSlot(b, 1002, 'IMPORTING', A.id)
    await open(1003, keys.get(1003)!.filter((_, i) => i % 2 === 0))
    await open(1004, keys.get(1004)!)
    await setSlot(a, 1004, 'NODE', B.id)
    await open(1005, keys.get(1005)!)
    await setSlot(b, 1005, 'NODE', B.id)
    // What replicas show meanwhile (Valkey 8+: their primary's markers on their own line).
    let copies = 0
    for (const n of cluster.nodes.filter((x) => x.role === 'replica')) {
      for (const slot of Object.values(cases)) copies += (await openMarks(clients.get(n.address)!, slot)).length
    }
    const check = await cli(['check'])
    expect(check.code, explain(check, 'check with half-moved slots')).toBe(3)
    const r = await ok(['recover', '--yes', '--json'])
    const doc = JSON.parse(r.stdout) as {slots: Array<{slot: number; case: string; outcome: string; ownerId?: string}>}
    // Each case is repaired by recover, or was already closed by the server itself: Valkey 8+
    // finishes both half-finalised cases on its own within a second (the node that lost the
    // slot drops its marker when it learns the new owner). Either way the slot ends on nodeB.
    const selfHealed: string[] = []
    for (const [name, slot] of Object.entries(cases)) {
      const entry = doc.slots.find((s) => s.slot === slot)
      if (entry) expect([entry.case, entry.outcome, entry.ownerId], `slot ${slot}`).toEqual([name, 'fixed', B.id])
      else selfHealed.push(name)
    }
    expect(doc.slots.map((s) => s.slot).filter((s) => !Object.values(cases).includes(s)), 'other slots touched').toEqual([])
    expect(selfHealed.filter((n) => !n.startsWith('half-finalised')), 'only half-finalised cases may close by themselves').toEqual([])
    await expectOwner(Object.values(cases), B)
    for (const c of clients.values()) for (const slot of Object.values(cases)) expect(await openMarks(c, slot), `slot ${slot} still open`).toEqual([])
    await healthy(`recover (${copies} marker copies on replicas${selfHealed.length ? `; closed by the server: ${selfHealed.join(', ')}` : ''})`, t0)
  })

  // The new primary gets a small share (weight 0.05: about 270 slots), not a quarter of the
  // slots: the same code path, without 4,000 replicated SETSLOTs per step on Valkey.
  it('rebalance --yes onto an empty primary', async () => {
    const t0 = Date.now()
    const g = await cluster.addEmptyPrimary()
    clients.set(g.address, await connectNode(cluster.connection, g.host, g.port))
    await ok(['rebalance', '--use-empty-primaries', '--weight', `${g.hostname}=0.05`, '--yes', '--json'])
    const owners = await slotOwners(clients.get(g.address)!, cluster.state.host)
    expect([...owners.values()].filter((o) => o === g.address).length).toBeGreaterThan(200)
    await healthy('rebalance', t0)
  })

  it('drain empties a primary', async () => {
    const t0 = Date.now()
    const g = cluster.nodes.at(-1)!
    await ok(['drain', g.hostname, '--yes', '--json'])
    const owners = await slotOwners(clients.get(node('nodeA').address)!, cluster.state.host)
    expect([...owners.values()].filter((o) => o === g.address)).toEqual([])
    await healthy('drain', t0)
  })
}
