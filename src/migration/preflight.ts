// Checks before anything changes (docs/architecture.md "Safety rules": refuse to start when the cluster is not healthy
// enough, and say exactly what is wrong), and the resume rules: a move whose slot the target
// already owns is done; a half-done slot of the same move is finished from what the cluster says.
import {PreconditionError} from '../errors.js'
import {DONE_REASON, reconcileMoves, type ClassifiedMove, type MoveSpec} from '../planner/reconcile.js'
import {formatSlots} from '../topology/slot-set.js'
import {labelOf, nodeById, nodeLabel, primaries, shortId, type Topology} from '../topology/topology.js'

// The move types and the resume rules live in the pure planner (planner/reconcile.ts).
export type {ClassifiedMove, MoveSpec, ResumeKind} from '../planner/reconcile.js'

export interface Classification {
  todo: ClassifiedMove[]
  skipped: Array<MoveSpec & {reason: string}>
}

const label = labelOf

/** Every primary must answer; nodes involved must be primaries. */
export function assertClusterReady(t: Topology, moves: readonly MoveSpec[]): void {
  const down = t.nodes.filter((n) => n.role === 'primary' && !n.reachable && (n.slots.length > 0 || !n.failed))
  if (down.length > 0) {
    throw new PreconditionError(
      'unreachable',
      `primary ${down.map((n) => nodeLabel(n)).join(', ')} is unreachable (${down[0]!.error ?? 'no answer'}); nothing was changed`,
      'bring it back or fail it over, then run `reshard check`',
    )
  }
  // A node that accepts connections but does not answer (stopped, frozen; not a dead one, which
  // refuses them) may still hold its replication link: a primary with such a replica can block
  // on a replicated SETSLOT (Valkey 8+). Refuse before anything changes, whatever its flags say.
  const hung = t.nodes.filter((n) => !n.reachable && /did not answer/.test(n.error ?? ''))
  if (hung.length > 0) {
    throw new PreconditionError(
      'unreachable',
      `${hung.map((n) => `${n.role} ${nodeLabel(n)}`).join(', ')} does not answer (${hung[0]!.error}); nothing was changed`,
      'bring it back (or stop it for good so the cluster fails it over), then run `reshard check`',
    )
  }
  const involved = new Set<string>()
  for (const m of moves) {
    involved.add(m.from)
    involved.add(m.to)
  }
  for (const id of involved) {
    const n = nodeById(t, id)
    if (!n) throw new PreconditionError('unknown_node', `node ${shortId(id)} is not in the cluster`, 'run `reshard status` to see the nodes')
    if (n.role !== 'primary') {
      throw new PreconditionError('not_primary', `${nodeLabel(n)} is a replica, slots can only move between primaries`, 'choose a primary (see `reshard status`)')
    }
    if (n.failed) throw new PreconditionError('node_failed', `${nodeLabel(n)} is flagged as failing`, 'run `reshard check`')
  }
}

/**
 * A plan over the whole layout (rebalance, drain) is made around every slot: an open slot there
 * means the layout is not what the cluster will settle on. Refuse before anything changes.
 */
export function assertNoOpenSlots(t: Topology, what: string): void {
  if (t.open.length === 0) return
  const slots = [...new Set(t.open.map((o) => o.slot))].sort((a, b) => a - b)
  const first = t.open[0]!
  throw new PreconditionError(
    'slot_open',
    `cannot ${what}: ${slots.length} slot(s) are open (${formatSlots(slots)}; e.g. slot ${first.slot} is ${first.state.toUpperCase()} on ${label(t, first.nodeId)})`,
    `run \`reshard recover --slot ${formatSlots(slots)}\` first`,
  )
}

/**
 * Moves outside a plan (recover's move back), by the rules of reconcile: throws on a conflict
 * and on a slot the source does not own (exit 3). Commands reconcile their plan instead.
 */
export function classifyMoves(t: Topology, moves: readonly MoveSpec[]): Classification {
  const out: Classification = {todo: [], skipped: []}
  // one move at a time: the first bad move in order is the one reported
  for (const m of moves) {
    const r = reconcileMoves(t, [m])
    if (r.conflict) throw r.conflict
    const wrong = r.elsewhere[0]
    if (wrong) {
      throw new PreconditionError(
        'not_owner',
        `slot ${m.slot} is owned by ${wrong.owner ? label(t, wrong.owner) : 'no node'}, not by ${label(t, m.from)}`,
        wrong.owner ? 'run `reshard status` and name the owner with --from, or leave --from out' : `run \`reshard recover --slot ${m.slot}\``,
      )
    }
    out.todo.push(...r.todo)
    out.skipped.push(...r.done.map((d) => ({...d, reason: DONE_REASON})))
  }
  return out
}

/** Primaries other than the pair, as the latest topology says (roles are re-read, never cached). */
export function otherPrimaries(t: Topology, from: string, to: string): string[] {
  return primaries(t)
    .filter((n) => n.id !== from && n.id !== to && n.reachable)
    .map((n) => n.id)
}
