// PURE. Lists of slots as people read them: ranges with a count, cut at a range boundary, so
// that 203 open slots are one line ("0-202 (203 slots, streaming)"), not 203 entries.
import {formatSlots, toRanges} from '../topology/slot-ranges.js'

/** Ranges shown before the rest is summarised as "… +N ranges". */
const MAX_RANGES = 8

function sortedUnique(slots: Iterable<number>): number[] {
  return [...new Set(slots)].sort((a, b) => a - b)
}

/** "0-202,300" with at most `maxRanges` ranges: "0-2,5,9-11,… +12 ranges". */
export function slotRanges(slots: Iterable<number>, maxRanges = MAX_RANGES): string {
  const ranges = toRanges(sortedUnique(slots))
  const shown = ranges.slice(0, maxRanges).map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`))
  return ranges.length > maxRanges ? `${shown.join(',')},… +${ranges.length - maxRanges} ranges` : shown.join(',')
}

/** "0-202 (203 slots, streaming)", "7 (1 slot)". */
export function slotSummary(slots: Iterable<number>, note?: string, maxRanges = MAX_RANGES): string {
  const list = sortedUnique(slots)
  return `${slotRanges(list, maxRanges)} (${list.length} slot${list.length === 1 ? '' : 's'}${note ? `, ${note}` : ''})`
}

/** Items grouped by a label, each group one summary: "0-202 (203 slots, streaming), 203 (1 slot, importing)". */
export function groupedSlots<T>(items: readonly T[], slotOf: (x: T) => number, labelOf: (x: T) => string): string[] {
  const groups = new Map<string, number[]>()
  for (const x of items) {
    const k = labelOf(x)
    let g = groups.get(k)
    if (!g) groups.set(k, (g = []))
    g.push(slotOf(x))
  }
  return [...groups.entries()].sort((a, b) => Math.min(...a[1]) - Math.min(...b[1])).map(([label, slots]) => slotSummary(slots, label || undefined))
}

/** A slot expression for a command line (`--slot ...`), or undefined when it would be too long to type. */
export function slotArgument(slots: Iterable<number>, maxRanges = MAX_RANGES): string | undefined {
  const list = sortedUnique(slots)
  return toRanges(list).length <= maxRanges ? formatSlots(list) : undefined
}
