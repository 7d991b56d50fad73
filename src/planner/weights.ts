// PURE. Weights, weighted integer shares and the arithmetic the planners share.
// Shares are computed in integers (weights scaled to millionths, BigInt) so that rounding can never
// make two runs, or two machines, disagree on which primary gets the odd slot.
import {UsageError} from '../errors.js'
import {compareIds, requirePrimary, type PlanningContext} from './plan.js'

export const MAX_WEIGHT = 1_000_000
const SCALE = 1_000_000

export interface Weighted {
  id: string
  count: number
  weight: number
}

function scaled(w: number): bigint {
  return BigInt(Math.round(w * SCALE))
}

/** Check explicit weights (already resolved to node ids by the command layer). */
export function resolveWeights(ctx: PlanningContext, weights: Readonly<Record<string, number>> | undefined): Map<string, number> {
  const out = new Map<string, number>()
  if (weights === undefined) return out
  if (weights === null || typeof weights !== 'object' || Array.isArray(weights)) throw new UsageError('weights must map node ids to numbers')
  for (const id of Object.keys(weights).sort(compareIds)) {
    requirePrimary(ctx, id, 'weight for node')
    const w = weights[id]
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new UsageError(`weight of ${id} is not a number: ${String(w)}`)
    if (w < 0) throw new UsageError(`weight of ${id} is negative (${w})`, 'weights are 0 or more; weight 0 empties a primary')
    if (w > MAX_WEIGHT) throw new UsageError(`weight of ${id} is too large (${w})`, `weights are at most ${MAX_WEIGHT}`)
    if (w > 0 && scaled(w) === 0n) throw new UsageError(`weight of ${id} is too small (${w})`, 'weights are 0 or at least 0.000001')
    out.set(id, w)
  }
  return out
}

export function weightSum(entries: ReadonlyArray<{weight: number}>): number {
  let s = 0
  for (const e of entries) s += e.weight
  return s
}

/**
 * Integer targets that add up to `total`, each floor or ceil of its weighted share
 * total × w ÷ Σw (largest remainder). The odd slots go first to primaries that already hold at
 * least the ceiling (so they keep them: this is what makes the number of moves minimal), then by
 * largest remainder, then by node id.
 */
export function integerTargets(entries: ReadonlyArray<Weighted>, total: number): Map<string, number> {
  const ws = entries.map((e) => scaled(e.weight))
  const W = ws.reduce((a, b) => a + b, 0n)
  const out = new Map<string, number>()
  if (W === 0n) {
    for (const e of entries) out.set(e.id, 0)
    return out
  }
  const T = BigInt(total)
  let assigned = 0
  const extra: Array<{id: string; rem: bigint; keeps: boolean}> = []
  entries.forEach((e, i) => {
    const num = T * ws[i]!
    const f = Number(num / W)
    const rem = num % W
    out.set(e.id, f)
    assigned += f
    if (rem > 0n) extra.push({id: e.id, rem, keeps: e.count >= f + 1})
  })
  extra.sort(
    (a, b) => Number(b.keeps) - Number(a.keeps) || (a.rem > b.rem ? -1 : a.rem < b.rem ? 1 : 0) || compareIds(a.id, b.id),
  )
  let r = total - assigned
  for (const x of extra) {
    if (r <= 0) break
    out.set(x.id, out.get(x.id)! + 1)
    r--
  }
  return out
}

/**
 * Give `n` new units to the entries so the result is as even by weight as possible without taking
 * anything away (water filling): entries already above the level get nothing, the rest end at
 * their integer share of what is there. Returns the gain of every entry.
 */
export function waterFill(entries: ReadonlyArray<Weighted>, n: number): Map<string, number> {
  const gains = new Map<string, number>(entries.map((e) => [e.id, 0]))
  let active = entries.filter((e) => scaled(e.weight) > 0n)
  while (active.length > 0) {
    let total = n
    for (const e of active) total += e.count
    const tg = integerTargets(active, total)
    const over = active.filter((e) => e.count > tg.get(e.id)!)
    if (over.length === 0) {
      for (const e of active) gains.set(e.id, tg.get(e.id)! - e.count)
      break
    }
    active = active.filter((e) => e.count <= tg.get(e.id)!)
  }
  return gains
}

/**
 * Hand out slots (ascending) to receivers in the given order, each taking a contiguous run of its
 * gain: receivers end with compact ranges.
 */
export function assignContiguous(
  pool: ReadonlyArray<{slot: number; from: string}>,
  receivers: ReadonlyArray<{id: string; gain: number}>,
): Array<{slot: number; from: string; to: string}> {
  const sorted = [...pool].sort((a, b) => a.slot - b.slot)
  const out: Array<{slot: number; from: string; to: string}> = []
  let i = 0
  for (const r of receivers) {
    for (let g = 0; g < r.gain && i < sorted.length; g++, i++) out.push({slot: sorted[i]!.slot, from: sorted[i]!.from, to: r.id})
  }
  if (i !== sorted.length) throw new Error(`internal: ${sorted.length - i} slots left without a receiver`)
  return out
}

/**
 * Threshold (percent): true when every entry's |count − share| ÷ share × 100 ≤ threshold. A share of
 * 0 (weight 0) is met only by a count of 0, whatever the threshold: weight 0 always empties.
 */
export function withinThreshold(entries: ReadonlyArray<Weighted>, total: number, threshold: number): boolean {
  const W = weightSum(entries)
  for (const e of entries) {
    const share = W > 0 ? (total * e.weight) / W : 0
    if (share === 0) {
      if (e.count !== 0) return false
      continue
    }
    if ((Math.abs(e.count - share) / share) * 100 > threshold) return false
  }
  return true
}
