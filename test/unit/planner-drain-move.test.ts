import {describe, expect, it} from 'vitest'
import {PreconditionError, UsageError} from '../../src/errors.js'
import {pairsOf, planDrain, planMove, serializePlan, type DrainOptions} from '../../src/planner/index.js'
import {applyPlan, countsOf, nodeId, skewedKeys, topology, withCounts} from './planner-fixtures.js'

const [A, B, C, D] = [0, 1, 2, 3].map(nodeId) as [string, string, string, string]

describe('planDrain', () => {
  it('gives every slot of the node to the other primaries, evenly', () => {
    const t = withCounts([4096, 4096, 4096, 4096])
    const p = planDrain(t, A)
    expect(p.kind).toBe('drain')
    expect(p.options).toEqual({node: A, weights: {}})
    expect(p.moves).toHaveLength(4096)
    expect(p.moves.every((m) => m.from === A)).toBe(true)
    const after = countsOf(applyPlan(t, p))
    expect(after.get(A)).toBeUndefined()
    expect([B, C, D].map((id) => after.get(id)).sort()).toEqual([5461, 5461, 5462])
    // Each target takes one contiguous run of the drained node's slots.
    for (const g of pairsOf(p)) expect(g.slots.at(-1)! - g.slots[0]!).toBe(g.slots.length - 1)
    expect(p.summary.find((e) => e.id === A)).toMatchObject({weight: 0, slotsBefore: 4096, slotsAfter: 0})
    expect(serializePlan(planDrain(structuredClone(t), A))).toBe(serializePlan(p))
  })

  it('fills the emptiest targets first (targets never trade slots among themselves)', () => {
    const t = withCounts([2000, 8000, 3000, 3384])
    const p = planDrain(t, A)
    const after = countsOf(applyPlan(t, p))
    expect(after.get(B)).toBe(8000)
    expect([after.get(C)!, after.get(D)!].sort()).toEqual([4192, 4192])
    expect(p.spread.after.slots).toBe(8000 - 4192)
  })

  it('drains only into --to targets, by weight', () => {
    const t = withCounts([4000, 4000, 4000, 4384])
    const p = planDrain(t, D, {to: [C, B], weights: {[B]: 1, [C]: 3}})
    expect(p.options).toEqual({node: D, to: [B, C].sort(), weights: {[B]: 1, [C]: 3}})
    const after = countsOf(applyPlan(t, p))
    expect(after.get(A)).toBe(4000)
    // B and C hold 8000 + 4384 = 12384 together; shares 3096 and 9288, B already above: C takes all.
    expect(after.get(B)).toBe(4000)
    expect(after.get(C)).toBe(8384)
    const p2 = planDrain(t, D, {to: [B, C], weights: {[B]: 1, [C]: 1}})
    const a2 = countsOf(applyPlan(t, p2))
    expect([a2.get(B), a2.get(C)]).toEqual([6192, 6192])
  })

  it('takes empty primaries as default targets and fills them first', () => {
    const t = withCounts([5461, 5462, 5461, 0])
    const after = countsOf(applyPlan(t, planDrain(t, A)))
    expect([after.get(B), after.get(C), after.get(D)]).toEqual([5462, 5461, 5461])
  })

  it('a node with no slots gives an empty plan; keys totals are filled when known', () => {
    const t = withCounts([8192, 8192, 0])
    expect(planDrain(t, C).moves).toEqual([])
    const keys = skewedKeys({base: 1, hot: 9, from: 0, to: 100, every: 2})
    const p = planDrain(t, A, {slotKeys: keys})
    expect(p.totals.keys).toBe(keys.slice(0, 8192).reduce((a, b) => a + b, 0))
    expect(p.summary.find((e) => e.id === A)).toMatchObject({keysAfter: 0})
  })

  it('rejects bad drains with UsageError, and drains the cluster cannot take with PreconditionError (exit 3)', () => {
    const t = topology([{slots: 8000, replicas: 1}, {slots: 8384}])
    const replica = t.nodes.find((n) => n.role === 'replica')!.id
    // a replica named where a primary is needed, as `move --to <replica>`: exit 3
    expect(() => planDrain(t, replica)).toThrow(PreconditionError)
    expect(() => planDrain(t, A, {to: [replica]})).toThrow(PreconditionError)
    // the only primary: nowhere to put its slots
    expect(() => planDrain(withCounts([16384]), A)).toThrow(PreconditionError)
    const bad: Array<[string, DrainOptions]> = [
      ['f'.repeat(40), {}],
      [A, {to: [A]}],
      [A, {to: ['nope']}],
      [A, {weights: {[B]: 0}}],
      [A, {weights: {[A]: 2}}],
      [A, {weights: {[B]: -1}}],
    ]
    for (const [node, o] of bad) expect(() => planDrain(t, node, o), `${node} ${JSON.stringify(o)}`).toThrow(UsageError)
    const t3 = withCounts([6000, 6000, 4384])
    expect(() => planDrain(t3, A, {to: [B], weights: {[C]: 1}})).toThrow(/not a drain target/)
  })
})

describe('planMove', () => {
  const t = withCounts([5461, 5462, 5461])

  it('moves the given slots to the target, recording their owners', () => {
    const p = planMove(t, [100, 7000, 99, 100], C)
    expect(p.kind).toBe('move')
    expect(p.options).toEqual({slots: '99-100,7000', to: C})
    expect(p.moves).toEqual([
      {slot: 99, from: A, to: C},
      {slot: 100, from: A, to: C},
      {slot: 7000, from: B, to: C},
    ].sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : x.slot - y.slot)))
    expect(p.skipped).toEqual([])
    expect(p.summary.find((e) => e.id === C)).toMatchObject({slotsBefore: 5461, slotsAfter: 5464})
  })

  it('skips slots the target already owns', () => {
    const p = planMove(t, [0, 1, 16383], C, {from: A})
    expect(p.moves.map((m) => m.slot)).toEqual([0, 1])
    expect(p.skipped).toEqual([{slot: 16383, reason: 'already-owned-by-target'}])
    expect(p.options).toEqual({from: A, slots: '0-1,16383', to: C})
    expect(planMove(t, [16383], C).moves).toEqual([])
  })

  it('fills keys when known', () => {
    const keys = skewedKeys({base: 2, hot: 40, from: 0, to: 10, every: 5})
    const p = planMove(t, [0, 1, 2], B, {slotKeys: keys})
    expect(p.moves.map((m) => m.keys)).toEqual([40, 2, 2])
    expect(p.totals).toEqual({slots: 3, keys: 44})
  })

  it('refuses slots the source does not own, and slots nobody owns', () => {
    expect(() => planMove(t, [0, 6000], C, {from: A})).toThrow(PreconditionError)
    expect(() => planMove(t, [0, 6000], C, {from: A})).toThrow(/slot 6000 is owned by/)
    const partial = topology([{slots: '0-99'}, {slots: '100-199'}])
    expect(() => planMove(partial, [150, 300], A)).toThrow(/no owner/)
  })

  it('rejects bad input with UsageError', () => {
    const tr = topology([{slots: 8000, replicas: 1}, {slots: 8384}])
    const replica = tr.nodes.find((n) => n.role === 'replica')!.id
    expect(() => planMove(tr, [], B)).toThrow(UsageError)
    expect(() => planMove(tr, [16384], B)).toThrow(UsageError)
    expect(() => planMove(tr, [-1], B)).toThrow(UsageError)
    expect(() => planMove(tr, [1.5], B)).toThrow(UsageError)
    expect(() => planMove(tr, [1], replica)).toThrow(/replica/)
    expect(() => planMove(tr, [1], 'nope')).toThrow(UsageError)
    expect(() => planMove(tr, [1], B, {from: B})).toThrow(UsageError)
    expect(() => planMove(tr, [1], B, {from: replica})).toThrow(PreconditionError)
  })
})
