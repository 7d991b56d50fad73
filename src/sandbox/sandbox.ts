// The sandbox: a local Redis Cluster of redis-server processes on 127.0.0.1, for demos and
// integration tests. Nodes run detached (they outlive `sandbox up`); what was started is
// recorded in the state file so `down` stops exactly those processes.
import {existsSync, mkdirSync, mkdtempSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import type {Redis} from 'ioredis'
import {connectNode, type ConnectionOptions} from '../cluster/connection.js'
import {PreconditionError, UsageError} from '../errors.js'
import {DEFAULT_TIMEOUT_MS, type ExpectedNode, waitForConvergence} from './convergence.js'
import {HOST, nodeHostname, spreadSlots} from './node-config.js'
import {exitedOne, SandboxPortBusyError, type Spawned, spawnNode, startFailure, waitListening} from './node-spawn.js'
import {busyNodePorts} from './ports.js'
import {sleep} from './process.js'
import {locateRedisServer} from './redis-binary.js'
import {isRunning} from './registry.js'
import {configureReplicationAuth} from './replication-auth.js'
import {sandboxConnection} from './sandbox-connection.js'
import {seedKeys, type SeedResult} from './seed.js'
import {probeServerIdentity} from './server-info.js'
import {checkSandboxName, DEFAULT_SANDBOX_NAME, findSandboxState, readSandboxState, removeSandboxState, sandboxStatePath, type SandboxState, writeSandboxState} from './state.js'
import {stopSandbox} from './stop.js'
import {makeSandboxCertificates} from './tls.js'

// The sandbox's API in one place: commands, the test harness and the benchmarks import it here.
export {type ExpectedNode, waitForConvergence} from './convergence.js'
export {addEmptyPrimary, type AddPrimaryOptions, startBareNode} from './grow.js'
export {SandboxPortBusyError} from './node-spawn.js'
export {sandboxConnection} from './sandbox-connection.js'
export {type NodeStatus, type SandboxStatus, sandboxStatus} from './sandbox-status.js'
export {type StopNodeResult, type StopSandboxOptions, stopSandbox} from './stop.js'

export const DEFAULT_BASE_PORT = 30001

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
  /** requirepass + masterauth (and primaryauth where the server knows it); written only to 0600 config files, never on a command line. */
  password?: string
  /** With `password`: an ACL user with every right, also used for replication (masteruser/primaryuser). */
  user?: string
  /** The sandbox's name (default "default"): its state file is per name. */
  name?: string
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

function checkCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max} (got ${value})`)
}

/** The options checked and defaulted: every usage error comes before anything starts. */
function checkStartOptions(opts: StartSandboxOptions) {
  const primaries = opts.primaries ?? 3
  const replicas = opts.replicas ?? 0
  const basePort = opts.port ?? DEFAULT_BASE_PORT
  checkCount('--primaries', primaries, 1, 100)
  checkCount('--replicas', replicas, 0, 10)
  const total = primaries * (1 + replicas)
  checkCount('--port', basePort, 1, 65535 - 10000 - total + 1)
  if (opts.keys !== undefined) checkCount('--keys', opts.keys, 0, 100_000_000)
  if (opts.password !== undefined && opts.password === '') throw new UsageError('the sandbox password must not be empty')
  if (opts.user !== undefined && opts.password === undefined) throw new UsageError('a sandbox user needs a password', 'give --password (or env REDISCLI_AUTH) with --user')
  if (opts.user !== undefined && !/^[A-Za-z0-9_.@-]{1,64}$/.test(opts.user)) throw new UsageError(`"${opts.user}" is not a user name for the sandbox`, 'use letters, digits, "_", ".", "@" and "-"')
  const name = checkSandboxName(opts.name ?? DEFAULT_SANDBOX_NAME)
  const statePath = opts.statePath === undefined ? sandboxStatePath(name) : opts.statePath
  return {primaries, replicas, basePort, total, name, statePath, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS}
}

/** Refuse to start a sandbox whose name is taken by a running one; forget a recorded one whose processes are gone. */
function refuseRunningSandbox(name: string, statePath: string, explicitPath: boolean): void {
  // The named sandbox as recorded (for "default", possibly in the file of older versions).
  const found = explicitPath ? undefined : findSandboxState(name)
  const existingPath = found?.path ?? statePath
  const existing = found?.state ?? readSandboxState(statePath)
  if (existing && isRunning(existing)) {
    const named = name === DEFAULT_SANDBOX_NAME ? '' : ` --name ${name}`
    throw new PreconditionError(
      'sandbox_running',
      `a sandbox named "${name}" is already running (ports ${existing.nodes.map((n) => n.port).join(', ')})`,
      `stop it with \`reshard sandbox down${named}\` first, or start another one with --name NAME and another --port`,
      {statePath: existingPath},
    )
  }
  // A recorded sandbox whose processes are all gone (reboot, kill): forget it.
  if (existing) removeSandboxState(existingPath)
}

/** The data directory: `dir` (created; must be empty if it exists), else a new temp directory. */
function makeDataDir(dir: string | undefined): {dataDir: string; ownsDataDir: boolean} {
  if (!dir) return {dataDir: mkdtempSync(join(tmpdir(), 'reshard-sandbox-')), ownsDataDir: true}
  const dataDir = resolve(dir)
  const ownsDataDir = !existsSync(dataDir)
  if (!ownsDataDir && readdirSync(dataDir).length > 0) throw new UsageError(`the data directory ${dataDir} is not empty`, 'give an empty or new directory with --dir')
  mkdirSync(dataDir, {recursive: true, mode: 0o700})
  return {dataDir, ownsDataDir}
}

/** Start every server process (primaries first, then replicas spread over them); each goes into `spawned` and `state.nodes` as it starts. */
function spawnNodes(state: SandboxState, spawned: Spawned[], basePort: number, total: number): ExpectedNode[] {
  const expected: ExpectedNode[] = []
  const primaries = state.primaries
  for (let k = 0; k < total; k++) {
    const port = basePort + k
    const isPrimary = k < primaries
    const primaryPort = isPrimary ? undefined : basePort + ((k - primaries) % primaries)
    const sp = spawnNode(state.redisServer, {port, hostname: nodeHostname(k), dir: join(state.dataDir, `node-${port}`)}, state)
    sp.node.role = isPrimary ? 'primary' : 'replica'
    if (primaryPort !== undefined) sp.node.primaryPort = primaryPort
    spawned.push(sp)
    state.nodes.push(sp.node)
    expected.push({port, role: isPrimary ? 'primary' : 'replica', primaryPort})
  }
  return expected
}

/** Connect to every (listening) node, then give out slots, meet the nodes and attach the replicas; returns the connection options used. */
async function formCluster(state: SandboxState, clients: Map<number, Redis>, deadline: number, progress: (m: string) => void): Promise<ConnectionOptions> {
  const conn = sandboxConnection(state)
  await Promise.all(
    state.nodes.map(async (n) => {
      clients.set(n.port, await connectNode(conn, HOST, n.port))
    }),
  )
  state.server = await probeServerIdentity(clients.get(state.nodes[0]!.port)!)
  progress(`the servers are ${state.server.label}`)
  // Replication credentials under every name this server knows (Valkey 9's atomic slot
  // migration logs in to the target with primaryauth/primaryuser).
  if (state.password !== undefined) state.replicationAuth = await configureReplicationAuth([...clients.values()], state.password, state.user)
  // Distinct config epochs before meeting, as redis-cli does: no epoch collisions to resolve.
  await Promise.all(
    state.nodes.map(async (n, k) => {
      const c = clients.get(n.port)!
      n.id = String(await c.call('CLUSTER', 'MYID'))
      await c.call('CLUSTER', 'SET-CONFIG-EPOCH', k + 1)
    }),
  )
  progress(`assigning slots to ${state.primaries} primaries and meeting the nodes`)
  const ranges = spreadSlots(state.primaries)
  await Promise.all(ranges.map(([lo, hi], i) => clients.get(state.nodes[i]!.port)!.call('CLUSTER', 'ADDSLOTSRANGE', lo, hi)))
  // Every pair meets directly (one direction per pair): no waiting for gossip to spread
  // the news hop by hop, so replicas know their primary and slot owners in one handshake.
  await Promise.all(
    state.nodes.map(async (a, i) => {
      for (const b of state.nodes.slice(i + 1)) await clients.get(a.port)!.call('CLUSTER', 'MEET', HOST, b.port)
    }),
  )
  if (state.replicas > 0) {
    progress(`attaching ${state.primaries * state.replicas} replicas`)
    await Promise.all(
      state.nodes
        .filter((n) => n.role === 'replica')
        .map(async (n) => {
          const primary = state.nodes.find((p) => p.port === n.primaryPort)!
          await replicate(clients.get(n.port)!, primary.id!, deadline)
        }),
    )
  }
  return conn
}

/** Start a sandbox cluster and wait until it is healthy. On failure, everything started is stopped.
 *  (A little over 60 lines: the steps are calls, and the one try/catch around them must see every
 *  process started so far to stop it.) */
export async function startSandbox(opts: StartSandboxOptions = {}): Promise<StartSandboxResult> {
  const started = Date.now()
  const progress = opts.onProgress ?? (() => {})
  const {primaries, replicas, basePort, total, name, statePath, timeoutMs} = checkStartOptions(opts)
  const binary = locateRedisServer(opts.redisServer)
  if (statePath) refuseRunningSandbox(name, statePath, opts.statePath !== undefined)
  const ports = Array.from({length: total}, (_, i) => basePort + i)
  const busy = await busyNodePorts(ports, HOST)
  if (busy.length > 0) throw new SandboxPortBusyError(busy)
  const {dataDir, ownsDataDir} = makeDataDir(opts.dir)

  const state: SandboxState = {
    version: 1,
    name,
    host: HOST,
    dataDir,
    redisServer: binary.path,
    nodes: [],
    primaries,
    replicas,
    password: opts.password,
    user: opts.user,
    createdAt: new Date().toISOString(),
    ownsDataDir,
  }
  const clients = new Map<number, Redis>()
  const spawned: Spawned[] = []
  try {
    if (opts.tls) {
      progress('making a throw-away CA and node certificate (openssl)')
      state.tls = await makeSandboxCertificates(join(dataDir, 'tls'))
    }
    progress(`starting ${total} server processes (${binary.path}) on ports ${basePort}-${basePort + total - 1}`)
    const expected = spawnNodes(state, spawned, basePort, total)
    // Record PIDs at once: if anything below fails, the cleanup (or `down`) can find them.
    if (statePath) writeSandboxState(state, statePath)
    const deadline = Date.now() + timeoutMs
    await Promise.all(spawned.map((sp) => waitListening(sp, deadline, Boolean(opts.tls), opts.password)))
    const conn = await formCluster(state, clients, deadline, progress)
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
    // A server that died (e.g. crashed right after it started listening) is the real cause.
    const died = e instanceof SandboxPortBusyError ? undefined : await exitedOne(spawned, 300)
    const cause = died ? startFailure(died, Boolean(opts.tls), opts.password) : e
    // Keep the data (and so the log the hint points at) of a server that could not start.
    await stopSandbox(state, {statePath: statePath ?? null, removeData: !died}).catch(() => undefined)
    throw cause
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
