// PURE. A Plan against the live cluster: what is still to do, what is done, what no longer fits.
// The one place with the resume rules (DESIGN.md §1), for every command that moves slots:
//  - the target owns the slot and no migration mark is left on it: done (re-running is safe);
//  - the source owns it, maybe half-moved from->to: to do, the engine resumes it ('fresh' or
//    'open'); the target owns it but a mark of this move is left: to do ('target-owns', the
//    engine finishes the finalization);
//  - another migration's mark on the slot: SlotAlreadyMigrating/ImportingError (exit 3);
//  - anyone else owns it, or the plan names nodes this cluster does not have: stale, with every
//    difference listed (StalePlanError, exit 4, nothing changed).
import {SlotAlreadyImportingError, SlotAlreadyMigratingError, StalePlanError, type PreconditionError} from '../errors.js'
import {formatSlots} from '../topology/slot-set.js'
import {nodeById, nodeLabel, shortName, type OpenSlotMark, type Topology, shortId} from '../topology/topology.js'
import type {Plan} from './plan.js'

export interface MoveSpec {
  slot: number
  from: string
  to: string
  /** Keys at planning time, when known. */
  keys?: number
}

export type ResumeKind = 'fresh' | 'open' | 'target-owns'

export interface ClassifiedMove extends MoveSpec {
  resume: ResumeKind
}

/** The one spelling of why a move needs no work (documents, events, messages). */
export const DONE_REASON = 'target already owns the slot'

export interface Reconciled {
  /** Moves still to make, with how the engine picks each up. */
  todo: ClassifiedMove[]
  /** Moves whose target already owns the slot with no mark left on it. */
  done: MoveSpec[]
  /** Slots a `move` plan skipped (the target owned them) that it still owns, with no mark left. */
  alreadyOwned: MoveSpec[]
  /** Why the plan does not fit the cluster (one line each); empty when it fits. */
  stale: string[]
  /** The first slot another migration holds (a mark that is not this move's), if any. */
  conflict?: PreconditionError
}

type Namer = (id: string) => string

function labeller(t: Topology, plan?: Plan): Namer {
  const planNodes = new Map((plan?.cluster.nodes ?? []).map((n) => [n.id, n]))
  return (id) => {
    const live = nodeById(t, id)
    if (live) return shortName(live)
    const p = planNodes.get(id)
    return p ? `${p.hostname ?? p.address} (${shortId(id)})` : shortId(id)
  }
}

const fullLabel = (t: Topology, id: string): string => {
  const n = nodeById(t, id)
  return n ? nodeLabel(n) : shortId(id)
}

const isOurs = (o: OpenSlotMark, m: MoveSpec): boolean =>
  (o.nodeId === m.from && o.state === 'migrating' && o.peerId === m.to) || (o.nodeId === m.to && o.state === 'importing' && o.peerId === m.from)

function conflictOf(t: Topology, slot: number, mark: OpenSlotMark): PreconditionError {
  return mark.state === 'migrating'
    ? new SlotAlreadyMigratingError(slot, fullLabel(t, mark.nodeId), fullLabel(t, mark.peerId))
    : new SlotAlreadyImportingError(slot, fullLabel(t, mark.nodeId), fullLabel(t, mark.peerId))
}

function marksBySlot(t: Topology): Map<number, OpenSlotMark[]> {
  const out = new Map<number, OpenSlotMark[]>()
  for (const o of t.open) {
    let a = out.get(o.slot)
    if (!a) out.set(o.slot, (a = []))
    a.push(o)
  }
  return out
}

/**
 * The moves against the cluster, slot by slot (nodes are assumed to exist: see reconcile).
 * Moves whose slot is owned by a third node (or by none) come back in `elsewhere`.
 */
export function reconcileMoves(t: Topology, moves: readonly MoveSpec[]): Omit<Reconciled, 'stale' | 'alreadyOwned'> & {elsewhere: Array<MoveSpec & {owner: string | null}>} {
  const marks = marksBySlot(t)
  const todo: ClassifiedMove[] = []
  const done: MoveSpec[] = []
  const elsewhere: Array<MoveSpec & {owner: string | null}> = []
  let conflict: PreconditionError | undefined
  for (const m of moves) {
    const owner = t.owners[m.slot] ?? null
    // a third owner (or none) makes the move stale whatever marks are on the slot
    if (owner !== m.to && owner !== m.from) {
      elsewhere.push({...m, owner})
      continue
    }
    const on = marks.get(m.slot) ?? []
    const foreign = on.find((o) => !isOurs(o, m))
    if (foreign) conflict ??= conflictOf(t, m.slot, foreign)
    else if (owner === m.to && on.length === 0) done.push(m)
    else if (owner === m.to) todo.push({...m, resume: 'target-owns'})
    else todo.push({...m, resume: on.length > 0 ? 'open' : 'fresh'})
  }
  return conflict ? {todo, done, elsewhere, conflict} : {todo, done, elsewhere}
}

/**
 * A `move` plan lists slots the target already owned as skipped. If a mark of a move to that
 * target is left on one now (a run stopped between the target's and the source's SETSLOT NODE),
 * it is a move to finish from the marked source; a foreign mark is a move that conflicts.
 */
function skippedAsMoves(plan: Plan, t: Topology): MoveSpec[] {
  const to = plan.kind === 'move' && typeof plan.options.to === 'string' ? plan.options.to : undefined
  if (!to || !plan.skipped) return []
  const marks = marksBySlot(t)
  return plan.skipped.map(({slot}) => {
    const on = marks.get(slot) ?? []
    const mark = on.find((o) => (o.state === 'migrating' && o.peerId === to) || (o.nodeId === to && o.state === 'importing')) ?? on[0]
    // no mark: done; a foreign one: named as its source, so the conflict is reported as such
    const from = !mark ? to : mark.nodeId === to ? mark.peerId : mark.nodeId
    return {slot, from, to}
  })
}

/** The whole plan against the live topology. Never throws; see assertReconciled. */
export function reconcile(plan: Plan, t: Topology): Reconciled {
  const name = labeller(t, plan)
  const live = new Set(t.nodes.map((n) => n.id))
  const stale: string[] = []

  // 1. Is this the cluster the plan was made for? Its id changes when a node joins or leaves,
  //    so a different id alone is not stale; nodes the moves need that are missing are.
  const planIds = new Set<string>(plan.cluster.nodes.map((n) => n.id))
  const uses = new Map<string, number>()
  for (const m of plan.moves) {
    for (const id of [m.from, m.to]) {
      planIds.add(id)
      uses.set(id, (uses.get(id) ?? 0) + 1)
    }
  }
  if (planIds.size > 0 && ![...planIds].some((id) => live.has(id))) {
    stale.push(`the plan was made for another cluster: none of its nodes is in this one (plan cluster ${plan.cluster.id}, this cluster ${t.clusterId})`)
    for (const n of plan.cluster.nodes) stale.push(`node ${shortId(n.id)} (${n.hostname ? `${n.hostname}, ` : ''}${n.address}) is not in this cluster`)
    return {todo: [], done: [], alreadyOwned: [], stale}
  }
  const elsewhereId = plan.cluster.id !== t.clusterId ? ` (the plan was made for cluster ${plan.cluster.id}, this is ${t.clusterId})` : ''
  for (const id of [...uses.keys()].filter((x) => !live.has(x)).sort()) {
    stale.push(`node ${name(id)} is named in ${uses.get(id)} move(s) but is not in this cluster${elsewhereId}`)
  }

  // 2. Every move between live nodes (and every slot a move plan skipped): who owns it now?
  const specs: MoveSpec[] = plan.moves
    .filter((m) => live.has(m.from) && live.has(m.to))
    .map((m) => (m.keys === undefined ? {slot: m.slot, from: m.from, to: m.to} : {slot: m.slot, from: m.from, to: m.to, keys: m.keys}))
  const r = reconcileMoves(t, [...specs, ...skippedAsMoves(plan, t)])
  const skippedSlots = new Set((plan.skipped ?? []).map((x) => x.slot))
  const done = r.done.filter((m) => !skippedSlots.has(m.slot))
  const alreadyOwned = r.done.filter((m) => skippedSlots.has(m.slot))
  const groups = new Map<string, {from: string; to: string; owner: string | null; slots: number[]}>()
  for (const m of r.elsewhere) {
    const k = `${m.from}>${m.to}>${m.owner ?? ''}`
    let g = groups.get(k)
    if (!g) groups.set(k, (g = {from: m.from, to: m.to, owner: m.owner, slots: []}))
    g.slots.push(m.slot)
  }
  for (const g of groups.values()) {
    const what = g.slots.length === 1 ? `slot ${g.slots[0]}` : `slots ${formatSlots(g.slots)} (${g.slots.length})`
    const now = g.owner === null ? 'now owned by no node (uncovered)' : `now owned by ${name(g.owner)}`
    stale.push(`${what}: planned ${name(g.from)} -> ${name(g.to)}, ${now}`)
  }
  const out: Reconciled = {todo: r.todo, done, alreadyOwned, stale}
  return r.conflict ? {...out, conflict: r.conflict} : out
}

/**
 * Throw what makes the plan unusable: stale differences first (exit 4, all of them listed), then
 * another migration on one of its slots (exit 3). `hint` replaces the stale error's next step
 * (a command that planned for itself says how to re-run it).
 */
export function assertReconciled(r: Reconciled, hint?: string): Reconciled {
  if (r.stale.length > 0) {
    throw new StalePlanError(`the plan is stale: ${r.stale.length} difference(s) with the live cluster; nothing was changed`, r.stale, hint)
  }
  if (r.conflict) throw r.conflict
  return r
}
