// When a sandbox cluster is ready: every node reports cluster_state:ok and all views of the
// cluster agree (ids, roles, primaries, slot owners, distinct config epochs, replicas synced).
import type {Redis} from 'ioredis'
import {PreconditionError} from '../errors.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {formatSlots} from '../topology/slot-set.js'
import {HOST} from './node-config.js'
import {sleep} from './process.js'

/** Deadline for a sandbox cluster to converge (start, a node added). */
export const DEFAULT_TIMEOUT_MS = 30_000

async function info(client: Redis, section: string): Promise<Record<string, string>> {
  const text = String(await client.call('INFO', section))
  const out: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

export async function clusterInfo(client: Redis): Promise<Record<string, string>> {
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
