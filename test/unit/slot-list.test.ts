import {describe, expect, it} from 'vitest'
import {groupedSlots, slotArgument, slotRanges, slotSummary} from '../../src/output/slot-list.js'

describe('slot lists for people', () => {
  it('compresses runs into ranges with a count', () => {
    expect(slotSummary([2, 0, 1, 5], 'streaming')).toBe('0-2,5 (4 slots, streaming)')
    expect(slotSummary([7])).toBe('7 (1 slot)')
    expect(slotSummary(Array.from({length: 203}, (_, i) => i), 'streaming')).toBe('0-202 (203 slots, streaming)')
  })

  it('cuts a fragmented list at a range boundary and says how many ranges are left', () => {
    const every2nd = Array.from({length: 100}, (_, i) => i * 2)
    expect(slotRanges(every2nd, 3)).toBe('0,2,4,… +97 ranges')
    expect(slotSummary(every2nd, undefined, 2)).toBe('0,2,… +98 ranges (100 slots)')
  })

  it('groups by a label, groups in slot order', () => {
    const items = [
      {slot: 10, s: 'importing'},
      {slot: 1, s: 'migrating'},
      {slot: 2, s: 'migrating'},
    ]
    expect(groupedSlots(items, (x) => x.slot, (x) => x.s)).toEqual(['1-2 (2 slots, migrating)', '10 (1 slot, importing)'])
  })

  it('gives a command-line slot argument only when it is short', () => {
    expect(slotArgument([1, 2, 3, 9])).toBe('1-3,9')
    expect(slotArgument(Array.from({length: 100}, (_, i) => i * 2))).toBeUndefined()
  })
})
