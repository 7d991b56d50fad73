import {describe, expect, it} from 'vitest'
import {InvalidTransitionError} from '../../src/errors.js'
import {assertTransition, canTransition, isTerminal, type SlotState, slotProgress} from '../../src/migration/slot-state.js'

const STATES: SlotState[] = ['pending', 'importing', 'migrating', 'streaming', 'finalizing', 'complete', 'failed', 'aborted']

// The whole table, written out independently of the source: from -> allowed next states.
const ALLOWED: Record<SlotState, SlotState[]> = {
  pending: ['importing', 'complete', 'aborted', 'failed'], // complete: the target already owns the slot
  importing: ['migrating', 'failed', 'aborted'],
  migrating: ['streaming', 'failed', 'aborted'],
  streaming: ['finalizing', 'failed', 'aborted'],
  finalizing: ['complete', 'failed'], // no abort once SETSLOT NODE has begun
  complete: [],
  failed: [],
  aborted: [],
}

const PAIRS: Array<[SlotState, SlotState, boolean]> = STATES.flatMap((from) =>
  STATES.map((to): [SlotState, SlotState, boolean] => [from, to, ALLOWED[from].includes(to)]),
)

describe('slot state transitions', () => {
  it('covers all 64 pairs', () => {
    expect(PAIRS).toHaveLength(64)
    expect(PAIRS.filter(([, , ok]) => ok)).toHaveLength(15)
  })

  it.each(PAIRS)('%s -> %s allowed: %s', (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok)
    if (ok) {
      expect(() => assertTransition(from, to)).not.toThrow()
    } else {
      let caught: unknown
      try {
        assertTransition(from, to)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(InvalidTransitionError)
      const e = caught as InvalidTransitionError
      expect(e.message).toBe(`invalid slot state transition ${from} -> ${to}`)
      expect(e.kind).toBe('invalid_state_transition')
      expect(e.exitCode).toBe(1)
    }
  })

  it('never allows a state to stay where it is', () => {
    for (const s of STATES) expect(canTransition(s, s)).toBe(false)
  })
})

describe('isTerminal', () => {
  const cases: Array<[SlotState, boolean]> = [
    ['pending', false],
    ['importing', false],
    ['migrating', false],
    ['streaming', false],
    ['finalizing', false],
    ['complete', true],
    ['failed', true],
    ['aborted', true],
  ]
  it.each(cases)('%s: %s', (s, terminal) => {
    expect(isTerminal(s)).toBe(terminal)
  })

  it('every non-terminal state can fail', () => {
    for (const s of STATES.filter((x) => !isTerminal(x))) expect(canTransition(s, 'failed')).toBe(true)
  })
})

describe('slotProgress', () => {
  const cases: Array<[string, number, number, number]> = [
    ['empty slot', 0, 0, 100],
    ['empty slot, keys moved anyway', 5, 0, 100],
    ['negative total', 0, -1, 100],
    ['nothing moved', 0, 10, 0],
    ['half', 5, 10, 50],
    ['rounds down', 1, 3, 33],
    ['rounds down near the end', 999, 1000, 99],
    ['all', 10, 10, 100],
    ['more than the start count clamps', 15, 10, 100],
    ['far more clamps', 1_000_000, 1, 100],
    ['large numbers', 1_234_567, 2_469_134, 50],
  ]
  it.each(cases)('%s: %i of %i -> %i', (_what, moved, total, expected) => {
    expect(slotProgress(moved, total)).toBe(expected)
  })
})
