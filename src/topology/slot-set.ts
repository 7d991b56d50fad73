// PURE. Slot sets as operators write them: "100", "100-200", "0-99,200,300-310".
import {UsageError} from '../errors.js'

export const SLOT_COUNT = 16384
export const MAX_SLOT = SLOT_COUNT - 1

const PART = /^(\d{1,5})(?:-(\d{1,5}))?$/

// Every slot number once, so that a run of slots is a copy (a builtin) rather than a loop: every
// view of a cluster lists all 16384 slots, and commands read every node's view, often twice.
let allSlots: number[] | undefined

/** [lo, lo + 1, ..., hi] for 0 <= lo <= hi <= MAX_SLOT. */
export function slotRange(lo: number, hi: number): number[] {
  allSlots ??= Array.from({length: SLOT_COUNT}, (_, s) => s)
  return allSlots.slice(lo, hi + 1)
}

/** Parse a slot expression into sorted unique slots; anything malformed is a usage error. */
export function parseSlots(expr: string): number[] {
  const text = expr.trim()
  if (text === '') throw new UsageError('no slots given', 'give slots as 100, 100-200 or 0-99,200,300-310')
  const seen = new Set<number>()
  for (const raw of text.split(',')) {
    const part = raw.trim()
    const m = PART.exec(part)
    if (!m) {
      throw new UsageError(`"${part}" is not a slot or slot range`, 'give slots as 100, 100-200 or 0-99,200,300-310')
    }
    const lo = Number(m[1])
    const hi = m[2] === undefined ? lo : Number(m[2])
    for (const n of [lo, hi]) {
      if (n > MAX_SLOT) throw new UsageError(`slot ${n} is out of range`, `slots are 0-${MAX_SLOT}`)
    }
    if (hi < lo) throw new UsageError(`slot range ${part} is reversed`, `write it as ${hi}-${lo}`)
    for (let s = lo; s <= hi; s++) seen.add(s)
  }
  return [...seen].sort((a, b) => a - b)
}

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
