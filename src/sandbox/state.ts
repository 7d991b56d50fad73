// Where `reshard sandbox up` records what it started, so `down`/`status` and every other
// command (with no connection flags) can find it. Each sandbox has a name ("default" unless
// --name or env RESHARD_SANDBOX says otherwise) and its own file:
// $RESHARD_HOME/sandboxes/<name>.json (RESHARD_HOME defaults to ~/.reshard). Env
// RESHARD_SANDBOX_STATE names one file instead (then only that one sandbox exists). The file of
// older versions, $RESHARD_HOME/sandbox.json, is still read as the sandbox named "default".
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {UsageError} from '../errors.js'

export const DEFAULT_SANDBOX_NAME = 'default'

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

/** What the server says it is (INFO server), e.g. {name: 'valkey', version: '8.0.1', label: 'valkey 8.0.1'}. */
export interface SandboxServerIdentity {
  name: string
  version: string
  label: string
}

export interface SandboxState {
  version: 1
  /** The sandbox's name (absent in files written before names existed: "default"). */
  name?: string
  host: string
  dataDir: string
  redisServer: string
  /** The server's own name and version, probed with INFO server once it runs. */
  server?: SandboxServerIdentity
  nodes: SandboxNodeState[]
  primaries: number
  replicas: number
  /** A throw-away sandbox's password, kept in a 0600 file; never printed. */
  password?: string
  /** An ACL user (with `password`) that the nodes also use for replication (masteruser/primaryuser). */
  user?: string
  /** The replication credential settings this server knows and that were set (masterauth, primaryauth, ...). */
  replicationAuth?: string[]
  tls?: {caCert: string; cert: string; key: string}
  createdAt: string
  /** Whether the sandbox created dataDir (then `down` removes it; else only what it put there). */
  ownsDataDir?: boolean
}

export function reshardHome(): string {
  return process.env.RESHARD_HOME ?? join(homedir(), '.reshard')
}

/** The folder holding one state file per named sandbox. */
export function sandboxesDir(): string {
  return join(reshardHome(), 'sandboxes')
}

/** Where versions before named sandboxes kept the one sandbox: read as "default". */
export function legacySandboxStatePath(): string {
  return join(reshardHome(), 'sandbox.json')
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

/** A sandbox name usable as a file name: letters, digits, '.', '_', '-'. */
export function checkSandboxName(name: string): string {
  if (!NAME_RE.test(name)) throw new UsageError(`"${name}" is not a sandbox name`, 'use letters, digits, ".", "_" and "-" (at most 63), e.g. --name valkey')
  return name
}

/** The state file of sandbox `name` (env RESHARD_SANDBOX_STATE, when set, is the one file for any name). */
export function sandboxStatePath(name = DEFAULT_SANDBOX_NAME): string {
  if (process.env.RESHARD_SANDBOX_STATE) return process.env.RESHARD_SANDBOX_STATE
  return join(sandboxesDir(), `${checkSandboxName(name)}.json`)
}

export function readSandboxState(path = sandboxStatePath()): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState
  } catch {
    return undefined
  }
}

export function writeSandboxState(state: SandboxState, path = sandboxStatePath(state.name)): void {
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
}

export function removeSandboxState(path = sandboxStatePath()): void {
  rmSync(path, {force: true})
}

export interface RecordedSandboxFile {
  name: string
  path: string
  state: SandboxState
}

/** The recorded sandbox `name` (the legacy file counts as "default"), or undefined. */
export function findSandboxState(name = DEFAULT_SANDBOX_NAME): RecordedSandboxFile | undefined {
  const path = sandboxStatePath(name)
  const state = readSandboxState(path)
  if (state) return {name: process.env.RESHARD_SANDBOX_STATE ? (state.name ?? name) : name, path, state}
  if (!process.env.RESHARD_SANDBOX_STATE && name === DEFAULT_SANDBOX_NAME) {
    const legacy = readSandboxState(legacySandboxStatePath())
    if (legacy) return {name, path: legacySandboxStatePath(), state: legacy}
  }
  return undefined
}

/** Every recorded sandbox, by name (only the RESHARD_SANDBOX_STATE file when that env var is set). */
export function listSandboxStates(): RecordedSandboxFile[] {
  if (process.env.RESHARD_SANDBOX_STATE) {
    const state = readSandboxState(process.env.RESHARD_SANDBOX_STATE)
    return state ? [{name: state.name ?? DEFAULT_SANDBOX_NAME, path: process.env.RESHARD_SANDBOX_STATE, state}] : []
  }
  const out: RecordedSandboxFile[] = []
  let files: string[] = []
  try {
    files = readdirSync(sandboxesDir())
  } catch {
    // no folder yet
  }
  for (const f of files.sort()) {
    const name = f.replace(/\.json$/, '')
    if (f === name || !NAME_RE.test(name)) continue
    const path = join(sandboxesDir(), f)
    const state = readSandboxState(path)
    if (state) out.push({name, path, state})
  }
  if (!out.some((s) => s.name === DEFAULT_SANDBOX_NAME)) {
    const legacy = readSandboxState(legacySandboxStatePath())
    if (legacy) out.unshift({name: DEFAULT_SANDBOX_NAME, path: legacySandboxStatePath(), state: legacy})
  }
  return out
}
