// The slot ledger: every transition of the table through the ledger (an illegal one throws and
// changes nothing), failing from every state, what each end reads as outcome, state and open,
// the events it emits, and a follower rebuilt from those events that reads the same open list.
import {describe, expect, it} from 'vitest'
import {InvalidTransitionError} from '../../src/errors.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {SlotLedger, type FailedAs} from '../../src/migration/slot-ledger.js'
import {canTransition, type SlotState} from '../../src/migration/slot-state.js'

const STATES: SlotState[] = ['pending', 'importing', 'migrating', 'streaming', 'finalizing', 'complete', 'failed', 'aborted']
/** The shortest legal path from pending to each state. */
const PATH: Record<SlotState, SlotState[]> = {
  pending: [],
  importing: ['importing'],
  migrating: ['importing', 'migrating'],
  streaming: ['importing', 'migrating', 'streaming'],
  finalizing: ['importing', 'migrating', 'streaming', 'finalizing'],
  complete: ['complete'],
  failed: ['failed'],
  aborted: ['aborted'],
}

function ledgerAt(state: SlotState, as?: FailedAs) {
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const l = new SlotLedger(bus)
  l.add([{slot: 7, from: 'a', to: 'b'}], 'legacy')
  for (const s of PATH[state]) {
    if (s === 'failed') l.fail(7, 'boom', as)
    else l.to(7, s, 3)
  }
  events.length = 0
  return {l, events}
}

const step = (l: SlotLedger, next: SlotState) => (next === 'failed' ? l.fail(7, 'boom') : l.to(7, next, 3))

describe('SlotLedger transition table', () => {
  const pairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const))
  it.each(pairs)('%s -> %s: legal ones move and emit, illegal ones throw and change nothing', (from, to) => {
    const {l, events} = ledgerAt(from)
    if (canTransition(from, to)) {
      step(l, to)
      expect(l.state(7)).toBe(to)
      expect(events.length).toBeGreaterThan(0)
    } else {
      expect(() => step(l, to)).toThrow(InvalidTransitionError)
      expect(l.state(7)).toBe(from)
      expect(events).toEqual([])
    }
  })

  it('enter() keeps a slot already in the state; to() would refuse it', () => {
    const {l, events} = ledgerAt('streaming')
    l.enter(7, 'streaming', 3)
    expect(events).toEqual([])
    expect(() => l.to(7, 'streaming', 3)).toThrow(InvalidTransitionError)
  })

  it('a slot not in the ledger is a bug, said so', () => {
    expect(() => new SlotLedger().state(1)).toThrow(/slot 1 is not in the ledger/)
  })
})

describe('what is read from the ledger', () => {
  const cases: Array<[string, SlotState, FailedAs | undefined, string, SlotState, boolean]> = [
    // what, state reached, failed as, outcome, state shown, open
    ['never opened', 'pending', undefined, 'not-started', 'pending', false],
    ['streaming', 'streaming', undefined, 'open', 'streaming', true],
    ['complete', 'complete', undefined, 'done', 'complete', false],
    ['closed again (aborted)', 'aborted', undefined, 'not-started', 'aborted', false],
    ['failed before it was opened', 'failed', undefined, 'failed', 'pending', false],
    ['failed, rolled back by the server', 'failed', 'rolled-back', 'not-started', 'failed', false],
  ]
  it.each(cases)('%s', (_what, state, as, outcome, shown, open) => {
    const {l} = ledgerAt(state, as)
    expect(l.result(7)).toMatchObject({slot: 7, from: 'a', to: 'b', outcome, state: shown, mechanism: 'legacy'})
    expect(l.open().length).toBe(open ? 1 : 0)
  })

  it('a slot that fails while open stays open in the state it failed in, with its error and keys', () => {
    const {l, events} = ledgerAt('streaming')
    l.addKeys(7, 5)
    l.fail(7, 'MIGRATE failed')
    expect(l.state(7)).toBe('failed')
    expect(l.result(7)).toEqual({slot: 7, from: 'a', to: 'b', outcome: 'open', state: 'streaming', keys: 5, error: 'MIGRATE failed', mechanism: 'legacy'})
    expect(l.open((id) => id.toUpperCase())).toEqual([{slot: 7, state: 'streaming', source: 'A', target: 'B'}])
    // slot-failed only: the last slot-state stays the state the slot is open in
    expect(events).toEqual([{type: 'slot-failed', slot: 7, from: 'a', to: 'b', state: 'streaming', error: 'MIGRATE failed'}])
  })

  it('a rolled-back slot reports the state failed and no key moved', () => {
    const {l, events} = ledgerAt('streaming')
    l.addKeys(7, 5)
    l.fail(7, 'task failed', 'rolled-back')
    expect(l.result(7)).toMatchObject({outcome: 'not-started', state: 'failed', keys: 0, error: 'task failed'})
    expect(events.map((e) => e.type)).toEqual(['slot-state', 'slot-failed'])
  })

  it('complete emits slot-done with the keys moved and the time since the slot was opened', async () => {
    const {l, events} = ledgerAt('finalizing')
    l.setKeys(7, 9)
    l.to(7, 'complete', 9)
    expect(events.map((e) => e.type)).toEqual(['slot-state', 'slot-done'])
    expect(events[1]).toMatchObject({slot: 7, keys: 9})
    expect((events[1] as {ms: number}).ms).toBeGreaterThanOrEqual(0)
  })

  it('results are sorted by slot; a slot added twice keeps its first record', () => {
    const l = new SlotLedger()
    l.add([{slot: 9, from: 'a', to: 'b'}, {slot: 2, from: 'a', to: 'b'}], 'atomic')
    l.to(9, 'importing', 0)
    l.add([{slot: 9, from: 'x', to: 'y'}], 'legacy')
    expect(l.results().map((r) => [r.slot, r.state, r.mechanism])).toEqual([
      [2, 'pending', 'atomic'],
      [9, 'importing', 'atomic'],
    ])
  })
})
