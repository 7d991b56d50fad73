// `reshard apply plan.json`: check a Plan against the live cluster and turn it into moves.
// A plan is a list of preconditions ("slot S is owned by FROM") and goals ("S goes to TO").
//  - the target already owns the slot: done, skipped (re-applying a plan is safe, docs/architecture.md "Safety rules");
//  - the source owns it (maybe half-moved from→to): to do, the engine finishes or resumes it;
//  - anyone else owns it, or the plan names nodes this cluster does not have: the plan is stale.
// A stale plan changes nothing: every difference is listed, and the caller exits 4.
// Pure apart from its inputs: no I/O here; the command runs the moves with the engine of `move`.
import {StalePlanError} from '../errors.js'
import type {MoveSpec} from '../migration/preflight.js'
import type {Plan} from '../planner/index.js'
import {formatSlots} from '../topology/slot-set.js'
import {nodeById, shortName, type Topology} from '../topology/topology.js'
import type {MoveRunDocument} from './run-moves.js'

export const DONE_REASON = 'target already owns the slot'

export interface PlanCheck {
  /** Moves still to make (fresh, or half-moved from→to and resumed by the engine). */
  todo: MoveSpec[]
  /** Moves whose target already owns the slot (and no migration mark is left on it). */
  done: MoveSpec[]
  /** Why the plan does not fit the cluster; empty when it fits. */
  differences: string[]
}

/** One line of a --json result: what the plan was, and how much of it was already done. */
export interface PlanSummary {
  kind: Plan['kind']
  cluster: string
  options: Record<string, unknown>
  moves: number
  keys?: number
  alreadyDone: number
  summary: Plan['summary']
  spread: Plan['spread']
}

function namer(plan: Plan, t: Topology): (id: string) => string {
  const planNodes = new Map(plan.cluster.nodes.map((n) => [n.id, n]))
  return (id) => {
    const live = nodeById(t, id)
    if (live) return shortName(live)
    const p = planNodes.get(id)
    return p ? `${p.hostname ?? p.address} (${id.slice(0, 8)})` : id.slice(0, 8)
  }
}

/** Compare the plan with the live topology. Never throws; see assertPlanFits. */
export function checkPlan(plan: Plan, t: Topology): PlanCheck {
  const name = namer(plan, t)
  const live = new Set(t.nodes.map((n) => n.id))
  const differences: string[] = []

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
  const known = [...planIds].filter((id) => live.has(id))
  if (planIds.size > 0 && known.length === 0) {
    differences.push(`the plan was made for another cluster: none of its nodes is in this one (plan cluster ${plan.cluster.id}, this cluster ${t.clusterId})`)
    for (const n of plan.cluster.nodes) differences.push(`node ${n.id.slice(0, 8)} (${n.hostname ? `${n.hostname}, ` : ''}${n.address}) is not in this cluster`)
    return {todo: [], done: [], differences}
  }
  const missing = [...uses.keys()].filter((id) => !live.has(id)).sort()
  for (const id of missing) {
    differences.push(`node ${name(id)} is named in ${uses.get(id)} move(s) but is not in this cluster${plan.cluster.id !== t.clusterId ? ` (the plan was made for cluster ${plan.cluster.id}, this is ${t.clusterId})` : ''}`)
  }

  // 2. Every move: who owns its slot now?
  const todo: MoveSpec[] = []
  const done: MoveSpec[] = []
  const openSlots = new Set(t.open.map((o) => o.slot))
  const elsewhere = new Map<string, {from: string; to: string; owner: string | null; slots: number[]}>()
  for (const m of plan.moves) {
    if (!live.has(m.from) || !live.has(m.to)) continue
    const spec: MoveSpec = m.keys === undefined ? {slot: m.slot, from: m.from, to: m.to} : {slot: m.slot, from: m.from, to: m.to, keys: m.keys}
    const owner = t.owners[m.slot] ?? null
    if (owner === m.to) {
      // A mark left on the slot means the finalization is half done: the engine finishes it.
      if (openSlots.has(m.slot)) todo.push(spec)
      else done.push(spec)
    } else if (owner === m.from) {
      todo.push(spec)
    } else {
      const k = `${m.from}>${m.to}>${owner ?? ''}`
      let g = elsewhere.get(k)
      if (!g) elsewhere.set(k, (g = {from: m.from, to: m.to, owner, slots: []}))
      g.slots.push(m.slot)
    }
  }
  for (const g of elsewhere.values()) {
    const what = g.slots.length === 1 ? `slot ${g.slots[0]}` : `slots ${formatSlots(g.slots)} (${g.slots.length})`
    const now = g.owner === null ? 'now owned by no node (uncovered)' : `now owned by ${name(g.owner)}`
    differences.push(`${what}: planned ${name(g.from)} -> ${name(g.to)}, ${now}`)
  }
  return {todo, done, differences}
}

/** checkPlan, throwing StalePlanError (exit 4) with every difference when the plan does not fit. */
export function assertPlanFits(plan: Plan, t: Topology): PlanCheck {
  const c = checkPlan(plan, t)
  if (c.differences.length > 0) {
    throw new StalePlanError(
      `the plan is stale: ${c.differences.length} difference(s) with the live cluster; nothing was changed`,
      c.differences,
    )
  }
  return c
}

export function planSummary(plan: Plan, alreadyDone: number): PlanSummary {
  const s: PlanSummary = {
    kind: plan.kind,
    cluster: plan.cluster.id,
    options: plan.options,
    moves: plan.moves.length,
    alreadyDone,
    summary: plan.summary,
    spread: plan.spread,
  }
  if (plan.totals.keys !== undefined) s.keys = plan.totals.keys
  return s
}

/** The run's document with the moves found done before the run listed as skipped. */
export function withDone(doc: MoveRunDocument, done: readonly MoveSpec[]): MoveRunDocument {
  const skipped = [...done.map((m) => ({slot: m.slot, reason: DONE_REASON})), ...doc.skipped].sort((a, b) => a.slot - b.slot)
  return {...doc, skipped}
}
