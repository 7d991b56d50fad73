// `reshard remove-node NODE`, the part after the drain: re-point the node's replicas, then
// CLUSTER FORGET it on every other node at once (a forgotten id is banned for 60 s only: every
// node must forget it within that window, or one that still knows it gossips it back), then
// CLUSTER RESET SOFT on the node so it stops gossiping, and SHUTDOWN when asked. Prints nothing.
import type {Membership, NodeCommand} from '../cluster/membership.js'
import {formatCommand} from '../cluster/membership.js'
import {AbortedError, PreconditionError} from '../errors.js'
import type {NodeLine} from '../topology/cluster-nodes.js'
import {formatSlots} from '../topology/slot-set.js'
import {nodeById, nodeLabel, shortName, type TopoNode, type Topology, shortId} from '../topology/topology.js'
import {notConverged, waitForViews} from './membership-wait.js'
import {readUntil} from '../cluster/poll.js'

/** Redis bans a forgotten node id for this long (CLUSTER FORGET). */
export const FORGET_BAN_MS = 60_000

export interface RemoveNodeInput {
  nodeId: string
  shutdown: boolean
  timeoutMs: number
  confirm?: (summary: string) => Promise<boolean>
}

export interface RepointedReplica {
  id: string
  address: string
  to: {id: string; name: string}
}

export interface RemoveNodeDocument {
  ok: boolean
  dryRun: boolean
  node: {id: string; name: string; address: string; role: 'primary' | 'replica'; reachable: boolean}
  repointed: RepointedReplica[]
  /** Nodes that were sent CLUSTER FORGET, and how long sending to all of them took. */
  forgottenBy: number
  forgetMs: number
  reset: boolean
  shutdown: boolean
  commands: string[]
  ms: number
}

/** Why the node cannot be removed yet (slots, keys, open slots, an unreachable peer). */
export function removalBlockers(t: Topology, n: TopoNode): PreconditionError | undefined {
  const name = nodeLabel(n)
  const slots = n.slots.length > 0 ? n.slots : n.claims
  if (slots.length > 0) {
    return new PreconditionError('node_owns_slots', `${name} still owns ${slots.length} slot(s) (${formatSlots(slots)})`, `empty it first: \`reshard drain ${shortName(n)}\``)
  }
  if (n.role === 'primary' && (n.keyCount ?? 0) > 0) {
    return new PreconditionError('node_has_keys', `${name} owns no slot but holds ${n.keyCount} key(s)`, 'find them with `reshard check` and move or delete them before removing the node')
  }
  const open = t.open.filter((o) => o.nodeId === n.id || o.peerId === n.id)
  if (open.length > 0) {
    return new PreconditionError('slot_open', `${open.length} slot(s) are migrating or importing to or from ${name} (${formatSlots(open.map((o) => o.slot))})`, 'run `reshard recover` first')
  }
  const down = t.nodes.filter((x) => x.id !== n.id && (!x.reachable || x.failed))
  if (down.length > 0) {
    return new PreconditionError(
      'unreachable',
      `${down.map((x) => nodeLabel(x)).join(', ')} did not answer: every node must forget ${shortName(n)} within ${FORGET_BAN_MS / 1000} s, or it comes back`,
      'bring the node back (or remove it first), then re-run',
    )
  }
  return undefined
}

/** The primary a replica of the removed node goes to: the one with the fewest replicas. */
function newPrimaryFor(t: Topology, removed: TopoNode): TopoNode | undefined {
  const primaries = t.nodes.filter((x) => x.id !== removed.id && x.role === 'primary' && x.reachable && !x.failed)
  const count = (p: TopoNode) => t.nodes.filter((x) => x.primaryId === p.id && x.id !== removed.id).length
  return [...primaries].sort((a, b) => Number(b.slots.length > 0) - Number(a.slots.length > 0) || count(a) - count(b) || (a.address < b.address ? -1 : 1))[0]
}

export async function removeNode(m: Membership, t: Topology, input: RemoveNodeInput): Promise<RemoveNodeDocument> {
  const start = Date.now()
  const n = nodeById(t, input.nodeId)
  if (!n) throw new PreconditionError('unknown_node', `node ${shortId(input.nodeId)} is not in the cluster any more`, 'run `reshard status`')
  const blocker = removalBlockers(t, n)
  if (blocker) throw blocker
  const others = t.nodes.filter((x) => x.id !== n.id)
  const replicas = others.filter((x) => x.role === 'replica' && x.primaryId === n.id)
  const target = replicas.length > 0 ? newPrimaryFor(t, n) : undefined
  if (replicas.length > 0 && !target) throw new PreconditionError('no_primary', `no other primary can take the ${replicas.length} replica(s) of ${shortName(n)}`, 'add a primary first')
  const repoint: NodeCommand[] = replicas.map((r) => ({address: r.address, args: ['CLUSTER', 'REPLICATE', target!.id]}))
  const forget: NodeCommand[] = others.map((x) => ({address: x.address, args: ['CLUSTER', 'FORGET', n.id]}))
  const after: NodeCommand[] = n.reachable ? [{address: n.address, args: ['CLUSTER', 'RESET', 'SOFT']}] : []
  if (n.reachable && input.shutdown) after.push({address: n.address, args: ['SHUTDOWN']})
  const all = [...repoint, ...forget, ...after]
  const doc: RemoveNodeDocument = {
    ok: true,
    dryRun: m.dryRun,
    node: {id: n.id, name: shortName(n), address: n.address, role: n.role, reachable: n.reachable},
    repointed: replicas.map((r) => ({id: r.id, address: r.address, to: {id: target!.id, name: shortName(target!)}})),
    forgottenBy: others.length,
    forgetMs: 0,
    reset: after.length > 0,
    shutdown: n.reachable && input.shutdown === true,
    commands: all.map(formatCommand),
    ms: 0,
  }
  if (!m.dryRun && input.confirm && !(await input.confirm(`Remove ${nodeLabel(n)} from the cluster (${others.length} node(s) forget it)?`))) {
    throw new AbortedError('nothing was changed')
  }
  if (repoint.length > 0) await repointReplicas(m, t, repoint, target!, input.timeoutMs)
  // All at once: the 60 s ban window starts at the first FORGET.
  const t0 = Date.now()
  const results = await Promise.allSettled(forget.map((c) => m.send(c)))
  doc.forgetMs = Date.now() - t0
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${forget[i]!.address}: ${String((r.reason as Error)?.message ?? r.reason).split('\n')[0]}`] : []))
  if (failed.length > 0) {
    throw new PreconditionError('forget_failed', `CLUSTER FORGET failed on ${failed.length} node(s): ${failed.join('; ')}`, `re-run within ${FORGET_BAN_MS / 1000} s (it is safe), or \`reshard status\` to see who still knows it`)
  }
  if (!m.dryRun) {
    const w = await waitForViews(m, others.map((x) => x.address), (lines) => (lines.some((l) => l.id === n.id) ? 'still lists the node' : undefined), Math.min(input.timeoutMs, FORGET_BAN_MS / 2))
    if (!w.ok) throw notConverged(`not every node forgot ${shortName(n)}`, w, 're-run the command (it is safe)')
  }
  for (const c of after) await sendAfter(m, c)
  return {...doc, ms: Date.now() - start}
}

async function repointReplicas(m: Membership, t: Topology, cmds: NodeCommand[], target: TopoNode, timeoutMs: number): Promise<void> {
  for (const c of cmds) await m.send(c)
  if (m.dryRun) return
  const moved = new Set(cmds.map((c) => c.address))
  const ids = t.nodes.filter((x) => moved.has(x.address)).map((x) => x.id)
  const check = (lines: NodeLine[]) => {
    const wrong = ids.filter((id) => {
      const l = lines.find((x) => x.id === id)
      return !l || l.role !== 'replica' || l.primaryId !== target.id
    })
    return wrong.length > 0 ? `does not yet see ${wrong.length} replica(s) under ${shortName(target)}` : undefined
  }
  const w = await waitForViews(m, t.nodes.filter((x) => x.reachable).map((x) => x.address), check, timeoutMs)
  if (!w.ok) throw notConverged(`the replicas did not move to ${shortName(target)}`, w, 'run `reshard status`, then re-run (it is safe)')
}

/** RESET SOFT and SHUTDOWN on the removed node: SHUTDOWN closes the connection as its answer. */
async function sendAfter(m: Membership, c: NodeCommand): Promise<void> {
  try {
    await m.send(c)
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    if (c.args[0] === 'SHUTDOWN' && /Connection is closed|ECONNRESET|did not answer/i.test(msg)) return
    throw new PreconditionError('node_not_reset', `${c.address}: ${c.args.join(' ')} failed: ${msg.split('\n')[0]}`, 'the cluster has forgotten the node; stop it by hand')
  }
}

/** After a drain: re-read until no view gives the node a slot (roles are never cached, docs/architecture.md "Safety rules"). */
export async function settleAfterDrain(refresh: () => Promise<Topology>, id: string, timeoutMs: number): Promise<Topology> {
  const settled = (t: Topology) => {
    const n = nodeById(t, id)
    return !n || (n.slots.length === 0 && n.claims.length === 0 && t.disagreements.length === 0)
  }
  return (await readUntil(refresh, settled, {deadlineMs: timeoutMs})).value
}
