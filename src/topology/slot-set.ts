// PURE. Slot sets as operators write them: "100", "100-200", "0-99,200,300-310".
import {UsageError} from '../errors.js'

// Formatting lives apart (it imports nothing, so errors.ts can format slot lists without a cycle).
export {complementRanges, formatSlots, toRanges} from './slot-ranges.js'

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
