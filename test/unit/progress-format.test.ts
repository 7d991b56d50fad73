import {describe, expect, it} from 'vitest'
import {barLayout} from '../../src/output/bars.js'
import {duration, short, shortOf, Tally} from '../../src/output/tally.js'

describe('progress numbers', () => {
  it('short counts and a count with its total in one unit', () => {
    expect([short(9999), short(12_345), short(200_008), short(1_234_567)]).toEqual(['9999', '12.3k', '200k', '1.23M'])
    expect([shortOf(3487, 12_197), shortOf(0, 200_008), shortOf(5, 2000)]).toEqual(['3.5k/12.2k', '0/200k', '5/2000'])
    expect([duration(0.4), duration(42), duration(125), duration(7300)]).toEqual(['<1s', '42s', '2m05s', '2h01m'])
  })

  it('the overall share comes from keys, not slots, and each pair counts its own keys', () => {
    const t = new Tally()
    t.onEvent({type: 'run-started', moves: 2, keys: 100, dryRun: false, parallel: 2, nodes: {}, pairs: [{from: 'a', to: 'b', slots: 1, keys: 96, mechanism: 'legacy'}, {from: 'c', to: 'd', slots: 1, keys: 4, mechanism: 'legacy'}]})
    t.onEvent({type: 'keys-moved', slot: 1, from: 'a', to: 'b', count: 96, slotMoved: 96, slotTotal: 96})
    expect(t.fraction()).toBeCloseTo(0.96)
    expect(t.slotsDone).toBe(0)
    expect(t.pairFraction(t.pairs.get('a>b')!)).toBe(1)
    expect(t.pairFraction(t.pairs.get('c>d')!)).toBe(0)
  })

  it('bar lines fit 80 columns, long node names are shortened before a bar is', () => {
    const l = barLayout(80, 1_000_000, 16384, ['127.0.0.1:30001 -> 127.0.0.1:30002'])
    const overall = l.overallBar + 1 + '100% 1.00M/1.00M keys, 16384/16384 slots, 999k keys/s, ETA 59m59s'.length
    const pair = 2 + l.pairLabel + 1 + l.pairBar + 1 + '100% 1.00M/1.00M keys, slot 16383 finalizing'.length
    expect(overall).toBeLessThanOrEqual(80)
    expect(pair).toBeLessThanOrEqual(80)
    expect(l.pairBar).toBeGreaterThanOrEqual(6)
  })
})
