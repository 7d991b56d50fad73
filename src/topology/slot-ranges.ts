// PURE. Slot lists written compactly as ranges ("0-2,5"). Imports nothing: src/errors.ts formats
// the slots a run left open through src/output/slot-list.ts, and slot-set.ts (which parses slot
// expressions and so throws UsageError) re-exports these for everyone else.

/** Compact ranges: [0,1,2,5] -> "0-2,5". Input need not be sorted. */
export function formatSlots(slots: Iterable<number>): string {
  // a node's slots come sorted: sorting 16384 numbers with a comparator costs more than the rest
  const sorted = Array.isArray(slots) && increasing(slots) ? (slots as readonly number[]) : [...new Set(slots)].sort((a, b) => a - b)
  return toRanges(sorted)
    .map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`))
    .join(',')
}

export function toRanges(sorted: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let last: [number, number] | undefined
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!
    if (last && s === last[1] + 1) last[1] = s
    else out.push((last = [s, s]))
  }
  return out
}

/** Strictly increasing: then it is its own sorted, duplicate-free copy. */
function increasing(a: readonly number[]): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i]! > a[i - 1]!)) return false
  return true
}

/** The ranges of 0..16383 that `ranges` (sorted, not overlapping, [lo, hi] each) leave out. */
export function complementRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let next = 0
  for (const [lo, hi] of ranges) {
    if (lo > next) out.push([next, lo - 1])
    next = Math.max(next, hi + 1)
  }
  if (next <= 16383) out.push([next, 16383])
  return out
}
