// Bad input, through the built CLI against real clusters (DESIGN.md §4): every case exits with
// its documented code, prints one clear `Error:` line (plus at most one indented hint) and no
// stack trace, gives one JSON document {ok:false, error:{exitCode}} with --json, never prints a
// password, and leaves CLUSTER NODES of every node exactly as it was.
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {connectNode} from '../../src/cluster/connection.js'
import {RedisClusterAdmin} from '../../src/cluster/redis-admin.js'
import {planMove} from '../../src/planner/move.js'
import {serializePlan} from '../../src/planner/plan-json.js'
import {findFreePortRange} from '../../src/sandbox/ports.js'
import {isPidAlive, waitForExit} from '../../src/sandbox/process.js'
import {makeSandboxCertificates} from '../../src/sandbox/tls.js'
import {clusterNodesOfAll, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'

const WRONG_PASSWORD = 'wrong-Pa55word-for-reshard-tests'

interface Case {
  name: string
  /** Evaluated when the case runs (node ids, ports and files are known only then). */
  args: () => string[]
  code: number
  /** The error line must say this. */
  message?: RegExp
  /** Which cluster the case talks to (whose CLUSTER NODES must not change). Default: main. */
  on?: 'main' | 'pw'
  env?: () => NodeJS.ProcessEnv
  setup?: () => Promise<void>
  teardown?: () => Promise<void>
  /** Why this case cannot run here (then it is reported as skipped, with the reason). */
  skip?: () => string | undefined
  /**
   * Allow indented detail lines between the Error: line and the hint (the stale-plan error lists
   * every difference it found). Every extra line must still be indented.
   */
  detailLines?: boolean
  /** Changes the cluster for the duration of the case: never run alongside other cases. */
  exclusive?: boolean
}

/** Every non-empty stderr line, minus Node's own runtime warnings (not ours to judge here). */
function errLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !/^\(node:\d+\) /.test(l) && !/^\(Use `node --trace-warnings/.test(l))
}

function describeRun(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
}

let main: TestCluster
let pw: TestCluster
let dir: string
let caFile: string
let plainPort: number
let plainServer: ChildProcess | undefined
let freePort: number
let ambiguousPrefix: string | undefined
let mainClients: Map<string, Redis>
const node = (hostname: string): TestNode => main.nodes.find((n) => n.hostname === hostname)!

const envMain = () => main.env
const envPw = () => pw.env
const withoutCluster = () => {
  const e = {...main.env}
  delete e.RESHARD_CLUSTER
  return e
}

const CASES: Case[] = [
  // Slots
  {name: 'slot "abc"', args: () => ['move', 'abc', '--to', 'nodeB', '--yes'], code: 2, message: /"abc" is not a slot/},
  {name: 'slot 16384 (out of range)', args: () => ['move', '16384', '--to', 'nodeB', '--yes'], code: 2, message: /16384.*out of range/},
  {name: 'reversed range 100-50', args: () => ['move', '100-50', '--to', 'nodeB', '--yes'], code: 2, message: /reversed/},
  {name: 'empty list item "1,,2"', args: () => ['move', '1,,2', '--to', 'nodeB', '--yes'], code: 2, message: /not a slot/},
  {name: 'malformed range "1-2-3"', args: () => ['move', '1-2-3', '--to', 'nodeB', '--yes'], code: 2, message: /not a slot/},
  {name: 'no slots argument', args: () => ['move', '--to', 'nodeB', '--yes'], code: 2, message: /slots|required arg/i},
  {name: 'recover --slot 99999', args: () => ['recover', '--slot', '99999', '--yes'], code: 2, message: /99999.*out of range/},
  {name: 'recover --slot abc', args: () => ['recover', '--slot', 'abc', '--yes'], code: 2, message: /"abc" is not a slot/},

  // Nodes
  {name: 'missing --to', args: () => ['move', '1', '--yes'], code: 2, message: /(--|flag )to\b/},
  {name: 'unknown target', args: () => ['move', '1', '--to', 'nodeZ', '--yes'], code: 2, message: /unknown target "nodeZ"/},
  {name: 'unknown source', args: () => ['move', '1', '--to', 'nodeB', '--from', 'nodeZ', '--yes'], code: 2, message: /unknown source "nodeZ"/},
  {name: 'empty target name', args: () => ['move', '1', '--to', '', '--yes'], code: 2, message: /empty target|--to/},
  {
    name: 'ambiguous id prefix',
    args: () => ['move', '1', '--to', ambiguousPrefix!, '--yes'],
    code: 2,
    message: /ambiguous/,
    skip: () => (ambiguousPrefix ? undefined : 'no two node ids share a first hex digit, even after adding 3 empty primaries'),
  },
  {name: 'replica as target', args: () => ['move', '1', '--to', 'nodeD', '--yes'], code: 3, message: /nodeD.*replica/},
  {name: 'replica as source', args: () => ['move', '1', '--from', 'nodeD', '--to', 'nodeB', '--yes'], code: 3, message: /nodeD.*replica/},
  {name: 'slot not owned by --from', args: () => ['move', '6000', '--from', 'nodeA', '--to', 'nodeC', '--yes'], code: 3, message: /slot 6000 is owned by nodeB/},
  {name: '--from and --to the same node', args: () => ['move', '1', '--to', 'nodeB', '--from', 'nodeB', '--yes'], code: 2, message: /same node/},
  {name: 'target already owns the slot (not an error: skipped)', args: () => ['move', '0', '--to', 'nodeA', '--yes'], code: 0},

  // Flags and confirmation
  {name: 'no --yes and stdin not a TTY', args: () => ['move', '1', '--to', 'nodeB'], code: 2, message: /--yes/},
  {name: 'unknown flag on move', args: () => ['move', '1', '--to', 'nodeB', '--bogus'], code: 2, message: /bogus/},
  {name: 'unknown flag on status', args: () => ['status', '--frobnicate'], code: 2, message: /frobnicate/},
  {name: '--batch-size 0', args: () => ['move', '1', '--to', 'nodeB', '--batch-size', '0', '--yes'], code: 2, message: /batch-size|greater than or equal to 1|minimum/i},

  // Connection
  {name: 'empty --cluster value', args: () => ['status', '--cluster', ''], code: 2, message: /cluster|seed|host:port/i},
  {name: '--cluster without a port', args: () => ['status', '--cluster', 'localhost'], code: 2, message: /not a host:port/},
  {name: '--cluster with port 0', args: () => ['status', '--cluster', '127.0.0.1:0'], code: 2, message: /not a host:port/},
  {name: 'no cluster given at all', args: () => ['status'], env: withoutCluster, code: 2, message: /no cluster given/},
  {name: 'seed unreachable', args: () => ['status', '--cluster', `127.0.0.1:${freePort}`], code: 3, message: /refused|no seed answered|cannot connect/},
  {name: 'seed not in cluster mode', args: () => ['move', '1', '--to', 'nodeB', '--yes', '--cluster', `127.0.0.1:${plainPort}`], code: 3, message: /not in cluster mode/},
  // One seed: each seed that does not answer the TLS handshake costs a connect timeout.
  {name: '--tls against a plain server', args: () => ['status', '--tls', '--cacert', caFile, '--cluster', main.seeds[0]!], code: 3, message: /TLS/},
  {name: '--cacert file missing', args: () => ['status', '--tls', '--cacert', join(dir, 'no-such-ca.pem')], code: 2, message: /cannot read --cacert/},
  {name: 'wrong password (status)', on: 'pw', args: () => ['status'], env: () => ({...pw.env, REDISCLI_AUTH: WRONG_PASSWORD}), code: 3, message: /authentication.*failed/},
  {name: 'wrong password (move)', on: 'pw', args: () => ['move', '1', '--to', 'nodeB', '--yes'], env: () => ({...pw.env, REDISCLI_AUTH: WRONG_PASSWORD}), code: 3, message: /authentication.*failed/},
  {
    name: 'no password for a password cluster',
    on: 'pw',
    args: () => ['check'],
    env: () => {
      const e = {...pw.env}
      delete e.REDISCLI_AUTH
      return e
    },
    code: 3,
    message: /requires a password/,
  },

  // Cluster state
  {
    name: 'open slot conflict: slot MIGRATING to a third node',
    args: () => ['move', '100', '--to', 'nodeB', '--yes'],
    code: 3,
    message: /slot 100 is already MIGRATING/,
    exclusive: true,
    // nodeA owns slot 100; mark it MIGRATING to nodeC, then ask for a move to nodeB.
    setup: async () => {
      await mainClients.get('nodeA')!.call('CLUSTER', 'SETSLOT', '100', 'MIGRATING', node('nodeC').id)
    },
    teardown: async () => {
      await mainClients.get('nodeA')!.call('CLUSTER', 'SETSLOT', '100', 'STABLE')
    },
  },

  // Plans (`apply` is being written in parallel: these pass once it lands)
  {name: 'apply: malformed plan JSON', args: () => ['apply', join(dir, 'bad.json'), '--yes'], code: 2, message: /invalid plan|not JSON/},
  {name: 'apply: plan of an unsupported version', args: () => ['apply', join(dir, 'v99.json'), '--yes'], code: 2, message: /version/},
  {name: 'apply: plan file missing', args: () => ['apply', join(dir, 'no-such-plan.json'), '--yes'], code: 2, message: /no-such-plan\.json/},
  {
    name: 'apply: plan made for another cluster',
    args: () => ['apply', join(dir, 'other-cluster.json'), '--yes'],
    code: 4,
    message: /stale|another cluster/,
    detailLines: true,
  },
]

describe('bad input: documented exit code, one Error: line, one JSON document, cluster untouched', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reshard-bad-input-'))
    ;[main, pw] = await Promise.all([startTestCluster({primaries: 3, replicas: 1, keys: 1000}), startTestCluster({primaries: 3, password: true, keys: 1000})])

    // Ambiguous id prefix: the longest prefix two node ids share (at least one hex digit).
    // Node ids are random; with none shared, add empty primaries (at most 3) until two are.
    for (let added = 0; ; added++) {
      ambiguousPrefix = longestSharedPrefix(main.nodes.map((n) => n.id))
      if (ambiguousPrefix || added === 3) break
      await main.addEmptyPrimary()
    }
    mainClients = new Map()
    for (const n of main.nodes) mainClients.set(n.hostname, await connectNode(main.connection, n.host, n.port))

    // A CA from the sandbox's own TLS helper (the servers themselves speak plain TCP).
    caFile = (await makeSandboxCertificates(join(dir, 'tls'))).caCert

    // A plain, non-cluster redis-server, started and stopped (by PID) here.
    plainPort = await findFreePortRange(1)
    plainServer = spawn('redis-server', ['--port', String(plainPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {stdio: 'ignore'})
    // If this worker dies before afterAll, the server must not outlive it (ours, by PID).
    const plainPid = plainServer.pid
    process.once('exit', () => {
      if (plainPid !== undefined && isPidAlive(plainPid)) process.kill(plainPid, 'SIGKILL')
    })
    await waitForPing(plainPort)
    // A port nothing listens on (random, so it is not the plain server's).
    do freePort = await findFreePortRange(1)
    while (freePort === plainPort)

    // Plan files.
    writeFileSync(join(dir, 'bad.json'), '{"version": 1, "kind": "move", "cluster": ')
    const {admin, topology} = await RedisClusterAdmin.connect(pw.connection)
    try {
      const target = topology.nodes.find((n) => n.hostname === 'nodeB')!
      const plan = planMove(topology, [0, 1, 2], target.id)
      writeFileSync(join(dir, 'other-cluster.json'), serializePlan(plan))
      writeFileSync(join(dir, 'v99.json'), serializePlan(plan).replace('"version": 1', '"version": 99'))
    } finally {
      await admin.close()
    }
  })

  afterAll(async () => {
    for (const c of mainClients?.values() ?? []) c.disconnect()
    if (plainServer?.pid !== undefined && isPidAlive(plainServer.pid)) {
      plainServer.kill('SIGTERM')
      await waitForExit([plainServer.pid], 5000)
    }
    await Promise.all([main?.stop(), pw?.stop()])
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it(`has at least 20 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20)
  })

  // The CLI runs of read-only cases are made up front, a few side by side (the machine is
  // small and each CLI start costs about a second); each case's assertions are then its own
  // test. A case that changes the cluster for its duration runs alone, in its own test.
  const outcomes = new Map<Case, Promise<Outcome>>()
  beforeAll(async () => {
    const readOnly = CASES.filter((x) => !x.exclusive && !x.skip?.())
    const limit = pLimit(3)
    for (const c of readOnly) outcomes.set(c, limit(() => execute(c)))
    await Promise.allSettled(outcomes.values())
  }, 600_000)

  describe('read-only cases', () => {
    for (const c of CASES.filter((x) => !x.exclusive)) {
      it(`${c.name} -> exit ${c.code}`, async (ctx) => {
        const why = c.skip?.()
        if (why) return ctx.skip(why)
        verify(c, await outcomes.get(c)!)
      })
    }
  })

  describe('cases that mark the cluster for their duration', () => {
    for (const c of CASES.filter((x) => x.exclusive)) it(`${c.name} -> exit ${c.code}`, async () => verify(c, await execute(c)))
  })

  describe('the right password works and never shows', () => {
    const check = (r: CliResult) => {
      for (const out of [r.stdout, r.stderr]) expect(out.includes(pw.password!), `password in output:\n${describeRun(r)}`).toBe(false)
    }

    it('status and check', async () => {
      for (const args of [['status'], ['status', '--json'], ['check'], ['check', '--json']]) {
        const r = await runCli(args, {env: pw.env})
        expect(r.code, describeRun(r)).toBe(0)
        check(r)
      }
    })

    it('move --dry-run (whose shown MIGRATE ... AUTH must mask it) and a real move', async () => {
      const admin = await connectNode(pw.connection, pw.nodes[0]!.host, pw.nodes[0]!.port)
      let keys = 0
      try {
        for (let s = 0; s <= 300; s++) keys += Number(await admin.call('CLUSTER', 'COUNTKEYSINSLOT', String(s)))
      } finally {
        admin.disconnect()
      }
      expect(keys).toBeGreaterThan(0)
      for (const args of [
        ['move', '0-300', '--to', 'nodeB', '--dry-run'],
        ['move', '0-300', '--to', 'nodeB', '--dry-run', '--json'],
        ['move', '0-300', '--to', 'nodeB', '--yes', '--json'],
      ]) {
        const r = await runCli(args, {env: pw.env})
        expect(r.code, describeRun(r)).toBe(0)
        check(r)
      }
      const after = await runCli(['status', '--json'], {env: pw.env})
      const doc = JSON.parse(after.stdout)
      expect(doc.primaries.find((p: {hostname: string}) => p.hostname === 'nodeB').ranges).toMatch(/^0-300,/)
      expect(doc.primaries.reduce((a: number, p: {keys: number}) => a + p.keys, 0)).toBe(1000)
    })
  })
})

interface Outcome {
  human: CliResult
  json: CliResult
  before: Record<string, string>
  after: Record<string, string>
}

/** Run the case's command twice (human, --json) with CLUSTER NODES snapshots around. */
async function execute(c: Case): Promise<Outcome> {
  const cluster = c.on === 'pw' ? pw : main
  const env = (c.env ?? (c.on === 'pw' ? envPw : envMain))()
  await c.setup?.()
  try {
    const before = await clusterNodesOfAll(cluster)
    const args = c.args()
    const human = await runCli(args, {env})
    const json = await runCli([...args, '--json'], {env})
    const after = await clusterNodesOfAll(cluster)
    return {human, json, before, after}
  } finally {
    await c.teardown?.()
  }
}

function verify(c: Case, o: Outcome): void {
  const {human: r, json: j} = o
  expect(r.code, describeRun(r)).toBe(c.code)
  const lines = errLines(r.stderr)
  expect(lines.filter((l) => /^\s+at /.test(l)), `stack trace\n${describeRun(r)}`).toEqual([])
  if (c.code === 0) {
    expect(r.stderr, describeRun(r)).not.toMatch(/Error:/)
  } else {
    expect(lines.length, `one Error: line\n${describeRun(r)}`).toBeGreaterThanOrEqual(1)
    if (!c.detailLines) expect(lines.length, `one Error: line and at most one indented hint\n${describeRun(r)}`).toBeLessThanOrEqual(2)
    expect(lines[0], describeRun(r)).toMatch(/^Error: \S/)
    for (const l of lines.slice(1)) expect(l, `lines after the Error: line are indented\n${describeRun(r)}`).toMatch(/^\s+\S/)
    if (c.message) expect(lines.join('\n'), describeRun(r)).toMatch(c.message)
  }

  expect(j.code, describeRun(j)).toBe(c.code)
  let doc: {ok?: boolean; error?: {exitCode?: number; message?: string; hint?: string}; skipped?: unknown[]}
  try {
    doc = JSON.parse(j.stdout)
  } catch {
    throw new Error(`--json stdout is not one JSON document\n${describeRun(j)}`)
  }
  expect(errLines(j.stderr).filter((l) => /^\s+at /.test(l)), describeRun(j)).toEqual([])
  if (c.code === 0) {
    expect(doc.ok, describeRun(j)).toBe(true)
    expect(doc.skipped, describeRun(j)).toHaveLength(1)
  } else {
    expect(doc.ok, describeRun(j)).toBe(false)
    expect(doc.error?.exitCode, describeRun(j)).toBe(c.code)
    if (c.message) expect(`${doc.error?.message}\n${doc.error?.hint ?? ''}`, describeRun(j)).toMatch(c.message)
  }

  // Secrets never appear.
  for (const secret of [pw.password!, WRONG_PASSWORD]) {
    for (const out of [r.stdout, r.stderr, j.stdout, j.stderr]) expect(out.includes(secret), `a password appears in the output of ${c.name}`).toBe(false)
  }

  // Nothing changed.
  expect(o.after).toEqual(o.before)
}

/** At most n promises at a time. */
function pLimit(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: Array<() => void> = []
  const next = () => {
    if (active >= n) return
    const run = queue.shift()
    if (run) run()
  }
  return <T>(f: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        active++
        f()
          .then(resolve, reject)
          .finally(() => {
            active--
            next()
          })
      })
      next()
    })
}

function longestSharedPrefix(ids: string[]): string | undefined {
  let best = ''
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      let k = 0
      while (k < ids[i]!.length && ids[i]![k] === ids[j]![k]) k++
      if (k > best.length) best = ids[i]!.slice(0, k)
    }
  }
  return best.length > 0 ? best : undefined
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const c = await connectNode({seeds: [], source: 'flag', connectTimeoutMs: 1000}, '127.0.0.1', port)
      c.disconnect()
      return
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
