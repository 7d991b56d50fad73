// PURE (docs/architecture.md "Layers"): the Plan model and the pieces every planner shares. No I/O, no clock,
// no randomness: the same Topology and options give the same Plan, byte for byte.
import {PreconditionError, UsageError} from '../errors.js'
import {SLOT_COUNT} from '../topology/slot-set.js'
import {primaries, type TopoNode, type Topology} from '../topology/topology.js'

export const PLAN_VERSION = 1

export type PlanKind = 'rebalance' | 'drain' | 'move'

export interface PlanMove {
  slot: number
  /** Owner of the slot when the plan was made: the precondition `apply` checks. */
  from: string
  to: string
  /** Keys in the slot when the plan was made (CLUSTER COUNTKEYSINSLOT), when known. */
  keys?: number
}

export interface PlanNode {
  id: string
  address: string
  hostname?: string
}

export interface PlanSummaryEntry {
  id: string
  /** Present for the primaries the plan balances over (absent: the node only watches). */
  weight?: number
  slotsBefore: number
  slotsAfter: number
  keysBefore?: number
  keysAfter?: number
}

/**
 * Spread = max − min of (count ÷ weight) over the primaries the plan balances over (the summary
 * entries with a weight above 0). With default weights that is simply the largest minus the
 * smallest slot (or key) count; 0 means perfectly even. Rounded to 2 decimals.
 */
export interface Spread {
  slots: number
  keys?: number
}

export type SkipReason = 'already-owned-by-target'

export interface SkippedSlot {
  slot: number
  reason: SkipReason
}

export interface Plan {
  version: typeof PLAN_VERSION
  kind: PlanKind
  /** The cluster it was made for: Topology.clusterId and its primaries at planning time, by id. */
  cluster: {id: string; nodes: PlanNode[]}
  /** Exactly the options that made it, defaults filled in, keys sorted. */
  options: Record<string, unknown>
  /** Grouped by from→to pair (pairs sorted by from id, then to id), slots ascending. */
  moves: PlanMove[]
  totals: {slots: number; keys?: number}
  /** Every primary at planning time, sorted by id. */
  summary: PlanSummaryEntry[]
  spread: {before: Spread; after: Spread}
  /** Only for kind "move": requested slots that need no move. */
  skipped?: SkippedSlot[]
  /** How the plan expects its pairs to move (recorded by `reshard plan`; `apply` detects again). */
  mechanism?: PlanMechanism
}

export interface PlanMechanism {
  requested: 'auto' | 'atomic' | 'legacy'
  /** Per from→to pair, what the nodes offered when the plan was made. */
  pairs: Array<{from: string; to: string; mechanism: 'legacy' | 'atomic'}>
}

/** What the planners read from a Topology, computed once. */
export interface PlanningContext {
  topology: Topology
  /** Primaries sorted by id (code-unit order, never locale order). */
  primaries: TopoNode[]
  byId: Map<string, TopoNode>
  /** Slots per primary, ascending, from Topology.owners (the consensus). */
  slotsOf: Map<string, number[]>
  slotKeys?: ReadonlyArray<number>
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function planningContext(t: Topology, slotKeys?: ReadonlyArray<number>): PlanningContext {
  const prims = [...primaries(t)].sort((a, b) => compareIds(a.id, b.id))
  const slotsOf = new Map<string, number[]>()
  for (const p of prims) slotsOf.set(p.id, [])
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = t.owners[s]
    if (o === null || o === undefined) continue
    slotsOf.get(o)?.push(s)
  }
  return {topology: t, primaries: prims, byId: new Map(t.nodes.map((n) => [n.id, n])), slotsOf, slotKeys}
}

export function slotsOf(ctx: PlanningContext, id: string): number[] {
  return ctx.slotsOf.get(id) ?? []
}

/** Validate COUNTKEYSINSLOT figures: one non-negative integer per slot. */
export function checkSlotKeys(slotKeys: ReadonlyArray<number> | undefined, required: string | undefined): ReadonlyArray<number> | undefined {
  if (slotKeys === undefined) {
    if (required) throw new UsageError(`${required} needs the key count of every slot`, 'pass slotKeys (CLUSTER COUNTKEYSINSLOT of each slot)')
    return undefined
  }
  if (!Array.isArray(slotKeys) || slotKeys.length !== SLOT_COUNT) {
    throw new UsageError(`slot key counts must list all ${SLOT_COUNT} slots (got ${Array.isArray(slotKeys) ? slotKeys.length : typeof slotKeys})`)
  }
  for (let s = 0; s < SLOT_COUNT; s++) {
    const k = slotKeys[s]
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw new UsageError(`key count of slot ${s} is not a non-negative integer: ${String(k)}`)
  }
  return slotKeys
}

/** A primary by id, or a UsageError saying what the id is instead. */
export function requirePrimary(ctx: PlanningContext, id: string, what: string): TopoNode {
  const n = ctx.byId.get(id)
  if (!n) throw new UsageError(`${what} ${JSON.stringify(id)} is not a node of this cluster`, 'name a primary by its node id')
  if (n.role !== 'primary') {
    throw new PreconditionError('not_primary', `${what} ${id} is a replica${n.primaryId ? ` of ${n.primaryId}` : ''}, not a primary`, 'only primaries own slots; name a primary')
  }
  if (!ctx.slotsOf.has(id)) throw new PreconditionError('node_failed', `${what} ${id} is a failed primary`, 'name a primary that is up')
  return n
}

/** Recursively sort object keys so options compare and serialize the same way every time. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort(compareIds)) {
      const x = (v as Record<string, unknown>)[k]
      if (x !== undefined) out[k] = sortKeys(x)
    }
    return out
  }
  return v
}

export function orderMoves(moves: PlanMove[]): PlanMove[] {
  return [...moves].sort((a, b) => compareIds(a.from, b.from) || compareIds(a.to, b.to) || a.slot - b.slot)
}

/** Moves grouped by (from, to) pair, in plan order. */
export function pairsOf(p: Pick<Plan, 'moves'>): Array<{from: string; to: string; slots: number[]}> {
  const out: Array<{from: string; to: string; slots: number[]}> = []
  const index = new Map<string, {from: string; to: string; slots: number[]}>()
  for (const m of p.moves) {
    const key = `${m.from}\u0000${m.to}`
    let g = index.get(key)
    if (!g) {
      g = {from: m.from, to: m.to, slots: []}
      index.set(key, g)
      out.push(g)
    }
    g.slots.push(m.slot)
  }
  return out
}

function round2(x: number): number {
  return Math.round(x * 100) / 100
}

export function spreadOf(entries: ReadonlyArray<{count: number; weight: number}>): number {
  let lo = Infinity
  let hi = -Infinity
  for (const e of entries) {
    if (!(e.weight > 0)) continue
    const r = e.count / e.weight
    if (r < lo) lo = r
    if (r > hi) hi = r
  }
  return hi === -Infinity ? 0 : round2(hi - lo)
}

export interface FinishInput {
  kind: PlanKind
  options: Record<string, unknown>
  moves: Array<{slot: number; from: string; to: string}>
  /** Weight of each primary the plan balances over (for summary and spread). */
  weights: Map<string, number>
  skipped?: SkippedSlot[]
}

/** Build the Plan object: order moves, attach key counts, summary, totals and spread. */
export function finishPlan(ctx: PlanningContext, input: FinishInput): Plan {
  const keys = ctx.slotKeys
  const moves = orderMoves(
    input.moves.map((m) => (keys ? {slot: m.slot, from: m.from, to: m.to, keys: keys[m.slot]!} : {slot: m.slot, from: m.from, to: m.to})),
  )
  const delta = new Map<string, {slots: number; keys: number}>()
  const d = (id: string) => {
    let x = delta.get(id)
    if (!x) delta.set(id, (x = {slots: 0, keys: 0}))
    return x
  }
  let movedKeys = 0
  for (const m of moves) {
    const k = m.keys ?? 0
    movedKeys += k
    d(m.from).slots -= 1
    d(m.from).keys -= k
    d(m.to).slots += 1
    d(m.to).keys += k
  }
  const summary: PlanSummaryEntry[] = ctx.primaries.map((p) => {
    const own = slotsOf(ctx, p.id)
    const dd = delta.get(p.id) ?? {slots: 0, keys: 0}
    const e: PlanSummaryEntry = {id: p.id, slotsBefore: own.length, slotsAfter: own.length + dd.slots}
    const w = input.weights.get(p.id)
    if (w !== undefined) e.weight = w
    if (keys) {
      let kb = 0
      for (const s of own) kb += keys[s]!
      e.keysBefore = kb
      e.keysAfter = kb + dd.keys
    }
    return e
  })
  const weighted = summary.filter((e) => e.weight !== undefined)
  const spread = (field: 'slotsBefore' | 'slotsAfter' | 'keysBefore' | 'keysAfter') =>
    spreadOf(weighted.map((e) => ({count: e[field] ?? 0, weight: e.weight!})))
  const plan: Plan = {
    version: PLAN_VERSION,
    kind: input.kind,
    cluster: {
      id: ctx.topology.clusterId,
      nodes: ctx.primaries.map((p) => (p.hostname ? {id: p.id, address: p.address, hostname: p.hostname} : {id: p.id, address: p.address})),
    },
    options: sortKeys(input.options) as Record<string, unknown>,
    moves,
    totals: keys ? {slots: moves.length, keys: movedKeys} : {slots: moves.length},
    summary,
    spread: {
      before: keys ? {slots: spread('slotsBefore'), keys: spread('keysBefore')} : {slots: spread('slotsBefore')},
      after: keys ? {slots: spread('slotsAfter'), keys: spread('keysAfter')} : {slots: spread('slotsAfter')},
    },
  }
  if (input.skipped) plan.skipped = [...input.skipped].sort((a, b) => a.slot - b.slot)
  return plan
}
