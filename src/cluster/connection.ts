// Connection options and per-node clients. Every Redis connection goes through ioredis.
// Which cluster and which credentials (flags, env, sandbox, --askpass) is decided above, in
// src/cli/connection-target.ts: this file only connects with the options it is given.
import {createRequire} from 'node:module'
import type {Redis, RedisOptions} from 'ioredis'
import {AuthError, ConnectionError, PreconditionError, ReshardError, UsageError} from '../errors.js'
import {within} from './timeout.js'

// Only the single-node client: loading ioredis' index also loads its Cluster client, which we
// never use here (about 40 ms of every command's start). Required rather than imported: an
// import of a CommonJS file makes Node scan its 30 kB of source for export names (about 15 ms).
const RedisModule = createRequire(import.meta.url)('ioredis/built/Redis.js') as unknown
const RedisClient = (RedisModule as {default: typeof Redis}).default ?? (RedisModule as typeof Redis)

export interface TlsFiles {
  ca?: string
  cert?: string
  key?: string
}

export interface ConnectionOptions {
  seeds: Array<{host: string; port: number}>
  user?: string
  password?: string
  tls?: TlsFiles
  /** Where the seeds came from, for messages. */
  source: 'flag' | 'env' | 'sandbox'
  connectTimeoutMs: number
  /** Deadline of every call that should answer at once (PING on connect, CLUSTER NODES, the
   *  lease): a node that accepts TCP but never answers (SIGSTOP, a frozen VM) is a verdict. */
  timeoutMs?: number
}

/** Default of --timeout, in ms. */
export const DEFAULT_TIMEOUT_MS = 5000

export function parseAddress(text: string): {host: string; port: number} {
  const t = text.trim()
  const i = t.lastIndexOf(':')
  const host = i > 0 ? t.slice(0, i).replace(/^\[|\]$/g, '') : ''
  const portText = i > 0 ? t.slice(i + 1) : ''
  const port = Number(portText)
  if (!host || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(`"${t}" is not a host:port address`, 'give a seed as -c 127.0.0.1:30001')
  }
  return {host, port}
}

/** A plain (non-cluster) client to one node. It never retries by itself: we decide. */
export function nodeClient(conn: ConnectionOptions, host: string, port: number, extra: Partial<RedisOptions> = {}): Redis {
  return new RedisClient({
    host,
    port,
    username: conn.user,
    password: conn.password,
    tls: conn.tls ? {ca: conn.tls.ca, cert: conn.tls.cert, key: conn.tls.key, rejectUnauthorized: Boolean(conn.tls.ca), checkServerIdentity: () => undefined} : undefined,
    lazyConnect: true,
    connectTimeout: conn.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    // RESP2 keeps replies simple (CLUSTER NODES as a string, arrays as arrays).
    protocol: 2,
    ...extra,
  } as RedisOptions)
}

/** Connect, mapping failures to typed errors that say what to do next. Never leaks the password. */
export async function connectNode(conn: ConnectionOptions, host: string, port: number): Promise<Redis> {
  const client = nodeClient(conn, host, port)
  let lastError: Error | undefined
  client.on('error', (e: Error) => {
    // reported through the promise that failed; keep the cause (ECONNREFUSED, TLS, ...)
    lastError ??= e
  })
  const address = `${host}:${port}`
  try {
    // One deadline over TCP, TLS, AUTH and the first PING: a node that accepts the connection
    // but never answers (stopped, frozen) must not hang a run (docs/architecture.md "Safety rules").
    await within(
      (async () => {
        await client.connect()
        // With no password, a server that requires one answers NOAUTH on the first command.
        const pong = await client.ping()
        if (pong !== 'PONG') throw new NotRedisError(address)
      })(),
      conn.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      address,
    )
  } catch (e) {
    client.disconnect()
    // the socket's own error (refused, TLS, a reply that is not RESP) says more than "closed" or our deadline
    const parseError = lastError && /Unknown RESP type|Protocol error/i.test(lastError.message)
    const cause = lastError && (parseError || /Connection is closed/.test((e as Error).message ?? '')) ? lastError : e
    throw mapConnectError(cause, address, conn)
  }
  return client
}

/** A seed that answers, but not in the Redis protocol (an HTTP server, a database on the wrong port). */
class NotRedisError extends ConnectionError {
  constructor(address: string) {
    super(`${address} is not a Redis node: it does not answer in the Redis protocol`, 'check the port: point -c at a Redis Cluster node')
  }
}

export function mapConnectError(e: unknown, address: string, conn: ConnectionOptions): Error {
  if (e instanceof ReshardError) return e
  const msg = e instanceof Error ? e.message : String(e)
  if (/Unknown RESP type|Protocol error|ReplyParserError|invalid bulk length|expected '\$'/i.test(msg) || (e instanceof Error && e.name === 'ParserError')) return new NotRedisError(address)
  if (/^NOPERM/.test(msg)) {
    return new PreconditionError('permission', `${address}: the user lacks a permission: ${msg.replace(/^NOPERM\s*/, '')}`, 'grant the ACL listed under Permissions in the README')
  }
  if (/WRONGPASS|invalid username-password|NOAUTH|Authentication required|AUTH.*(failed|called without)/i.test(msg)) {
    return new AuthError(
      conn.password
        ? `authentication to ${address} failed: wrong user or password`
        : `${address} requires a password and none was given`,
    )
  }
  if (conn.tls && /ECONNRESET|wrong version number|SSL|EPROTO|socket hang up|Connection is closed|closed/i.test(msg)) {
    return new ConnectionError(`TLS handshake with ${address} failed`, 'check that the server speaks TLS and that --cacert names its CA')
  }
  if (/ECONNREFUSED/.test(msg)) return new ConnectionError(`cannot connect to ${address}: connection refused`, 'check the address and that the node is running')
  if (/ETIMEDOUT|timed? ?out/i.test(msg)) {
    if (conn.tls) return new ConnectionError(`TLS handshake with ${address} timed out`, 'check that the server speaks TLS (a plain server never answers a TLS hello), or leave out --tls')
    return new ConnectionError(`cannot connect to ${address}: timed out`, 'check the address and the network')
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return new ConnectionError(`cannot resolve ${address}`, 'check the host name')
  return new ConnectionError(`cannot talk to ${address}: ${msg.split('\n')[0]}`, 'check the address, and --tls if the server uses TLS')
}
