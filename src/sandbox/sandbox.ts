// The sandbox: a local Redis Cluster of redis-server processes on 127.0.0.1, for demos and
// integration tests. Nodes run detached (they outlive `sandbox up`); what was started is
// recorded in the state file so `down` stops exactly those processes.
import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync} from 'node:fs'
import {connect as netConnect} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import type {Redis} from 'ioredis'
import {connectNode} from '../cluster/connection.js'
import {PreconditionError, redact, UsageError} from '../errors.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {formatSlots} from '../topology/slot-set.js'
import {SLOT_COUNT} from './keyslot.js'
import {busyNodePorts, findFreeNodePort} from './ports.js'
import {isPidAlive, isSandboxProcess, sleep, waitForExit} from './process.js'
import {locateRedisServer} from './redis-binary.js'
import {serverEnv} from './server-modules.js'
import {sandboxConnection} from './sandbox-connection.js'
import {seedKeys, type SeedResult} from './seed.js'
import {readSandboxState, removeSandboxState, sandboxStatePath, type SandboxNodeState, type SandboxState, writeSandboxState} from './state.js'
import {makeSandboxCertificates} from './tls.js'

export {sandboxConnection} from './sandbox-connection.js'

export const DEFAULT_BASE_PORT = 30001
export const DEFAULT_TIMEOUT_MS = 30_000
const HOST = '127.0.0.1'

export interface StartSandboxOptions {
  /** Number of primaries (default 3). */
  primaries?: number
  /** Replicas per primary (default 0). */
  replicas?: number
  /** First port; nodes use port .. port+n-1 and their bus ports +10000 (default 30001). */
  port?: number
  /** redis-server binary (default: from PATH). */
  redisServer?: string
  /** Seed this many keys once the cluster is up (default 0). */
  keys?: number
  /** requirepass + masterauth; written only to 0600 config files, never on a command line. */
  password?: string
  /** Run with TLS only (throw-away CA made with openssl). */
  tls?: boolean
  /** Data directory (created; must be empty if it exists). Default: a new temp directory. */
  dir?: string
  /** Where to record the sandbox: undefined = the default state file, null = nowhere. */
  statePath?: string | null
  /** Deadline for the cluster to converge (default 30 s). */
  timeoutMs?: number
  /** Progress lines for humans ("starting 6 nodes", ...). */
  onProgress?: (message: string) => void
}

export interface StartSandboxResult {
  state: SandboxState
  seeded?: SeedResult
  ms: number
}

/** Ports (or bus ports) already in use. Retry elsewhere. */
export class SandboxPortBusyError extends PreconditionError {
  readonly ports: number[]
  constructor(ports: number[], hint = 'stop what uses them, or choose another base with --port') {
    super('port_busy', `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} (or the cluster bus port +10000) ${ports.length > 1 ? 'are' : 'is'} in use`, hint, {ports})
    this.ports = ports
  }
}

/** Hostnames nodeA..nodeZ, nodeAA, nodeAB, ... by node index. */
export function nodeHostname(index: number): string {
  let k = index + 1
  let s = ''
  while (k > 0) {
    const r = (k - 1) % 26
    s = String.fromCharCode(65 + r) + s
    k = Math.floor((k - 1) / 26)
  }
  return `node${s}`
}

/** Slot ranges per primary: 16384/N each, the remainder to the first ones. */
export function spreadSlots(primaries: number): Array<[number, number]> {
  const base = Math.floor(SLOT_COUNT / primaries)
  const rem = SLOT_COUNT % primaries
  const out: Array<[number, number]> = []
  let next = 0
  for (let i = 0; i < primaries; i++) {
    const n = base + (i < rem ? 1 : 0)
    out.push([next, next + n - 1])
    next += n
  }
  return out
}

/** A value for a redis.conf line, double-quoted with escapes (the parser is sdssplitargs). */
function confQuote(value: string): string {
  let out = '"'
  for (const ch of Buffer.from(value, 'utf8')) {
    if (ch === 0x22 || ch === 0x5c) out += '\\' + String.fromCharCode(ch)
    else if (ch >= 0x20 && ch < 0x7f) out += String.fromCharCode(ch)
    else out += '\\x' + ch.toString(16).padStart(2, '0')
  }
  return out + '"'
}

interface NodeSpec {
  port: number
  hostname: string
  dir: string
}

function nodeConfig(node: NodeSpec, state: Pick<SandboxState, 'password' | 'tls'>): string {
  const lines = [
    `bind ${HOST}`,
    'protected-mode no',
    'daemonize no',
    'logfile ""',
    `dir ${confQuote(node.dir)}`,
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    'cluster-node-timeout 5000',
    `cluster-announce-hostname ${node.hostname}`,
    'cluster-preferred-endpoint-type ip',
    'appendonly no',
    'save ""',
    // The first full sync of a replica starts at once instead of after 5 s.
    'repl-diskless-sync-delay 0',
    // `down` sends SIGTERM: exit without saving or waiting for lagging replicas.
    'shutdown-on-sigterm nosave now',
  ]
  if (state.tls) {
    lines.push(
      'port 0',
      `tls-port ${node.port}`,
      `tls-cert-file ${confQuote(state.tls.cert)}`,
      `tls-key-file ${confQuote(state.tls.key)}`,
      `tls-ca-cert-file ${confQuote(state.tls.caCert)}`,
      'tls-cluster yes',
      'tls-replication yes',
      'tls-auth-clients optional',
    )
  } else {
    lines.push(`port ${node.port}`)
  }
  if (state.password !== undefined) {
    lines.push(`requirepass ${confQuote(state.password)}`, `masterauth ${confQuote(state.password)}`)
  }
  return lines.join('\n') + '\n'
}

function tailOf(path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

interface Spawned {
  node: SandboxNodeState
  logPath: string
  exited: {code: number | null; signal: string | null} | undefined
  error?: Error
}

/** Write the node's config (0600: it may hold the password) and start redis-server detached. */
function spawnNode(redisServer: string, spec: NodeSpec, state: Pick<SandboxState, 'password' | 'tls'>): Spawned {
  mkdirSync(spec.dir, {recursive: true, mode: 0o700})
  const confPath = join(spec.dir, 'redis.conf')
  writeFileSync(confPath, nodeConfig(spec, state), {mode: 0o600})
  const logPath = join(spec.dir, 'redis.log')
  const fd = openSync(logPath, 'a', 0o600)
  let child
  try {
    // Only the config file path on the command line: `ps` must never show the password.
    const extraEnv = serverEnv(redisServer)
    child = spawn(redisServer, [confPath], {cwd: spec.dir, detached: true, stdio: ['ignore', fd, fd], env: extraEnv ? {...process.env, ...extraEnv} : process.env})
  } finally {
    closeSync(fd)
  }
  const spawned: Spawned = {node: {port: spec.port, pid: child.pid ?? -1, hostname: spec.hostname, dir: spec.dir}, logPath, exited: undefined}
  child.on('exit', (code, signal) => {
    spawned.exited = {code, signal}
  })
  child.on('error', (e) => {
    spawned.error = e
    spawned.exited = {code: null, signal: null}
  })
  child.unref()
  return spawned
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = netConnect({host: HOST, port})
    s.once('connect', () => {
      s.destroy()
      res(true)
    })
    s.once('error', () => {
      s.destroy()
      res(false)
    })
  })
}

/** Wait until the node accepts connections; turn an early exit into a clear error. */
async function waitListening(sp: Spawned, deadline: number, tls: boolean, password?: string): Promise<void> {
  for (;;) {
    if (sp.exited) {
      // A config error echoes the offending line: never let it carry the password.
      const log = redact(tailOf(sp.logPath), [password])
      if (sp.error) throw new PreconditionError('redis_server_failed', `cannot start redis-server: ${sp.error.message}`)
      if (/Address already in use|bind: /i.test(log)) throw new SandboxPortBusyError([sp.node.port])
      if (tls && /tls|Bad directive/i.test(log)) {
        throw new PreconditionError('redis_server_no_tls', `redis-server on port ${sp.node.port} could not start with TLS:\n${log}`, 'use a redis-server built with TLS support (BUILD_TLS=yes)')
      }
      throw new PreconditionError('redis_server_failed', `redis-server for port ${sp.node.port} exited at start:\n${log}`, `see ${sp.logPath}`)
    }
    if (await tcpAccepts(sp.node.port)) return
    if (Date.now() > deadline) throw new PreconditionError('sandbox_timeout', `redis-server on port ${sp.node.port} did not start listening in time`, `see ${sp.logPath}`)
    await sleep(10)
  }
}

async function info(client: Redis, section: string): Promise<Record<string, string>> {
  const text = String(await client.call('INFO', section))
  const out: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

async function clusterInfo(client: Redis): Promise<Record<string, string>> {
  const text = String(await client.call('CLUSTER', 'INFO'))
  const out: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

export interface ExpectedNode {
  port: number
  role: 'primary' | 'replica'
  /** For replicas: the port of their primary. */
  primaryPort?: number
}

/**
 * Poll until every node says cluster_state:ok, knows exactly `expected.length` nodes (none in
 * handshake or failing), all views of CLUSTER NODES agree on ids, roles, primaries and slot
 * owners, roles are as expected, and each replica's link to its primary is up.
 */
export async function waitForConvergence(clients: Map<number, Redis>, expected: ExpectedNode[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let why = 'not checked yet'
  for (;;) {
    const w = await convergenceProblem(clients, expected)
    if (process.env.RESHARD_SANDBOX_DEBUG && w !== why) process.stderr.write(`[converge ${Date.now() % 100000}] ${w || 'ok'}\n`)
    why = w
    if (why === '') return
    if (Date.now() > deadline) {
      throw new PreconditionError('sandbox_timeout', `the sandbox cluster did not converge within ${Math.round(timeoutMs / 1000)} s: ${why}`, 'see redis.log in each node directory of the data dir')
    }
    await sleep(50)
  }
}

async function convergenceProblem(clients: Map<number, Redis>, expected: ExpectedNode[]): Promise<string> {
  const views = new Map<number, string>()
  const idOfPort = new Map<number, string>()
  for (const [port, c] of clients) {
    const ci = await clusterInfo(c)
    if (ci.cluster_state !== 'ok') return `${HOST}:${port} reports cluster_state:${ci.cluster_state}`
    if (Number(ci.cluster_known_nodes) !== expected.length) return `${HOST}:${port} knows ${ci.cluster_known_nodes} of ${expected.length} nodes`
    const lines = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
    const bad = lines.find((l) => l.failed)
    if (bad) return `${HOST}:${port} sees ${bad.host}:${bad.port} as ${bad.flags.join(',')}`
    const canon = lines
      .map((l) => `${l.id} ${l.host}:${l.port} ${l.role} ${l.primaryId ?? '-'} ${formatSlots(l.slots)} ${l.hostname ?? '-'} ${l.role === 'primary' ? l.configEpoch : '-'}`)
      .sort()
      .join('\n')
    views.set(port, canon)
    for (const l of lines) idOfPort.set(l.port, l.id)
  }
  const distinct = new Set(views.values())
  if (distinct.size > 1) {
    if (process.env.RESHARD_SANDBOX_DEBUG) process.stderr.write([...views].map(([p, v]) => `${p}:\n${v}`).join('\n') + '\n')
    return 'the nodes do not agree yet on the cluster layout'
  }
  const view = [...distinct][0] ?? ''
  // Primaries that share a config epoch (new empty ones all start at 0) are told apart by Redis
  // a moment later: one bumps its epoch. Wait for that too, or the layout changes under a caller.
  const epochs = view.split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'primary').map((f) => f[6])
  if (new Set(epochs).size < epochs.length) return 'two primaries still share a config epoch'
  for (const e of expected) {
    const id = idOfPort.get(e.port)
    const line = view.split('\n').find((l) => l.startsWith(`${id} `))
    if (!id || !line) return `node ${HOST}:${e.port} is not known yet`
    const [, , role, primaryId] = line.split(' ')
    if (role !== e.role) return `${HOST}:${e.port} is not a ${e.role} yet`
    if (e.role === 'replica' && primaryId !== idOfPort.get(e.primaryPort!)) return `${HOST}:${e.port} does not replicate ${HOST}:${e.primaryPort} yet`
  }
  for (const e of expected) {
    if (e.role !== 'replica') continue
    const repl = await info(clients.get(e.port)!, 'replication')
    if (repl.master_link_status !== 'up') return `replica ${HOST}:${e.port} has not synced with its primary yet`
  }
  return ''
}

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max} (got ${value})`)
}

/** Whether any recorded node of `state` is still our redis-server. */
export function sandboxIsRunning(state: SandboxState): boolean {
  return state.nodes.some((n) => isSandboxProcess(n.pid, n.port, state.redisServer))
}

/** Start a sandbox cluster and wait until it is healthy. On failure, everything started is stopped. */
export async function startSandbox(opts: StartSandboxOptions = {}): Promise<StartSandboxResult> {
  const started = Date.now()
  const progress = opts.onProgress ?? (() => {})
  const primaries = opts.primaries ?? 3
  const replicas = opts.replicas ?? 0
  const basePort = opts.port ?? DEFAULT_BASE_PORT
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  checkCount('--primaries', primaries, 1, 100)
  checkCount('--replicas', replicas, 0, 10)
  const total = primaries * (1 + replicas)
  checkCount('--port', basePort, 1, 65535 - 10000 - total + 1)
  if (opts.keys !== undefined) checkCount('--keys', opts.keys, 0, 100_000_000)
  if (opts.password !== undefined && opts.password === '') throw new UsageError('the sandbox password must not be empty')
  const statePath = opts.statePath === undefined ? sandboxStatePath() : opts.statePath
  const binary = locateRedisServer(opts.redisServer)

  if (statePath) {
    const existing = readSandboxState(statePath)
    if (existing && sandboxIsRunning(existing)) {
      throw new PreconditionError(
        'sandbox_running',
        `a sandbox is already running (ports ${existing.nodes.map((n) => n.port).join(', ')})`,
        'stop it with `reshard sandbox down` first',
        {statePath},
      )
    }
    // A recorded sandbox whose processes are all gone (reboot, kill): forget it.
    if (existing) removeSandboxState(statePath)
  }

  const ports = Array.from({length: total}, (_, i) => basePort + i)
  const busy = await busyNodePorts(ports, HOST)
  if (busy.length > 0) throw new SandboxPortBusyError(busy)

  let dataDir: string
  let ownsDataDir: boolean
  if (opts.dir) {
    dataDir = resolve(opts.dir)
    ownsDataDir = !existsSync(dataDir)
    if (!ownsDataDir && readdirSync(dataDir).length > 0) throw new UsageError(`the data directory ${dataDir} is not empty`, 'give an empty or new directory with --dir')
    mkdirSync(dataDir, {recursive: true, mode: 0o700})
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'reshard-sandbox-'))
    ownsDataDir = true
  }

  const state: SandboxState = {
    version: 1,
    host: HOST,
    dataDir,
    redisServer: binary.path,
    nodes: [],
    primaries,
    replicas,
    password: opts.password,
    createdAt: new Date().toISOString(),
    ownsDataDir,
  }
  const clients = new Map<number, Redis>()
  try {
    if (opts.tls) {
      progress('making a throw-away CA and node certificate (openssl)')
      state.tls = await makeSandboxCertificates(join(dataDir, 'tls'))
    }
    progress(`starting ${total} redis-server processes (${binary.path}, Redis ${binary.version}) on ports ${basePort}-${basePort + total - 1}`)
    const expected: ExpectedNode[] = []
    const spawned: Spawned[] = []
    for (let k = 0; k < total; k++) {
      const port = basePort + k
      const isPrimary = k < primaries
      const primaryPort = isPrimary ? undefined : basePort + ((k - primaries) % primaries)
      const sp = spawnNode(binary.path, {port, hostname: nodeHostname(k), dir: join(dataDir, `node-${port}`)}, state)
      sp.node.role = isPrimary ? 'primary' : 'replica'
      if (primaryPort !== undefined) sp.node.primaryPort = primaryPort
      spawned.push(sp)
      state.nodes.push(sp.node)
      expected.push({port, role: isPrimary ? 'primary' : 'replica', primaryPort})
    }
    // Record PIDs at once: if anything below fails, the cleanup (or `down`) can find them.
    if (statePath) writeSandboxState(state, statePath)
    const deadline = Date.now() + timeoutMs
    await Promise.all(spawned.map((sp) => waitListening(sp, deadline, Boolean(opts.tls), opts.password)))

    const conn = sandboxConnection(state)
    await Promise.all(
      state.nodes.map(async (n) => {
        clients.set(n.port, await connectNode(conn, HOST, n.port))
      }),
    )
    // Distinct config epochs before meeting, as redis-cli does: no epoch collisions to resolve.
    await Promise.all(
      state.nodes.map(async (n, k) => {
        const c = clients.get(n.port)!
        n.id = String(await c.call('CLUSTER', 'MYID'))
        await c.call('CLUSTER', 'SET-CONFIG-EPOCH', k + 1)
      }),
    )
    progress(`assigning slots to ${primaries} primaries and meeting the nodes`)
    const ranges = spreadSlots(primaries)
    await Promise.all(ranges.map(([lo, hi], i) => clients.get(state.nodes[i]!.port)!.call('CLUSTER', 'ADDSLOTSRANGE', lo, hi)))
    // Every pair meets directly (one direction per pair): no waiting for gossip to spread
    // the news hop by hop, so replicas know their primary and slot owners in one handshake.
    await Promise.all(
      state.nodes.map(async (a, i) => {
        for (const b of state.nodes.slice(i + 1)) await clients.get(a.port)!.call('CLUSTER', 'MEET', HOST, b.port)
      }),
    )

    if (replicas > 0) {
      progress(`attaching ${primaries * replicas} replicas`)
      await Promise.all(
        state.nodes
          .filter((n) => n.role === 'replica')
          .map(async (n) => {
            const primary = state.nodes.find((p) => p.port === n.primaryPort)!
            await replicate(clients.get(n.port)!, primary.id!, deadline)
          }),
      )
    }
    progress('waiting until every node reports cluster_state:ok and all agree')
    await waitForConvergence(clients, expected, Math.max(1000, deadline - Date.now()))
    if (statePath) writeSandboxState(state, statePath)

    let seeded: SeedResult | undefined
    if (opts.keys && opts.keys > 0) {
      progress(`seeding ${opts.keys} keys`)
      seeded = await seedKeys(conn, {count: opts.keys})
    }
    return {state, seeded, ms: Date.now() - started}
  } catch (e) {
    for (const c of clients.values()) c.disconnect()
    clients.clear()
    await stopSandbox(state, {statePath: statePath ?? null}).catch(() => undefined)
    throw e
  } finally {
    for (const c of clients.values()) c.disconnect()
  }
}

/** CLUSTER REPLICATE, once the replica knows its primary (gossip may lag behind MEET). */
async function replicate(replica: Redis, primaryId: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await replica.call('CLUSTER', 'REPLICATE', primaryId)
      return
    } catch (e) {
      const msg = (e as Error).message
      if (!/Unknown node/i.test(msg) || Date.now() > deadline) throw e
    }
    await sleep(20)
  }
}

export interface StopNodeResult {
  port: number
  pid: number
  hostname: string
  /** stopped: we signalled it and it exited; not_running: already gone; not_ours: the PID now belongs to another process (left alone). */
  result: 'stopped' | 'killed' | 'not_running' | 'not_ours'
}

export interface StopSandboxOptions {
  /** The state file to remove: undefined = the default, null = none. */
  statePath?: string | null
  /** Remove the data directory (default true). */
  removeData?: boolean
}

/** Stop exactly the recorded processes (each checked to still be our server on its port), then clean up. */
export async function stopSandbox(state: SandboxState, opts: StopSandboxOptions = {}): Promise<StopNodeResult[]> {
  const results: StopNodeResult[] = []
  const signalled: number[] = []
  for (const n of state.nodes) {
    const base = {port: n.port, pid: n.pid, hostname: n.hostname}
    if (!isPidAlive(n.pid)) {
      results.push({...base, result: 'not_running'})
    } else if (!isSandboxProcess(n.pid, n.port, state.redisServer)) {
      results.push({...base, result: 'not_ours'})
    } else {
      try {
        process.kill(n.pid, 'SIGTERM')
        signalled.push(n.pid)
        results.push({...base, result: 'stopped'})
      } catch {
        results.push({...base, result: 'not_running'})
      }
    }
  }
  const stubborn = await waitForExit(signalled, 5000)
  for (const pid of stubborn) {
    const r = results.find((x) => x.pid === pid)!
    if (isSandboxProcess(pid, r.port, state.redisServer)) {
      try {
        process.kill(pid, 'SIGKILL')
        r.result = 'killed'
      } catch {
        // exited meanwhile
      }
    }
  }
  await waitForExit(stubborn, 3000)
  if (opts.removeData !== false) removeSandboxData(state)
  const statePath = opts.statePath === undefined ? sandboxStatePath() : opts.statePath
  if (statePath) removeSandboxState(statePath)
  return results
}

/** Remove what the sandbox put in its data dir, and the dir itself if the sandbox made it (or it is now empty). */
function removeSandboxData(state: SandboxState): void {
  if (state.ownsDataDir) {
    rmSync(state.dataDir, {recursive: true, force: true})
    return
  }
  for (const n of state.nodes) rmSync(n.dir, {recursive: true, force: true})
  if (state.tls) rmSync(join(state.dataDir, 'tls'), {recursive: true, force: true})
  try {
    rmdirSync(state.dataDir)
  } catch {
    // not empty: someone else's files; leave them
  }
}

export interface NodeStatus {
  hostname: string
  address: string
  port: number
  pid: number
  /** The recorded PID is alive and is our redis-server on this port. */
  alive: boolean
  id?: string
  role?: 'primary' | 'replica'
  /** For a replica: its primary's hostname (or address). */
  primary?: string
  /** Slot ranges owned, e.g. "0-5461". */
  slots?: string
  slotCount?: number
  clusterState?: string
}

export interface SandboxStatus {
  statePath?: string
  dataDir: string
  password: boolean
  tls: boolean
  nodes: NodeStatus[]
  /** Every node alive and reporting cluster_state:ok. */
  healthy: boolean
}

/** Each recorded node with its PID alive/dead, and (when reachable) its role, slots and cluster_state. */
export async function sandboxStatus(state: SandboxState, statePath?: string): Promise<SandboxStatus> {
  const conn = sandboxConnection(state, 1000)
  const nodes: NodeStatus[] = await Promise.all(
    state.nodes.map(async (n) => {
      const st: NodeStatus = {hostname: n.hostname, address: `${state.host}:${n.port}`, port: n.port, pid: n.pid, alive: isSandboxProcess(n.pid, n.port, state.redisServer), id: n.id}
      if (!st.alive) return st
      let c: Redis | undefined
      try {
        c = await connectNode(conn, state.host, n.port)
        st.clusterState = (await clusterInfo(c)).cluster_state
        const lines = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
        const me = lines.find((l) => l.myself)
        if (me) {
          st.id = me.id
          st.role = me.role
          if (me.primaryId) {
            const p = lines.find((l) => l.id === me.primaryId)
            st.primary = p ? (p.hostname ?? `${p.host}:${p.port}`) : me.primaryId
          }
          st.slots = formatSlots(me.slots)
          st.slotCount = me.slots.length
        }
      } catch {
        // alive but not answering: report what we know
      } finally {
        c?.disconnect()
      }
      return st
    }),
  )
  return {
    statePath,
    dataDir: state.dataDir,
    password: state.password !== undefined,
    tls: Boolean(state.tls),
    nodes,
    healthy: nodes.length > 0 && nodes.every((n) => n.alive && n.clusterState === 'ok'),
  }
}

export interface AddPrimaryOptions {
  /** Port for the new node (default: the first free port after the highest sandbox port). */
  port?: number
  /** The state file to update: undefined = the default, null = none. */
  statePath?: string | null
  timeoutMs?: number
}

/**
 * Start one more node, meet it into the running sandbox as an EMPTY primary (no slots), and
 * wait until every node knows it and all agree. `state.nodes` gets the new node appended.
 */
export async function addEmptyPrimary(state: SandboxState, opts: AddPrimaryOptions = {}): Promise<{state: SandboxState; node: SandboxNodeState}> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  const alive = state.nodes.filter((n) => isSandboxProcess(n.pid, n.port, state.redisServer))
  if (alive.length !== state.nodes.length) {
    throw new PreconditionError('sandbox_not_running', 'not every sandbox node is running', 'start a new sandbox with `reshard sandbox up`')
  }
  const port = opts.port ?? (await findFreeNodePort(Math.max(...state.nodes.map((n) => n.port)) + 1, state.host))
  if (opts.port !== undefined && (await busyNodePorts([port], state.host)).length > 0) throw new SandboxPortBusyError([port])
  const hostname = nodeHostname(state.nodes.length)
  const sp = spawnNode(state.redisServer, {port, hostname, dir: join(state.dataDir, `node-${port}`)}, state)
  sp.node.role = 'primary'
  const statePath = opts.statePath === undefined ? sandboxStatePath() : opts.statePath
  state.nodes.push(sp.node)
  if (statePath) writeSandboxState(state, statePath)
  const clients = new Map<number, Redis>()
  try {
    await waitListening(sp, deadline, Boolean(state.tls), state.password)
    const conn = sandboxConnection(state)
    await Promise.all(
      state.nodes.map(async (n) => {
        clients.set(n.port, await connectNode(conn, state.host, n.port))
      }),
    )
    const newClient = clients.get(port)!
    sp.node.id = String(await newClient.call('CLUSTER', 'MYID'))
    await clients.get(state.nodes[0]!.port)!.call('CLUSTER', 'MEET', state.host, port)
    // Expect the current roles (they may have changed since start: ask the cluster).
    const lines = parseClusterNodes(String(await clients.get(state.nodes[0]!.port)!.call('CLUSTER', 'NODES')))
    const portOfId = new Map(lines.map((l) => [l.id, l.port]))
    const expected: ExpectedNode[] = state.nodes.map((n) => {
      if (n.port === port) return {port, role: 'primary'}
      const l = lines.find((x) => x.port === n.port)
      return l?.role === 'replica' ? {port: n.port, role: 'replica', primaryPort: portOfId.get(l.primaryId ?? '')} : {port: n.port, role: 'primary'}
    })
    await waitForConvergence(clients, expected, Math.max(1000, deadline - Date.now()))
    if (statePath) writeSandboxState(state, statePath)
    return {state, node: sp.node}
  } catch (e) {
    // Leave the sandbox as it was: stop the new node and forget it.
    if (isSandboxProcess(sp.node.pid, port, state.redisServer)) process.kill(sp.node.pid, 'SIGTERM')
    await waitForExit([sp.node.pid], 3000)
    state.nodes = state.nodes.filter((n) => n !== sp.node)
    rmSync(sp.node.dir, {recursive: true, force: true})
    if (statePath) writeSandboxState(state, statePath)
    throw e
  } finally {
    for (const c of clients.values()) c.disconnect()
  }
}

/** The sandbox recorded at `statePath` (default: the user's state file), if any. */
export function recordedSandbox(statePath = sandboxStatePath()): SandboxState | undefined {
  return readSandboxState(statePath)
}
