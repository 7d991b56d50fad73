// PURE. `move --count N --from A,B|all --to T`: which N slots to take, and from whom.
//
// Spread: each donor gives a share of N proportional to the slots it owns (largest remainder;
// ties go to the donor listed first), never more than it owns.
// Per donor: the slots that cost the fewest keys, as one contiguous range when one can do it: the
// cheapest window of consecutive owned slots is taken when it costs at most CONTIGUOUS_SLACK more
// keys than the donor's emptiest slots taken one by one; otherwise the emptiest slots, one by one.
// Ties go to the highest slots (like rebalance, a donor gives from the top so its ranges stay
// compact). No I/O, no clock: the same input gives the same pick.
import {UsageError} from '../errors.js'
import {toRanges} from '../topology/slot-set.js'

/** A contiguous range may cost this fraction more keys than the emptiest slots. */
export const CONTIGUOUS_SLACK = 0.1

export interface Donor {
  id: string
  /** Owned slots, ascending. */
  slots: readonly number[]
}

export interface PickedSlot {
  slot: number
  from: string
}

/** How many slots each donor gives: proportional to what it owns, summing to `count`. */
export function shareCount(donors: readonly Donor[], count: number): number[] {
  const total = donors.reduce((a, d) => a + d.slots.length, 0)
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a whole number of 1 or more, not ${String(count)}`)
  if (count > total) throw new UsageError(`--count ${count} is more than the ${total} slot(s) the source(s) own`, `give at most --count ${total}`)
  const exact = donors.map((d) => (count * d.slots.length) / total)
  const out = exact.map(Math.floor)
  let left = count - out.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => ({i, frac: x - Math.floor(x)})).sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (const {i} of order) {
    if (left === 0) break
    if (out[i]! < donors[i]!.slots.length) {
      out[i]!++
      left--
    }
  }
  return out
}

/** The n slots of one donor to give (ascending). `keys(slot)` is the slot's key count. */
export function pickFromDonor(slots: readonly number[], n: number, keys: (slot: number) => number): number[] {
  if (n <= 0) return []
  if (n >= slots.length) return [...slots]
  // the emptiest slots one by one (ties: highest slot first)
  const byKeys = [...slots].sort((a, b) => keys(a) - keys(b) || b - a)
  const loose = byKeys.slice(0, n)
  const looseKeys = loose.reduce((a, s) => a + keys(s), 0)
  const window = cheapestWindow(slots, n, keys)
  if (window && window.keys <= looseKeys + Math.ceil(looseKeys * CONTIGUOUS_SLACK)) {
    const out: number[] = []
    for (let s = window.start; s < window.start + n; s++) out.push(s)
    return out
  }
  return loose.sort((a, b) => a - b)
}

/** The run of n consecutive owned slots with the fewest keys (ties: the highest), if any. */
function cheapestWindow(slots: readonly number[], n: number, keys: (slot: number) => number): {start: number; keys: number} | undefined {
  let best: {start: number; keys: number} | undefined
  for (const [lo, hi] of toRanges(slots)) {
    if (hi - lo + 1 < n) continue
    let sum = 0
    for (let s = lo; s < lo + n; s++) sum += keys(s)
    for (let start = lo; ; start++) {
      if (!best || sum <= best.keys) best = {start, keys: sum}
      if (start + n > hi) break
      sum += keys(start + n) - keys(start)
    }
  }
  return best
}

/** N slots spread over the donors, each donor's pick as above; sorted by slot. */
export function pickSlotsByCount(donors: readonly Donor[], count: number, slotKeys?: ReadonlyArray<number>): PickedSlot[] {
  if (donors.length === 0) throw new UsageError('no source primary owns a slot', 'name sources that own slots with --from, or --from all')
  const keys = (s: number) => slotKeys?.[s] ?? 0
  const shares = shareCount(donors, count)
  const out: PickedSlot[] = []
  donors.forEach((d, i) => {
    for (const slot of pickFromDonor(d.slots, shares[i]!, keys)) out.push({slot, from: d.id})
  })
  return out.sort((a, b) => a.slot - b.slot)
}
