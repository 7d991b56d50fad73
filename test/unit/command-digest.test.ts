import {describe, expect, it} from 'vitest'
import {CommandDigest, VERBATIM_MAX, commandShape} from '../../src/output/command-digest.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

describe("CommandDigest: a dry run's commands as people read them", () => {
  it('a short dry run comes back verbatim, in order', () => {
    const d = new CommandDigest()
    d.add('nodeB', `CLUSTER SETSLOT 5 IMPORTING ${A}`)
    d.add('nodeA', `CLUSTER SETSLOT 5 MIGRATING ${B}`)
    expect(d.lines()).toEqual({verbatim: true, total: 2, lines: [`nodeB: CLUSTER SETSLOT 5 IMPORTING ${A}`, `nodeA: CLUSTER SETSLOT 5 MIGRATING ${B}`]})
    expect(d.lines()).toEqual({verbatim: true, total: 0, lines: []})
  })

  it('a long one: one line per node and shape, slots as ranges with counts, MIGRATE batches counted with their keys', () => {
    const d = new CommandDigest()
    for (let s = 100; s < 300; s++) d.add('nodeB', `CLUSTER SETSLOT ${s} IMPORTING ${A}`)
    d.add('nodeB', `CLUSTER SETSLOT 400 IMPORTING ${A}`)
    for (let s = 100; s < 300; s++) d.add('nodeA', `CLUSTER SETSLOT ${s} MIGRATING ${B}`)
    d.add('nodeA', 'MIGRATE 127.0.0.1 30002 "" 0 5000 KEYS <key 2 of slot 100> <key 1 of slot 100>')
    d.add('nodeA', 'MIGRATE 127.0.0.1 30002 "" 0 5000 KEYS <key 9 of slot 101> <key 8 of slot 101> <key 7 of slot 101> ... (9 keys)')
    d.add('nodeC', 'CLUSTER FORGET ' + A)
    const r = d.lines()
    expect(r.verbatim).toBe(false)
    expect(r.total).toBe(404)
    expect(r.lines).toEqual([
      'nodeB: CLUSTER SETSLOT <slot> IMPORTING aaaaaaaa… for 100-299,400 (201 slots)',
      'nodeA: CLUSTER SETSLOT <slot> MIGRATING bbbbbbbb… for 100-299 (200 slots)',
      'nodeA: MIGRATE 127.0.0.1 30002 "" 0 5000 KEYS … ×2, 11 keys in all',
      `nodeC: CLUSTER FORGET ${A}`,
    ])
  })

  it(`switches to the digest past ${VERBATIM_MAX} commands`, () => {
    const d = new CommandDigest()
    for (let s = 0; s <= VERBATIM_MAX; s++) d.add('nodeA', `CLUSTER SETSLOT ${s} STABLE`)
    expect(d.lines()).toEqual({verbatim: false, total: VERBATIM_MAX + 1, lines: [`nodeA: CLUSTER SETSLOT <slot> STABLE for 0-${VERBATIM_MAX} (${VERBATIM_MAX + 1} slots)`]})
  })

  it('keeps the masked credentials of a MIGRATE in its shape', () => {
    expect(commandShape('MIGRATE 10.0.0.2 6379 "" 0 5000 AUTH2 reshard *** KEYS k1 k2')).toEqual({shape: 'MIGRATE 10.0.0.2 6379 "" 0 5000 AUTH2 reshard *** KEYS …', slots: [], keys: 2})
  })
})
