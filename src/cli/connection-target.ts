// Which cluster a command talks to, and with which credentials: resolved here, above the wire,
// from the connection flags, the environment (RESHARD_CLUSTER, REDISCLI_AUTH), the recorded
// sandbox, and the --askpass question. cluster/connection.ts only connects with the result.
import {readFileSync} from 'node:fs'
import {DEFAULT_TIMEOUT_MS, parseAddress, type ConnectionOptions, type TlsFiles} from '../cluster/connection.js'
import {UsageError} from '../errors.js'
import {sandboxForConnection} from '../sandbox/registry.js'
import type {SandboxState} from '../sandbox/state.js'

export interface ConnectionFlags {
  cluster?: string[]
  user?: string
  askpass?: boolean
  tls?: boolean
  cacert?: string
  cert?: string
  key?: string
  /** --timeout in seconds. */
  timeout?: number
}

/** Seeds from -c, else env RESHARD_CLUSTER, else the sandbox in use; then password, TLS files and deadlines. */
export async function resolveConnection(f: ConnectionFlags, ask?: (q: string) => Promise<string>): Promise<ConnectionOptions> {
  let seedTexts: string[] = []
  let source: ConnectionOptions['source'] = 'flag'
  let sandbox: SandboxState | undefined
  if (f.cluster && f.cluster.length > 0) seedTexts = f.cluster.flatMap((c) => c.split(','))
  else if (process.env.RESHARD_CLUSTER) {
    seedTexts = process.env.RESHARD_CLUSTER.split(',')
    source = 'env'
  } else if ((sandbox = sandboxForConnection()?.state)) {
    const s = sandbox
    seedTexts = s.nodes.map((n) => `${s.host}:${n.port}`)
    source = 'sandbox'
  } else {
    throw new UsageError(
      'no cluster given',
      'give a seed with -c host:port (or env RESHARD_CLUSTER), or start a local one with `reshard sandbox up`',
    )
  }
  const seeds = seedTexts.filter((s) => s.trim() !== '').map(parseAddress)
  if (seeds.length === 0) throw new UsageError('no seed address given', 'give a seed with -c host:port (or env RESHARD_CLUSTER)')
  let password = process.env.REDISCLI_AUTH || undefined
  if (f.askpass) {
    const askFn = ask ?? (await import('../prompts/password.js')).askPassword
    password = await askFn('Password: ')
  }
  let tls: TlsFiles | undefined
  if (f.tls || f.cacert || f.cert || f.key) {
    tls = {ca: readPem(f.cacert, '--cacert'), cert: readPem(f.cert, '--cert'), key: readPem(f.key, '--key')}
  }
  if (source === 'sandbox' && sandbox) {
    if (password === undefined && sandbox.password) password = sandbox.password
    if (!tls && sandbox.tls) {
      tls = {ca: readPem(sandbox.tls.caCert, 'sandbox CA'), cert: readPem(sandbox.tls.cert, 'sandbox cert'), key: readPem(sandbox.tls.key, 'sandbox key')}
    }
  }
  const timeoutMs = f.timeout === undefined ? DEFAULT_TIMEOUT_MS : Math.round(f.timeout * 1000)
  if (!Number.isFinite(timeoutMs) || timeoutMs < 100) throw new UsageError('--timeout must be at least 0.1 (seconds)')
  return {seeds, user: f.user, password, tls, source, connectTimeoutMs: Math.min(3000, timeoutMs), timeoutMs}
}

function readPem(path: string | undefined, what: string): string | undefined {
  if (!path) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new UsageError(`cannot read ${what} file ${path}`)
  }
}
