// recover's verdict on two different copies of a key: the copy on the node that serves the slot
// is the one clients wrote last; --replace is suggested only when it keeps that copy (issue 11).
import {describe, expect, it} from 'vitest'
import {whichIsNewer} from '../../src/operations/recover.js'
import type {SlotDiagnosis} from '../../src/migration/recovery-cases.js'
import type {Topology} from '../../src/topology/topology.js'

const t = {} as Topology
const name = (id: string) => `node${id}`
const d = (claimant?: string): SlotDiagnosis => ({slot: 1, case: 'both-open', source: 'A', target: 'B', claimant, holders: []})

describe('whichIsNewer', () => {
  it('the holder serves the slot: its copies are newer, --replace keeps them', () => {
    const m = whichIsNewer(t, d('A'), 'A', 'B', name)
    expect(m).toMatch(/clients last wrote the copies on nodeA/)
    expect(m).toMatch(/re-run with --replace/)
  })
  it('the node that would be overwritten serves the slot: never suggest --replace', () => {
    const m = whichIsNewer(t, d('B'), 'A', 'B', name)
    expect(m).toMatch(/clients last wrote the copies on nodeB/)
    expect(m).toMatch(/do NOT use --replace/)
    expect(m).not.toMatch(/re-run with --replace/)
  })
  it('nobody serves the slot: says it cannot tell', () => {
    expect(whichIsNewer(t, d(undefined), 'A', 'B', name)).toMatch(/cannot be told/)
  })
})
