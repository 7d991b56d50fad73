// Where `reshard sandbox up` records what it started, so `down`/`status` and every other
// command (with no connection flags) can find it.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

export interface SandboxNodeState {
  /** The port clients use (the TLS port when the sandbox runs with --tls). */
  port: number
  pid: number
  hostname: string
  dir: string
  /** Cluster node id, as recorded at start (roles may change later: ask the cluster). */
  id?: string
  /** Role at start. */
  role?: 'primary' | 'replica'
  /** For a replica: the port of the primary it was started to replicate. */
  primaryPort?: number
}

export interface SandboxState {
  version: 1
  host: string
  dataDir: string
  redisServer: string
  nodes: SandboxNodeState[]
  primaries: number
  replicas: number
  /** A throw-away sandbox's password, kept in a 0600 file; never printed. */
  password?: string
  tls?: {caCert: string; cert: string; key: string}
  createdAt: string
  /** Whether the sandbox created dataDir (then `down` removes it; else only what it put there). */
  ownsDataDir?: boolean
}

export function sandboxStatePath(): string {
  return process.env.RESHARD_SANDBOX_STATE ?? join(process.env.RESHARD_HOME ?? join(homedir(), '.reshard'), 'sandbox.json')
}

export function readSandboxState(path = sandboxStatePath()): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState
  } catch {
    return undefined
  }
}

export function writeSandboxState(state: SandboxState, path = sandboxStatePath()): void {
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
}

export function removeSandboxState(path = sandboxStatePath()): void {
  rmSync(path, {force: true})
}
