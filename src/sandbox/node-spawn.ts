// Starting one server process of the sandbox: its config file, the detached process, waiting
// until it listens, and why it did not start (from its log, the password redacted).
import {spawn} from 'node:child_process'
import {closeSync, mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {connect as netConnect} from 'node:net'
import {join} from 'node:path'
import {PreconditionError, redact} from '../errors.js'
import {HOST, nodeConfig, type NodeSpec} from './node-config.js'
import {sleep} from './process.js'
import {serverEnv} from './server-modules.js'
import {startFailureReason} from './server-info.js'
import type {SandboxNodeState, SandboxState} from './state.js'

/** Ports (or bus ports) already in use. Retry elsewhere. */
export class SandboxPortBusyError extends PreconditionError {
  readonly ports: number[]
  constructor(ports: number[], hint = 'stop what uses them, or choose another base with --port') {
    super('port_busy', `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} (or the cluster bus port +10000) ${ports.length > 1 ? 'are' : 'is'} in use`, hint, {ports})
    this.ports = ports
  }
}

function tailOf(path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export interface Spawned {
  node: SandboxNodeState
  logPath: string
  exited: {code: number | null; signal: string | null} | undefined
  error?: Error
}

/** Write the node's config (0600: it may hold the password) and start redis-server detached. */
export function spawnNode(redisServer: string, spec: NodeSpec, state: Pick<SandboxState, 'password' | 'tls' | 'user'>): Spawned {
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
/** Why a spawned server exited at start, as a typed error (from its log; the password redacted). */
export function startFailure(sp: Spawned, tls: boolean, password?: string): Error {
  // A config error echoes the offending line: never let it carry the password.
  const log = redact(tailOf(sp.logPath, 400), [password])
  if (sp.error) return new PreconditionError('redis_server_failed', `cannot start the server: ${sp.error.message}`)
  if (/Address already in use|bind: /i.test(log)) return new SandboxPortBusyError([sp.node.port])
  if (tls && /tls|Bad directive/i.test(log)) {
    return new PreconditionError('redis_server_no_tls', `the server on port ${sp.node.port} could not start with TLS: ${startFailureReason(log)}`, 'use a server built with TLS support (BUILD_TLS=yes)')
  }
  return new PreconditionError('redis_server_failed', `the server for port ${sp.node.port} exited at start: ${startFailureReason(log) || 'no reason in its log'}`, `see its log ${sp.logPath} (the data directory is kept for that; remove it when done)`)
}

/** The first of `spawned` that has exited, waiting up to `ms` for one to (a server that crashes right after listening). */
export async function exitedOne(spawned: Spawned[], ms: number): Promise<Spawned | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const gone = spawned.find((sp) => sp.exited)
    if (gone || Date.now() > deadline) return gone
    await sleep(20)
  }
}
/** Wait until the node accepts connections; turn an early exit into a clear error. */
export async function waitListening(sp: Spawned, deadline: number, tls: boolean, password?: string): Promise<void> {
  for (;;) {
    if (sp.exited) throw startFailure(sp, tls, password)
    if (await tcpAccepts(sp.node.port)) return
    if (Date.now() > deadline) throw new PreconditionError('sandbox_timeout', `redis-server on port ${sp.node.port} did not start listening in time`, `see ${sp.logPath}`)
    await sleep(10)
  }
}
