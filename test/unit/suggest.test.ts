import {describe, expect, it} from 'vitest'
import {closestWord, editDistance} from '../../src/cli/suggest.js'

describe('editDistance (with adjacent swaps)', () => {
  it.each([
    ['move', 'move', 0],
    ['mvoe', 'move', 1],
    ['too', 'to', 1],
    ['dryrun', 'dry-run', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s -> %s = %i', (a, b, d) => expect(editDistance(a, b)).toBe(d))
})

describe('closestWord', () => {
  const commands = ['move', 'status', 'check', 'rebalance', 'drain', 'add-node', 'remove-node', 'plan:move', 'plan:rebalance']
  it.each([
    ['mvoe', 'move'],
    ['stauts', 'status'],
    ['rebalanse', 'rebalance'],
    ['removenode', 'remove-node'],
    ['plan:rebalanse', 'plan:rebalance'],
    ['xyzzy', undefined],
    ['m', undefined],
  ])('%s -> %s', (typed, want) => expect(closestWord(typed, commands)).toBe(want))

  it('suggests flags', () => {
    expect(closestWord('too', ['to', 'from', 'count', 'yes', 'dry-run'])).toBe('to')
    expect(closestWord('form', ['to', 'from', 'count'])).toBe('from')
  })
})
