import {describe, expect, it} from 'vitest'
import {EXIT, UsageError} from '../../src/errors.js'
import {formatSlots, MAX_SLOT, parseSlots, SLOT_COUNT, toRanges} from '../../src/topology/slot-set.js'

function range(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let s = lo; s <= hi; s++) out.push(s)
  return out
}

describe('constants', () => {
  it('has 16384 slots, 0-16383', () => {
    expect(SLOT_COUNT).toBe(16384)
    expect(MAX_SLOT).toBe(16383)
  })
})

describe('parseSlots', () => {
  const good: Array<[string, number[]]> = [
    ['100', [100]],
    ['0', [0]],
    ['16383', [16383]],
    ['100-200', range(100, 200)],
    ['5-5', [5]],
    ['0-99,200,300-310', [...range(0, 99), 200, ...range(300, 310)]],
    ['  100  ', [100]],
    [' 1 , 2 ,\t3-4 ', [1, 2, 3, 4]],
    ['7,7,7', [7]],
    ['10-20,15-25', range(10, 25)],
    ['300,100,200', [100, 200, 300]],
    ['50-60,1,55', [1, ...range(50, 60)]],
    ['16380-16383', [16380, 16381, 16382, 16383]],
    ['0-16383', range(0, 16383)],
    ['00100', [100]],
  ]
  it.each(good)('parses %j', (expr, expected) => {
    expect(parseSlots(expr)).toEqual(expected)
  })

  it('returns sorted, unique slots', () => {
    const out = parseSlots('9,3-5,4,1')
    expect(out).toEqual([1, 3, 4, 5, 9])
    expect(new Set(out).size).toBe(out.length)
  })

  const bad: Array<[string, RegExp]> = [
    ['16384', /out of range/],
    ['99999', /out of range/],
    ['100-16384', /out of range/],
    ['abc', /not a slot/],
    ['', /no slots/],
    ['   ', /no slots/],
    ['10-5', /reversed/],
    ['1,,2', /not a slot/],
    ['1,', /not a slot/],
    [',1', /not a slot/],
    ['-1', /not a slot/],
    ['1-', /not a slot/],
    ['1.5', /not a slot/],
    ['1-2-3', /not a slot/],
    ['1 2', /not a slot/],
    ['100000', /not a slot/],
    ['0x10', /not a slot/],
    ['+1', /not a slot/],
  ]
  it.each(bad)('rejects %j with a UsageError (exit 2)', (expr, message) => {
    let caught: unknown
    try {
      parseSlots(expr)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(UsageError)
    const e = caught as UsageError
    expect(e.exitCode).toBe(EXIT.USAGE)
    expect(e.exitCode).toBe(2)
    expect(e.kind).toBe('usage')
    expect(e.message).toMatch(message)
    expect(e.hint).toBeTruthy()
  })

  it('suggests the right order for a reversed range', () => {
    expect(() => parseSlots('10-5')).toThrow(expect.objectContaining({hint: 'write it as 5-10'}))
  })
})

describe('formatSlots', () => {
  const cases: Array<[string, Iterable<number>, string]> = [
    ['empty', [], ''],
    ['single', [42], '42'],
    ['two apart', [1, 3], '1,3'],
    ['adjacent pair', [7, 8], '7-8'],
    ['run and single', [0, 1, 2, 5], '0-2,5'],
    ['unsorted', [5, 2, 0, 1], '0-2,5'],
    ['unsorted with duplicates', [3, 1, 2, 2, 1, 10, 9], '1-3,9-10'],
    ['set input', new Set([100, 101, 102, 200]), '100-102,200'],
    ['whole range', range(0, 16383), '0-16383'],
    ['numeric (not lexicographic) sort', [10, 9, 100, 2], '2,9-10,100'],
  ]
  it.each(cases)('%s', (_name, input, expected) => {
    expect(formatSlots(input)).toBe(expected)
  })

  it('round-trips through parseSlots', () => {
    const exprs = ['0-99,200,300-310', '16383', '1,3,5-7', '0-16383']
    for (const e of exprs) expect(formatSlots(parseSlots(e))).toBe(e)
  })
})

describe('toRanges', () => {
  const cases: Array<[string, number[], Array<[number, number]>]> = [
    ['empty', [], []],
    ['single', [4], [[4, 4]]],
    ['adjacent', [4, 5, 6], [[4, 6]]],
    ['gaps', [0, 1, 3, 5, 6], [[0, 1], [3, 3], [5, 6]]],
    ['edges', [0, 16383], [[0, 0], [16383, 16383]]],
  ]
  it.each(cases)('%s', (_name, input, expected) => {
    expect(toRanges(input)).toEqual(expected)
  })

  it('does not modify its input', () => {
    const input = [1, 2, 3]
    toRanges(input)
    expect(input).toEqual([1, 2, 3])
  })
})
