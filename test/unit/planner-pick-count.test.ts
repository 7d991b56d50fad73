import {describe, expect, it} from 'vitest'
import {pickFromDonor, pickSlotsByCount, shareCount} from '../../src/planner/index.js'
import {ReshardError} from '../../src/errors.js'
import {formatSlots, slotRange} from '../../src/topology/slot-set.js'

const keysOf = (m: Record<number, number>) => (s: number) => m[s] ?? 0

describe('shareCount: spread N over the donors by the slots they own', () => {
  it.each([
    {owned: [5461, 5461, 5462], count: 300, want: [100, 100, 100]},
    {owned: [1000, 3000], count: 100, want: [25, 75]},
    {owned: [1, 1, 1], count: 2, want: [1, 1, 0]},
    {owned: [10, 0], count: 10, want: [10, 0]},
    {owned: [3, 3], count: 5, want: [3, 2]},
  ])('$owned / $count -> $want', ({owned, count, want}) => {
    const donors = owned.map((n, i) => ({id: `n${i}`, slots: slotRange(0, n - 1)}))
    expect(shareCount(donors, count)).toEqual(want)
    expect(shareCount(donors, count).reduce((a, b) => a + b, 0)).toBe(count)
  })

  it('refuses more than the donors own, and a count below 1 (usage errors)', () => {
    const donors = [{id: 'a', slots: [1, 2, 3]}]
    expect(() => shareCount(donors, 4)).toThrow(/more than the 3 slot/)
    expect(() => shareCount(donors, 0)).toThrow(ReshardError)
    try {
      shareCount(donors, 4)
    } catch (e) {
      expect((e as ReshardError).exitCode).toBe(2)
    }
  })
})

describe('pickFromDonor: fewest keys, contiguous preferred, highest on a tie', () => {
  it('takes the highest contiguous range when every slot is empty', () => {
    expect(formatSlots(pickFromDonor(slotRange(0, 5460), 100, () => 0))).toBe('5361-5460')
  })

  it('takes the cheapest window of a run', () => {
    const keys: Record<number, number> = {}
    for (let s = 0; s < 100; s++) keys[s] = 10
    for (let s = 40; s < 50; s++) keys[s] = 1
    expect(formatSlots(pickFromDonor(slotRange(0, 99), 10, keysOf(keys)))).toBe('40-49')
  })

  it('prefers a range that costs at most 10% more keys than the emptiest slots', () => {
    // emptiest 4 slots one by one: 4 x 10 = 40 keys; slots 0-3 together: 43 keys
    const keys: Record<number, number> = {0: 10, 1: 11, 2: 11, 3: 11, 5: 10, 7: 10, 9: 10}
    for (const s of [4, 6, 8]) keys[s] = 50
    expect(pickFromDonor(slotRange(0, 9), 4, keysOf(keys))).toEqual([0, 1, 2, 3])
  })

  it('takes scattered empty slots when every range costs much more', () => {
    const keys: Record<number, number> = {}
    for (let s = 0; s < 20; s++) keys[s] = s % 2 === 0 ? 100 : 0
    expect(pickFromDonor(slotRange(0, 19), 3, keysOf(keys))).toEqual([15, 17, 19])
  })

  it('looks for windows inside runs only (never across a gap)', () => {
    const slots = [...slotRange(0, 4), ...slotRange(10, 12)]
    expect(pickFromDonor(slots, 4, () => 0)).toEqual([1, 2, 3, 4])
  })
})

describe('pickSlotsByCount', () => {
  it('spreads over the donors and sorts by slot', () => {
    const donors = [
      {id: 'a', slots: slotRange(0, 5460)},
      {id: 'b', slots: slotRange(5461, 10922)},
      {id: 'c', slots: slotRange(10923, 16383)},
    ]
    const picked = pickSlotsByCount(donors, 30)
    expect(picked).toHaveLength(30)
    expect(formatSlots(picked.filter((p) => p.from === 'a').map((p) => p.slot))).toBe('5451-5460')
    expect(formatSlots(picked.filter((p) => p.from === 'c').map((p) => p.slot))).toBe('16374-16383')
    expect(picked.map((p) => p.slot)).toEqual([...picked.map((p) => p.slot)].sort((x, y) => x - y))
  })

  it('is deterministic', () => {
    const keys = Array.from({length: 16384}, (_, s) => (s * 7919) % 13)
    const donors = [{id: 'a', slots: slotRange(0, 8191)}, {id: 'b', slots: slotRange(8192, 16383)}]
    expect(pickSlotsByCount(donors, 500, keys)).toEqual(pickSlotsByCount(donors, 500, keys))
  })

  it('refuses no donors', () => {
    expect(() => pickSlotsByCount([], 1)).toThrow(/no source primary/)
  })
})
