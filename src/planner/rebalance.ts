// PURE. `rebalance`: spread slots (or keys) over primaries by weight, moving as little as possible.
//
// Who takes part: every primary that owns slots, plus empty primaries with useEmptyPrimaries, plus
// any primary given an explicit weight (default weight 1; weight 0 empties a primary).
//
// Threshold (percent, default 2): when every participant is within threshold % of its weighted
// share, the plan has no moves; otherwise it balances fully. Threshold 0 balances exactly to the
// integer targets. A weight-0 primary that owns slots is always emptied, whatever the threshold.
//
// by=slots: integer targets (floor or ceil of each weighted share, see integerTargets) chosen so the
// number of moved slots — the sum of every donor's surplus — is the minimum that puts every
// primary within 1 slot of its share. A donor gives its highest slots (its ranges stay compact);
// receivers, in id order, take contiguous runs of the donated slots, ascending.
//
// by=keys: see balanceKeys below.
import {UsageError} from '../errors.js'
import type {Topology} from '../topology/topology.js'
import {checkSlotKeys, finishPlan, planningContext, slotsOf, type Plan} from './plan.js'
import {assignContiguous, integerTargets, resolveWeights, waterFill, weightSum, withinThreshold} from './weights.js'

export const DEFAULT_THRESHOLD = 2

/** by=keys: a primary's slot count may not be pushed more than 50 % away from its weighted slot share. */
export const KEYS_SLOT_SLACK = 0.5

export type BalanceBy = 'slots' | 'keys'

export interface RebalanceOptions {
  /** Node id → weight (≥ 0). Ids must be primaries. */
  weights?: Readonly<Record<string, number>>
  /** Percent, ≥ 0; default 2. */
  threshold?: number
  useEmptyPrimaries?: boolean
  by?: BalanceBy
  /** Keys per slot (length 16384): required for by=keys, optional otherwise (fills key totals). */
  slotKeys?: ReadonlyArray<number>
}

interface Part {
  id: string
  /** Slots owned at planning time, ascending. */
  slots: number[]
  weight: number
}

type Move = {slot: number; from: string; to: string}

export function planRebalance(t: Topology, o: RebalanceOptions = {}): Plan {
  const by = o.by ?? 'slots'
  if (by !== 'slots' && by !== 'keys') throw new UsageError(`cannot balance by "${String(by)}"`, 'use --by slots or --by keys')
  const threshold = o.threshold ?? DEFAULT_THRESHOLD
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    throw new UsageError(`threshold must be a percentage of 0 or more, not ${String(threshold)}`)
  }
  const slotKeys = checkSlotKeys(o.slotKeys, by === 'keys' ? 'rebalance --by keys' : undefined)
  const ctx = planningContext(t, slotKeys)
  const explicit = resolveWeights(ctx, o.weights)
  const useEmpty = o.useEmptyPrimaries === true

  const parts: Part[] = ctx.primaries
    .filter((p) => slotsOf(ctx, p.id).length > 0 || explicit.has(p.id) || (useEmpty && !p.failed))
    .map((p) => ({id: p.id, slots: slotsOf(ctx, p.id), weight: explicit.get(p.id) ?? 1}))
  if (parts.length > 0 && weightSum(parts) === 0) {
    throw new UsageError(
      'every primary that takes part has weight 0: there is nowhere to put the slots',
      'give at least one primary a weight above 0, or add --use-empty-primaries',
    )
  }

  const moves = by === 'slots' ? balanceSlots(parts, threshold) : balanceKeys(parts, slotKeys!, threshold)
  return finishPlan(ctx, {
    kind: 'rebalance',
    options: {by, threshold, useEmptyPrimaries: useEmpty, weights: Object.fromEntries(explicit)},
    moves,
    weights: new Map(parts.map((p) => [p.id, p.weight])),
  })
}

function balanceSlots(parts: Part[], threshold: number): Move[] {
  const entries = parts.map((p) => ({id: p.id, count: p.slots.length, weight: p.weight}))
  const total = entries.reduce((a, e) => a + e.count, 0)
  if (withinThreshold(entries, total, threshold)) return []
  const targets = integerTargets(entries, total)
  const pool: Array<{slot: number; from: string}> = []
  for (const p of parts) {
    const surplus = p.slots.length - targets.get(p.id)!
    // Highest slots first: what stays behind is the donor's lowest, still compact, ranges.
    for (const s of p.slots.slice(p.slots.length - Math.max(0, surplus))) pool.push({slot: s, from: p.id})
  }
  const receivers = parts
    .map((p) => ({id: p.id, gain: targets.get(p.id)! - p.slots.length}))
    .filter((r) => r.gain > 0)
  return assignContiguous(pool, receivers)
}

interface KNode {
  id: string
  weight: number
  slots: number
  keys: number
  keyShare: number
  minSlots: number
  maxSlots: number
  /** Own key-holding slots it may give, sorted by (keys, slot) ascending. */
  movable: number[]
  gaveKeys: boolean
  receivedKeys: boolean
}

/**
 * by=keys. Key share of a primary = total keys × w ÷ Σw. Greedy, deterministic:
 * 1. Weight-0 primaries give every slot: key-holding slots, largest first, each to the primary
 *    furthest below its key share (respecting slot caps where possible); keyless slots are spread
 *    by slot count (water filling) in contiguous runs.
 * 2. Then, repeatedly: the primary furthest above its key share (donor) gives the receiver furthest
 *    below its share the one slot whose key count best closes the gap: the largest slot not above
 *    min(surplus, deficit), or the smallest above it when that reduces the total deviation more.
 *    Every move strictly lowers Σ|keys − share|, and keyless slots never move in this phase, so
 *    keys moved stay close to the minimum (the total surplus).
 * A primary that received keys never gives and one that gave never receives (no key moves twice,
 * no slot moves twice). Slot caps: a primary's slot count stays within ±50 % of its weighted slot
 * share (KEYS_SLOT_SLACK) so no primary ends with an absurd number of slots.
 * With no keys at all there is nothing to weigh: only weight-0 primaries are emptied.
 * (About 100 lines: one greedy loop whose donor/receiver choice, caps and tie-breaks share its
 * running totals; the steps are commented inline.)
 */
function balanceKeys(parts: Part[], slotKeys: ReadonlyArray<number>, threshold: number): Move[] {
  const W = weightSum(parts)
  let totalSlots = 0
  let totalKeys = 0
  const keysOf = (slots: number[]) => slots.reduce((a, s) => a + slotKeys[s]!, 0)
  for (const p of parts) {
    totalSlots += p.slots.length
    totalKeys += keysOf(p.slots)
  }
  const mustEmpty = parts.some((p) => p.weight === 0 && p.slots.length > 0)
  const keyEntries = parts.map((p) => ({id: p.id, count: keysOf(p.slots), weight: p.weight}))
  if (!mustEmpty && withinThreshold(keyEntries, totalKeys, threshold)) return []

  const nodes: KNode[] = parts.map((p) => {
    const slotShare = W > 0 ? (totalSlots * p.weight) / W : 0
    return {
      id: p.id,
      weight: p.weight,
      slots: p.slots.length,
      keys: keysOf(p.slots),
      keyShare: W > 0 ? (totalKeys * p.weight) / W : 0,
      minSlots: Math.floor(slotShare * (1 - KEYS_SLOT_SLACK)),
      maxSlots: Math.ceil(slotShare * (1 + KEYS_SLOT_SLACK)),
      movable: p.slots.filter((s) => slotKeys[s]! > 0).sort((a, b) => slotKeys[a]! - slotKeys[b]! || a - b),
      gaveKeys: false,
      receivedKeys: false,
    }
  })
  const moves: Move[] = []
  const recv = nodes.filter((n) => n.weight > 0)

  // 1. Empty the weight-0 primaries.
  const hot: Array<{slot: number; from: KNode}> = []
  const cold: Array<{slot: number; from: string}> = []
  for (const [i, p] of parts.entries()) {
    if (p.weight !== 0) continue
    const z = nodes[i]!
    for (const s of p.slots) {
      if (slotKeys[s]! > 0) hot.push({slot: s, from: z})
      else cold.push({slot: s, from: z.id})
    }
  }
  hot.sort((a, b) => slotKeys[b.slot]! - slotKeys[a.slot]! || a.slot - b.slot)
  for (const h of hot) {
    const k = slotKeys[h.slot]!
    let best: KNode | undefined
    for (const underCap of [true, false]) {
      for (const r of recv) {
        if (underCap && r.slots >= r.maxSlots) continue
        if (!best || r.keyShare - r.keys > best.keyShare - best.keys) best = r
      }
      if (best) break
    }
    moves.push({slot: h.slot, from: h.from.id, to: best!.id})
    transfer(h.from, best!, k)
    h.from.movable = []
  }
  if (cold.length > 0) {
    const gains = waterFill(
      recv.map((r) => ({id: r.id, count: r.slots, weight: r.weight})),
      cold.length,
    )
    for (const m of assignContiguous(cold, recv.map((r) => ({id: r.id, gain: gains.get(r.id)!})))) moves.push(m)
    for (const r of recv) r.slots += gains.get(r.id)!
    for (const z of nodes) if (z.weight === 0) z.slots = 0
  }

  // 2. Donor furthest above its share → receiver furthest below, one slot at a time.
  const exhausted = new Set<KNode>()
  const isDonor = (n: KNode) =>
    n.weight > 0 && !n.receivedKeys && !exhausted.has(n) && n.keys > n.keyShare && n.slots > n.minSlots && n.movable.length > 0
  const isReceiver = (n: KNode) => n.weight > 0 && !n.gaveKeys && n.keys < n.keyShare && n.slots < n.maxSlots
  for (;;) {
    let d: KNode | undefined
    for (const n of recv) if (isDonor(n) && (!d || n.keys - n.keyShare > d.keys - d.keyShare)) d = n
    if (!d) break
    let r: KNode | undefined
    for (const n of recv) if (n !== d && isReceiver(n) && (!r || n.keyShare - n.keys > r.keyShare - r.keys)) r = n
    if (!r) break
    let pick = bestSlot(d, r, slotKeys)
    if (pick < 0) {
      const others = recv
        .filter((n) => n !== d && n !== r && isReceiver(n))
        .sort((a, b) => b.keyShare - b.keys - (a.keyShare - a.keys) || (a.id < b.id ? -1 : 1))
      for (const o of others) {
        pick = bestSlot(d, o, slotKeys)
        if (pick >= 0) {
          r = o
          break
        }
      }
    }
    if (pick < 0) {
      // Nothing of this donor fits any receiver; receivers only fill up, so it never will.
      exhausted.add(d)
      continue
    }
    const slot = d.movable[pick]!
    d.movable.splice(pick, 1)
    moves.push({slot, from: d.id, to: r.id})
    transfer(d, r, slotKeys[slot]!)
  }
  return moves
}

function transfer(from: KNode, to: KNode, k: number): void {
  from.keys -= k
  from.slots -= 1
  to.keys += k
  to.slots += 1
  if (k > 0) {
    from.gaveKeys = true
    to.receivedKeys = true
  }
}

/**
 * Index in d.movable of the slot that most reduces Σ|keys − share| when moved from d to r
 * (fewer keys on a tie), or -1 when no slot reduces it.
 */
function bestSlot(d: KNode, r: KNode, slotKeys: ReadonlyArray<number>): number {
  const s = d.keys - d.keyShare
  const def = r.keyShare - r.keys
  if (!(s > 0) || !(def > 0) || d.movable.length === 0) return -1
  const t = Math.min(s, def)
  const gain = (k: number) => Math.min(k, s, def, s + def - k)
  // First index whose key count is above t.
  let lo = 0
  let hi = d.movable.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (slotKeys[d.movable[mid]!]! <= t) lo = mid + 1
    else hi = mid
  }
  const below = lo - 1
  const above = lo < d.movable.length ? lo : -1
  const gb = below >= 0 ? gain(slotKeys[d.movable[below]!]!) : 0
  const ga = above >= 0 ? gain(slotKeys[d.movable[above]!]!) : 0
  if (gb <= 0 && ga <= 0) return -1
  return gb >= ga ? below : above
}
