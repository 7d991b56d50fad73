// Waiting for gossip: poll every node's own CLUSTER NODES view until a condition holds on all of
// them, with a deadline (docs/architecture.md "Safety rules": a node that does not answer is a verdict, never a hang).
import type {Membership} from '../cluster/membership.js'
import {PreconditionError, UsageError} from '../errors.js'
import type {NodeLine} from '../topology/cluster-nodes.js'

export interface WaitResult {
  ok: boolean
  ms: number
  /** Addresses whose view did not satisfy the condition at the deadline, with why. */
  lagging: Array<{address: string; why: string}>
}

/**
 * Poll until `check(view)` answers undefined (satisfied) for every address; it answers a reason
 * otherwise. An unanswering node counts as not satisfied.
 */
export async function waitForViews(
  m: Membership,
  addresses: readonly string[],
  check: (lines: NodeLine[], address: string) => string | undefined,
  timeoutMs: number,
): Promise<WaitResult> {
  const start = Date.now()
  for (;;) {
    const views = await m.views(addresses)
    const lagging: WaitResult['lagging'] = []
    for (const a of addresses) {
      const v = views.get(a)
      const why = v instanceof Error ? `did not answer: ${v.message.split('\n')[0]}` : v ? check(v, a) : 'no view'
      if (why !== undefined) lagging.push({address: a, why})
    }
    const ms = Date.now() - start
    if (lagging.length === 0) return {ok: true, ms, lagging}
    if (ms > timeoutMs) return {ok: false, ms, lagging}
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Poll the node's CLUSTER INFO until cluster_state is ok: a node that just joined answers
 * CLUSTERDOWN (and fails every MIGRATE into it) until it has learned the whole slot map.
 */
export async function waitForClusterOk(m: Membership, address: string, timeoutMs: number): Promise<WaitResult> {
  const start = Date.now()
  for (;;) {
    let why: string
    try {
      const text = String(await m.read(address, ['CLUSTER', 'INFO']))
      const state = /cluster_state:(\w+)/.exec(text)?.[1] ?? '?'
      if (state === 'ok') return {ok: true, ms: Date.now() - start, lagging: []}
      why = `cluster_state:${state}`
    } catch (e) {
      why = `did not answer: ${(e as Error).message.split('\n')[0]}`
    }
    const ms = Date.now() - start
    if (ms > timeoutMs) return {ok: false, ms, lagging: [{address, why}]}
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A failed wait as a typed error: what did not converge, and where. */
export function notConverged(what: string, w: WaitResult, hint: string): PreconditionError {
  const where = w.lagging
    .slice(0, 4)
    .map((l) => `${l.address} (${l.why})`)
    .join(', ')
  const more = w.lagging.length > 4 ? ` and ${w.lagging.length - 4} more` : ''
  return new PreconditionError('not_converged', `${what} within ${Math.round(w.ms / 1000)} s: ${where}${more}`, hint, {lagging: w.lagging})
}

/** Parse "host:port" typed by the operator for a node (usage error otherwise). */
export function parseNodeAddress(text: string): {host: string; port: number; address: string} {
  const t = text.trim()
  const i = t.lastIndexOf(':')
  const host = i > 0 ? t.slice(0, i).replace(/^\[|\]$/g, '') : ''
  const portText = i > 0 ? t.slice(i + 1) : ''
  const port = Number(portText)
  if (!host || /\s/.test(host) || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(`"${t}" is not a host:port address`, 'give the node as HOST:PORT, e.g. 127.0.0.1:30007')
  }
  return {host, port, address: `${host}:${port}`}
}
