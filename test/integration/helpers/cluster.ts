// The integration-test harness: real redis-server clusters started through the sandbox module
// on free loopback ports, in a temp dir, with no global state file (never the user's sandbox,
// never another test file's cluster), and the built CLI run as a child process.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ConnectionOptions} from '../../../src/cluster/connection.js'
import {connectNode} from '../../../src/cluster/connection.js'
import {findFreePortRange} from '../../../src/sandbox/ports.js'
import {isSandboxProcess} from '../../../src/sandbox/process.js'
import {
  addEmptyPrimary,
  sandboxConnection,
  SandboxPortBusyError,
  startBareNode,
  startSandbox,
  stopSandbox,
  type StartSandboxOptions,
} from '../../../src/sandbox/sandbox.js'
import {seedKeys, type SeedOptions, type SeedResult} from '../../../src/sandbox/seed.js'
import type {SandboxNodeState, SandboxState} from '../../../src/sandbox/state.js'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

export interface TestClusterOptions {
  /** The server binary (redis-server, valkey-server, kv-server, ...; default: redis-server from PATH). Same as redisServer. */
  server?: string
  primaries?: number
  replicas?: number
  /** Seed this many keys (every data type, TTLs, binary names) once the cluster is up. */
  keys?: number
  /** true: a generated password; a string: that password. */
  password?: boolean | string
  tls?: boolean
  timeoutMs?: number
  /** Server binary (default: redis-server on PATH). */
  redisServer?: string
}

export interface TestNode {
  host: string
  port: number
  pid: number
  hostname: string
  id: string
  /** Role at start; ask the cluster for the current one. */
  role: 'primary' | 'replica'
  address: string
}

export interface TestCluster {
  /** "127.0.0.1:port" of every node at start. */
  seeds: string[]
  nodes: TestNode[]
  password?: string
  tls?: {caCert: string; cert: string; key: string}
  /** Env for spawning the CLI against this cluster (see runCli). */
  env: NodeJS.ProcessEnv
  /** Connection flags the CLI needs besides env: the TLS ones (empty without TLS). */
  cliArgs: string[]
  /** The temp dir holding the data dir (removed by stop()). */
  dir: string
  state: SandboxState
  /** Connection options for in-process clients (connectNode, operations). */
  connection: ConnectionOptions
  seeded?: SeedResult
  /** Seed more keys (e.g. `{count: 200_000, slots: [...], mix: 'strings', prefix: 'bench'}`). */
  seed(opts: SeedOptions): Promise<SeedResult>
  /** Start one more node and meet it in as an EMPTY primary; returns it (also appended to `nodes`). */
  addEmptyPrimary(): Promise<TestNode>
  /** Start one more cluster-enabled node that is NOT met in (for `reshard add-node`); it is stopped with the cluster. */
  startBareNode(): Promise<TestNode>
  /** Stop every node (by PID, checked) and remove the temp dir. Safe to call twice. */
  stop(): Promise<void>
}

// If a test process dies without stop(), its servers must not outlive it.
const liveStates = new Set<SandboxState>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const state of liveStates) {
      for (const n of state.nodes) {
        try {
          if (isSandboxProcess(n.pid, n.port, state.redisServer)) process.kill(n.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      rmSync(dirname(state.dataDir), {recursive: true, force: true})
    }
  })
}

function toTestNode(state: SandboxState, n: SandboxNodeState): TestNode {
  return {host: state.host, port: n.port, pid: n.pid, hostname: n.hostname, id: n.id ?? '', role: n.role ?? 'primary', address: `${state.host}:${n.port}`}
}

/** Start a sandbox cluster on free ports in a fresh temp dir. Retries on a port race with a parallel test file. */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  if (opts.server !== undefined) opts = {...opts, redisServer: opts.server}
  const primaries = opts.primaries ?? 3
  const replicas = opts.replicas ?? 0
  const total = primaries * (1 + replicas)
  const password =
    opts.password === true ? `pw-${process.pid}-${Math.random().toString(36).slice(2)}` : typeof opts.password === 'string' ? opts.password : undefined
  installExitHook()
  let lastError: unknown
  for (let attempt = 0; attempt < 6; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'reshard-it-'))
    // Spare ports after the cluster's, for addEmptyPrimary.
    const base = await findFreePortRange(total + 3)
    const sandboxOpts: StartSandboxOptions = {
      primaries,
      replicas,
      port: base,
      keys: opts.keys,
      password,
      tls: opts.tls,
      dir: join(dir, 'data'),
      statePath: null,
      timeoutMs: opts.timeoutMs,
      redisServer: opts.redisServer,
    }
    try {
      const {state, seeded} = await startSandbox(sandboxOpts)
      liveStates.add(state)
      return makeCluster(state, dir, seeded)
    } catch (e) {
      rmSync(dir, {recursive: true, force: true})
      lastError = e
      if (!(e instanceof SandboxPortBusyError)) throw e
    }
  }
  throw lastError
}

function makeCluster(state: SandboxState, dir: string, seeded: SeedResult | undefined): TestCluster {
  const seeds = () => state.nodes.map((n) => `${state.host}:${n.port}`)
  const env: NodeJS.ProcessEnv = {...process.env}
  delete env.REDISCLI_AUTH
  delete env.FORCE_COLOR
  env.RESHARD_CLUSTER = seeds().join(',')
  env.RESHARD_SANDBOX_STATE = join(dir, 'no-sandbox-here.json')
  env.NO_COLOR = '1'
  if (state.password !== undefined) env.REDISCLI_AUTH = state.password
  const cliArgs = state.tls ? ['--tls', '--cacert', state.tls.caCert, '--cert', state.tls.cert, '--key', state.tls.key] : []
  let stopped = false
  const cluster: TestCluster = {
    seeds: seeds(),
    nodes: state.nodes.map((n) => toTestNode(state, n)),
    password: state.password,
    tls: state.tls,
    env,
    cliArgs,
    dir,
    state,
    connection: sandboxConnection(state),
    seeded,
    seed: (o) => seedKeys(sandboxConnection(state), o),
    async addEmptyPrimary() {
      const {node} = await addEmptyPrimary(state, {statePath: null})
      const t = toTestNode(state, node)
      cluster.nodes.push(t)
      cluster.seeds.push(t.address)
      env.RESHARD_CLUSTER = seeds().join(',')
      cluster.connection = sandboxConnection(state)
      return t
    },
    async startBareNode() {
      const node = await startBareNode(state, {statePath: null})
      return {...toTestNode(state, node), role: 'primary' as const}
    },
    async stop() {
      if (stopped) return
      stopped = true
      await stopSandbox(state, {statePath: null})
      liveStates.delete(state)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return cluster
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunCliOptions {
  /** Env of the child (default: process.env with RESHARD_SANDBOX_STATE pointing nowhere). Use `cluster.env`. */
  env?: NodeJS.ProcessEnv
  /** Written to stdin (which is a pipe, never a TTY), then closed. */
  input?: string
  /** Kill the child after this long (default 60 s); code is then -1. */
  timeoutMs?: number
}

/** Run the built CLI (`node bin/run.js ...args`) with stdin not a TTY. */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const env = opts.env ?? {...process.env, RESHARD_SANDBOX_STATE: join(tmpdir(), `reshard-no-sandbox-${process.pid}.json`), NO_COLOR: '1'}
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args], {cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, opts.timeoutMs ?? 60_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code: timedOut ? -1 : (code ?? -1), stdout, stderr: timedOut ? `${stderr}\n[runCli: killed after timeout]` : stderr})
    })
    child.stdin.on('error', () => {
      // the CLI may exit before reading its input
    })
    child.stdin.end(opts.input ?? '')
  })
}

/**
 * Each node's CLUSTER NODES text, keyed by "host:port", with the volatile fields (ping-sent,
 * pong-recv, link-state) removed and lines sorted, so before/after snapshots compare equal
 * when the layout did not change.
 */
export async function clusterNodesOfAll(cluster: TestCluster): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const conn = sandboxConnection(cluster.state)
  await Promise.all(
    cluster.state.nodes.map(async (n) => {
      const c = await connectNode(conn, cluster.state.host, n.port)
      try {
        const text = String(await c.call('CLUSTER', 'NODES'))
        out[`${cluster.state.host}:${n.port}`] = stripVolatile(text)
      } finally {
        c.disconnect()
      }
    }),
  )
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
}

/** CLUSTER NODES text without ping-sent, pong-recv and link-state; lines sorted. */
export function stripVolatile(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ')
      // id addr flags primary ping pong epoch link slots...
      return [...f.slice(0, 4), f[6], ...f.slice(8)].join(' ')
    })
    .sort()
    .join('\n')
}
