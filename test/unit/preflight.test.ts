import {describe, expect, it} from 'vitest'
import {EXIT, PreconditionError, SlotAlreadyImportingError, SlotAlreadyMigratingError} from '../../src/errors.js'
import {assertClusterReady, assertNoOpenSlots, classifyMoves, type MoveSpec, otherPrimaries} from '../../src/migration/preflight.js'
import {SLOT_COUNT} from '../../src/topology/slot-set.js'
import {type OpenSlotMark, type TopoNode, type Topology} from '../../src/topology/topology.js'
import {imp, mig, thrown} from './planner-fixtures.js'

const A = 'aaaa000000000000000000000000000000000001'
const B = 'bbbb000000000000000000000000000000000002'
const C = 'cccc000000000000000000000000000000000003'
const R = 'dddd000000000000000000000000000000000004' // replica of A

function range(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let s = lo; s <= hi; s++) out.push(s)
  return out
}

function node(id: string, port: number, hostname: string, extra: Partial<TopoNode> = {}): TopoNode {
  return {
    id,
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    hostname,
    role: 'primary',
    slots: [],
    claims: [],
    failed: false,
    reachable: true,
    configEpoch: 1,
    ...extra,
  }
}

/** A 3-primary cluster: A owns 0-99, B 100-199, C 200-299; the rest is not needed by these tests. */
function topology(o: {open?: OpenSlotMark[]; owners?: Record<number, string | null>; nodes?: Partial<Record<string, Partial<TopoNode>>>} = {}): Topology {
  const owners: Array<string | null> = new Array(SLOT_COUNT).fill(null)
  for (const s of range(0, 99)) owners[s] = A
  for (const s of range(100, 199)) owners[s] = B
  for (const s of range(200, 299)) owners[s] = C
  for (const [s, id] of Object.entries(o.owners ?? {})) owners[Number(s)] = id
  const slotsOf = (id: string) => owners.flatMap((x, s) => (x === id ? [s] : []))
  const nodes = [
    node(A, 30001, 'nodeA', {slots: slotsOf(A), claims: slotsOf(A), ...o.nodes?.[A]}),
    node(B, 30002, 'nodeB', {slots: slotsOf(B), claims: slotsOf(B), ...o.nodes?.[B]}),
    node(C, 30003, 'nodeC', {slots: slotsOf(C), claims: slotsOf(C), ...o.nodes?.[C]}),
    node(R, 30004, 'nodeR', {role: 'replica', primaryId: A, ...o.nodes?.[R]}),
  ]
  const uncovered = owners.flatMap((x, s) => (x === null ? [s] : []))
  return {nodes, owners, open: o.open ?? [], replicaCopies: [], uncovered, disagreements: [], clusterId: 'test'}
}


describe('classifyMoves: work and skips', () => {
  const move: MoveSpec = {slot: 10, from: A, to: B, keys: 3}

  const todo: Array<[string, Parameters<typeof topology>[0], 'fresh' | 'open' | 'target-owns']> = [
    ['source owns, nothing open', {}, 'fresh'],
    ['open by the same move (both marks)', {open: [mig(10, A, B), imp(10, B, A)]}, 'open'],
    ['open by the same move (source MIGRATING only)', {open: [mig(10, A, B)]}, 'open'],
    ['open by the same move (target IMPORTING only)', {open: [imp(10, B, A)]}, 'open'],
    ['half-finalized: target owns, both marks left', {owners: {10: B}, open: [mig(10, A, B), imp(10, B, A)]}, 'target-owns'],
    ['half-finalized: target owns, source still MIGRATING', {owners: {10: B}, open: [mig(10, A, B)]}, 'target-owns'],
    ['half-finalized: target owns, target still IMPORTING', {owners: {10: B}, open: [imp(10, B, A)]}, 'target-owns'],
    ['marks on other slots do not matter', {open: [mig(11, A, C), imp(12, B, C)]}, 'fresh'],
  ]
  it.each(todo)('%s -> %s', (_what, setup, resume) => {
    const c = classifyMoves(topology(setup), [move])
    expect(c).toEqual({todo: [{...move, resume}], skipped: []})
  })

  it('skips a move whose target already owns the slot', () => {
    const c = classifyMoves(topology({owners: {10: B}}), [move])
    expect(c).toEqual({todo: [], skipped: [{...move, reason: 'target already owns the slot'}]})
  })

  it('classifies several moves, keeping their order and fields', () => {
    const moves: MoveSpec[] = [
      {slot: 10, from: A, to: B},
      {slot: 150, from: A, to: B}, // B already owns it
      {slot: 20, from: A, to: C, keys: 0},
      {slot: 250, from: C, to: A},
    ]
    const c = classifyMoves(topology({open: [mig(250, C, A)]}), moves)
    expect(c.todo).toEqual([
      {slot: 10, from: A, to: B, resume: 'fresh'},
      {slot: 20, from: A, to: C, keys: 0, resume: 'fresh'},
      {slot: 250, from: C, to: A, resume: 'open'},
    ])
    expect(c.skipped).toEqual([{slot: 150, from: A, to: B, reason: 'target already owns the slot'}])
  })

  it('returns nothing for no moves', () => {
    expect(classifyMoves(topology(), [])).toEqual({todo: [], skipped: []})
  })
})

describe('classifyMoves: conflicts', () => {
  const move: MoveSpec = {slot: 10, from: A, to: B}

  const conflicts: Array<[string, OpenSlotMark[], typeof SlotAlreadyMigratingError | typeof SlotAlreadyImportingError, string]> = [
    ['source MIGRATING to a third node', [mig(10, A, C)], SlotAlreadyMigratingError, 'slot 10 is already MIGRATING on nodeA (aaaa0000, 127.0.0.1:30001) (to nodeC (cccc0000, 127.0.0.1:30003))'],
    ['target IMPORTING from a third node', [imp(10, B, C)], SlotAlreadyImportingError, 'slot 10 is already IMPORTING on nodeB (bbbb0000, 127.0.0.1:30002) (from nodeC (cccc0000, 127.0.0.1:30003))'],
    ['a third node IMPORTING from the source', [mig(10, A, B), imp(10, C, A)], SlotAlreadyImportingError, 'slot 10 is already IMPORTING on nodeC (cccc0000, 127.0.0.1:30003) (from nodeA (aaaa0000, 127.0.0.1:30001))'],
    ['marks of the reverse move', [mig(10, B, A)], SlotAlreadyMigratingError, 'slot 10 is already MIGRATING on nodeB (bbbb0000, 127.0.0.1:30002) (to nodeA (aaaa0000, 127.0.0.1:30001))'],
    ['target IMPORTING from a node not in the topology', [imp(10, B, 'eeee000000000000000000000000000000000005')], SlotAlreadyImportingError, 'slot 10 is already IMPORTING on nodeB (bbbb0000, 127.0.0.1:30002) (from eeee0000)'],
  ]
  it.each(conflicts)('%s', (_what, open, cls, message) => {
    const e = thrown(() => classifyMoves(topology({open}), [move]))
    expect(e).toBeInstanceOf(cls)
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toBe(message)
    expect(e.hint).toContain('reshard recover --slot 10')
  })

  it('refuses a half-finalized slot of another migration even when the target owns it', () => {
    const e = thrown(() => classifyMoves(topology({owners: {10: B}, open: [mig(10, A, C)]}), [move]))
    expect(e).toBeInstanceOf(SlotAlreadyMigratingError)
  })

  it('refuses a move whose source does not own the slot (exit 3)', () => {
    const e = thrown(() => classifyMoves(topology(), [{slot: 250, from: A, to: B}]))
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(3)
    expect(e.kind).toBe('not_owner')
    expect(e.message).toBe('slot 250 is owned by nodeC (cccc0000, 127.0.0.1:30003), not by nodeA (aaaa0000, 127.0.0.1:30001)')
    expect(e.hint).toMatch(/--from/)
  })

  it('refuses a move of a slot nobody owns, pointing at recover', () => {
    const e = thrown(() => classifyMoves(topology(), [{slot: 5000, from: A, to: B}]))
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(3)
    expect(e.kind).toBe('not_owner')
    expect(e.message).toBe('slot 5000 is owned by no node, not by nodeA (aaaa0000, 127.0.0.1:30001)')
    expect(e.hint).toBe('run `reshard recover --slot 5000`')
  })

  it('throws on the first bad move even after good ones', () => {
    expect(() =>
      classifyMoves(topology({open: [imp(20, C, B)]}), [
        {slot: 10, from: A, to: B},
        {slot: 20, from: A, to: B},
      ]),
    ).toThrow(SlotAlreadyImportingError)
  })
})

describe('assertClusterReady', () => {
  const moves: MoveSpec[] = [{slot: 10, from: A, to: B}]

  it('passes on a healthy cluster', () => {
    expect(() => assertClusterReady(topology(), moves)).not.toThrow()
    expect(() => assertClusterReady(topology(), [])).not.toThrow()
  })

  it('passes when only a replica is unreachable', () => {
    expect(() => assertClusterReady(topology({nodes: {[R]: {reachable: false, error: 'timeout'}}}), moves)).not.toThrow()
  })

  it('passes when a failed primary without slots is unreachable (a dead node left behind)', () => {
    const t = topology({owners: Object.fromEntries(range(200, 299).map((s) => [s, A]))})
    t.nodes[2] = {...t.nodes[2]!, reachable: false, failed: true, slots: [], error: 'down'}
    expect(() => assertClusterReady(t, moves)).not.toThrow()
  })

  const refusals: Array<[string, () => Topology, MoveSpec[], string, RegExp]> = [
    [
      'an unreachable primary with slots, even if not involved',
      () => topology({nodes: {[C]: {reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:30003'}}}),
      moves,
      'unreachable',
      /^primary nodeC \(cccc0000, 127\.0\.0\.1:30003\) is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:30003\); nothing was changed$/,
    ],
    [
      'an unreachable primary without slots that is not flagged failed',
      () => topology({owners: Object.fromEntries(range(200, 299).map((s) => [s, A])), nodes: {[C]: {reachable: false}}}),
      moves,
      'unreachable',
      /^primary nodeC .* is unreachable \(no answer\); nothing was changed$/,
    ],
    [
      'a replica that accepts connections but does not answer (stopped, frozen), even flagged failed',
      () => topology({nodes: {[R]: {reachable: false, failed: true, error: '127.0.0.1:30004 did not answer within 5 s'}}}),
      moves,
      'unreachable',
      /^replica nodeR \(.*\) does not answer \(127\.0\.0\.1:30004 did not answer within 5 s\); nothing was changed$/,
    ],
    ['a replica as target', () => topology(), [{slot: 10, from: A, to: R}], 'not_primary', /nodeR .* is a replica/],
    ['a replica as source', () => topology(), [{slot: 10, from: R, to: B}], 'not_primary', /nodeR .* is a replica/],
    ['an unknown node', () => topology(), [{slot: 10, from: A, to: 'eeee000000000000000000000000000000000005'}], 'unknown_node', /^node eeee0000 is not in the cluster$/],
    ['a failing target', () => topology({nodes: {[B]: {failed: true}}}), moves, 'node_failed', /^nodeB .* is flagged as failing$/],
    ['a failing source', () => topology({nodes: {[A]: {failed: true}}}), moves, 'node_failed', /^nodeA .* is flagged as failing$/],
  ]
  it.each(refusals)('refuses %s (exit 3)', (_what, make, ms, kind, message) => {
    const e = thrown(() => assertClusterReady(make(), ms))
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.kind).toBe(kind)
    expect(e.message).toMatch(message)
    expect(e.hint).toBeTruthy()
  })
})

describe('otherPrimaries', () => {
  it('lists the reachable primaries outside the pair', () => {
    expect(otherPrimaries(topology(), A, B)).toEqual([C])
    expect(otherPrimaries(topology({nodes: {[C]: {reachable: false}}}), A, B)).toEqual([])
    expect(otherPrimaries(topology(), B, C)).toEqual([A])
  })
})

describe('assertNoOpenSlots: a plan over the whole layout refuses open slots', () => {
  it('passes a cluster with no open slot', () => {
    expect(() => assertNoOpenSlots(topology(), 'plan a rebalance')).not.toThrow()
  })

  it('exit 3 naming the slots as ranges and pointing to recover', () => {
    const e = thrown(() => assertNoOpenSlots(topology({open: [mig(10, A, B), imp(10, B, A), mig(11, A, B), mig(40, A, C)]}), 'plan a rebalance'))
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toMatch(/3 slot\(s\) are open \(10-11,40;/)
    expect(e.hint).toMatch(/reshard recover --slot 10-11,40/)
  })

  it('replicas\' copies of markers (Valkey 8+) are not open slots', () => {
    const t = {...topology(), replicaCopies: [mig(10, R, B)]}
    expect(() => assertNoOpenSlots(t, 'plan a drain')).not.toThrow()
  })
})
