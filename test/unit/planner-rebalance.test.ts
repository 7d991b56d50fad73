import {describe, expect, it} from 'vitest'
import {PreconditionError, UsageError} from '../../src/errors.js'
import {pairsOf, planRebalance, serializePlan, type Plan, type RebalanceOptions} from '../../src/planner/index.js'
import {SLOT_COUNT} from '../../src/topology/slot-set.js'
import {primaries, type Topology} from '../../src/topology/topology.js'
import {applyPlan, countsOf, keysOf, nodeId, skewedKeys, topology, unevenCounts, withCounts} from './planner-fixtures.js'

/** Independent check of a rebalance-by-slots plan against the rules of the issue. */
function expectBalanced(t: Topology, plan: Plan, o: RebalanceOptions): void {
  const threshold = o.threshold ?? 2
  const before = countsOf(t.owners)
  const afterOwners = applyPlan(t, plan) // also: every precondition holds, no slot moves twice
  const after = countsOf(afterOwners)
  // Slot count conserved, and no slot lost or gained an owner.
  expect(afterOwners.map((x) => x === null)).toEqual(t.owners.map((x) => x === null))
  const prims = primaries(t)
  const parts = prims.filter((p) => (before.get(p.id) ?? 0) > 0 || o.weights?.[p.id] !== undefined || (o.useEmptyPrimaries && !p.failed))
  for (const p of prims) if (!parts.includes(p)) expect(after.get(p.id) ?? 0).toBe(before.get(p.id) ?? 0)

  const w = (id: string) => o.weights?.[id] ?? 1
  const W = parts.reduce((a, p) => a + w(p.id), 0)
  const total = parts.reduce((a, p) => a + (before.get(p.id) ?? 0), 0)
  let within = true
  let over = 0
  let under = 0
  for (const p of parts) {
    const c = before.get(p.id) ?? 0
    const num = total * w(p.id) // integer weights in these tests: exact
    const floor = Math.floor(num / W)
    const ceil = num % W === 0 ? floor : floor + 1
    over += Math.max(0, c - ceil)
    under += Math.max(0, floor - c)
    const share = num / W
    if (share === 0 ? c !== 0 : (Math.abs(c - share) / share) * 100 > threshold) within = false
  }
  if (within) {
    expect(plan.moves).toHaveLength(0)
  } else {
    for (const p of parts) {
      const share = (total * w(p.id)) / W
      expect(Math.abs((after.get(p.id) ?? 0) - share), `${p.id} after vs share ${share}`).toBeLessThan(1)
      if (w(p.id) === 0) expect(after.get(p.id) ?? 0).toBe(0)
    }
    // Minimal: nobody can be within 1 of its share with fewer moves than this.
    expect(plan.moves.length).toBe(Math.max(over, under))
  }
  // The summary says what applying the plan does.
  for (const e of plan.summary) {
    expect(e.slotsBefore).toBe(before.get(e.id) ?? 0)
    expect(e.slotsAfter).toBe(after.get(e.id) ?? 0)
  }
  expect(plan.totals.slots).toBe(plan.moves.length)
  // Order: grouped by pair (sorted), slots ascending inside.
  const pairs = pairsOf(plan)
  const keys = pairs.map((g) => `${g.from} ${g.to}`)
  expect(new Set(keys).size).toBe(keys.length)
  expect([...keys].sort()).toEqual(keys)
  for (const g of pairs) expect([...g.slots].sort((a, b) => a - b)).toEqual(g.slots)
  // Deterministic: same input (even a copy of it) → same bytes.
  expect(serializePlan(planRebalance(structuredClone(t), structuredClone(o)))).toBe(serializePlan(plan))
}

const THRESHOLDS = [0, 2, 50]

const ids4 = [0, 1, 2, 3].map(nodeId)

const cases: Array<{name: string; t: () => Topology; o?: RebalanceOptions}> = [
  {name: '3 primaries, even (as redis-cli creates them)', t: () => withCounts([5461, 5462, 5461])},
  {name: '3 primaries, uneven', t: () => withCounts([8000, 6000, 2384])},
  {name: '3 primaries, mildly uneven', t: () => withCounts([7000, 5000, 4384])},
  {name: '3 primaries, interleaved slots', t: () => topology([0, 1, 2].map((i) => ({slots: [...Array(SLOT_COUNT).keys()].filter((s) => s % 5 === i || (i === 0 && s % 5 >= 3))})))},
  {name: '4 primaries, one empty, --use-empty-primaries', t: () => withCounts([5461, 5462, 5461, 0]), o: {useEmptyPrimaries: true}},
  {name: '4 primaries, one empty, without the flag', t: () => withCounts([5461, 5462, 5461, 0])},
  {name: '4 primaries, empty one given a weight', t: () => withCounts([5461, 5462, 5461, 0]), o: {weights: {[ids4[3]!]: 1}}},
  {name: '4 primaries, weights 0/1/2/3', t: () => withCounts([4096, 4096, 4096, 4096]), o: {weights: {[ids4[0]!]: 0, [ids4[1]!]: 1, [ids4[2]!]: 2, [ids4[3]!]: 3}}},
  {name: '4 primaries, weights 3/2/1/0, uneven', t: () => withCounts([1000, 2000, 3000, 10384]), o: {weights: {[ids4[0]!]: 3, [ids4[1]!]: 2, [ids4[2]!]: 1, [ids4[3]!]: 0}}},
  {name: '4 primaries, weight 0 on an empty one', t: () => withCounts([8000, 8000, 384, 0]), o: {weights: {[ids4[3]!]: 0}, useEmptyPrimaries: true}},
  {name: '4 primaries with replicas, uncovered slots', t: () => topology([{slots: '0-6999', replicas: 1}, {slots: '7000-9999', replicas: 1}, {slots: '10000-16000', replicas: 2}, {slots: []}])},
  {name: '10 primaries, uneven', t: () => withCounts(unevenCounts(10))},
  {name: '10 primaries, uneven, weights 0-3', t: () => withCounts(unevenCounts(10)), o: {weights: Object.fromEntries([...Array(10).keys()].map((i) => [nodeId(i), i % 4]))}},
  {name: '100 primaries, uneven', t: () => withCounts(unevenCounts(100))},
  {name: '100 primaries, 10 empty, --use-empty-primaries', t: () => withCounts([...unevenCounts(90), ...Array(10).fill(0)]), o: {useEmptyPrimaries: true}},
  {name: '100 primaries, weights 1/2/3', t: () => withCounts(unevenCounts(100)), o: {weights: Object.fromEntries([...Array(100).keys()].map((i) => [nodeId(i), 1 + (i % 3)]))}},
]

describe('planRebalance --by slots', () => {
  for (const c of cases) {
    for (const threshold of THRESHOLDS) {
      it(`${c.name}, threshold ${threshold}`, () => {
        const t = c.t()
        const o = {...c.o, threshold}
        const plan = planRebalance(t, o)
        expect(plan.kind).toBe('rebalance')
        expect(plan.options).toEqual({by: 'slots', threshold, useEmptyPrimaries: o.useEmptyPrimaries ?? false, weights: o.weights ?? {}})
        expectBalanced(t, plan, o)
      })
    }
  }

  it('moves nothing on an even cluster even with threshold 0 (integer targets keep the odd slot where it is)', () => {
    expect(planRebalance(withCounts([5461, 5462, 5461]), {threshold: 0}).moves).toEqual([])
    expect(planRebalance(withCounts([5462, 5461, 5461]), {threshold: 0}).moves).toEqual([])
  })

  it('with threshold 50 leaves a mildly uneven cluster alone, with threshold 2 balances it', () => {
    const t = withCounts([7000, 5000, 4384])
    expect(planRebalance(t, {threshold: 50}).moves).toHaveLength(0)
    const p = planRebalance(t)
    expect(p.moves).toHaveLength(7000 - 5462)
    expect(p.spread.before.slots).toBe(7000 - 4384)
    expect(p.spread.after.slots).toBe(1)
  })

  it('donors give their highest slots and receivers take contiguous runs', () => {
    const t = withCounts([5461, 5462, 5461, 0])
    const p = planRebalance(t, {useEmptyPrimaries: true})
    const pairs = pairsOf(p)
    expect(pairs).toHaveLength(3)
    for (const g of pairs) {
      expect(g.to).toBe(nodeId(3))
      const own = t.nodes.find((n) => n.id === g.from)!.slots
      expect(g.slots).toEqual(own.slice(own.length - g.slots.length)) // the top of its range
    }
    const after = countsOf(applyPlan(t, p))
    expect([...after.values()].sort()).toEqual([4096, 4096, 4096, 4096])
  })

  it('weight 0 empties a primary regardless of threshold', () => {
    const t = withCounts([5461, 5462, 5461])
    const p = planRebalance(t, {weights: {[nodeId(1)]: 0}, threshold: 100})
    expect(p.moves).toHaveLength(5462)
    expect(p.moves.every((m) => m.from === nodeId(1))).toBe(true)
    expect(p.summary.find((e) => e.id === nodeId(1))).toMatchObject({weight: 0, slotsAfter: 0})
  })

  it('fills keys totals when key counts are known', () => {
    const t = withCounts([8000, 6000, 2384])
    const keys = skewedKeys({base: 3, hot: 100, from: 0, to: 16383, every: 7})
    const p = planRebalance(t, {slotKeys: keys})
    expect(p.moves.every((m) => m.keys === keys[m.slot])).toBe(true)
    expect(p.totals.keys).toBe(p.moves.reduce((a, m) => a + m.keys!, 0))
    const after = keysOf(applyPlan(t, p), keys)
    for (const e of p.summary) expect(e.keysAfter).toBe(after.get(e.id) ?? 0)
    expect(p.spread.before.keys).toBeGreaterThan(p.spread.after.keys!)
  })

  it('rejects bad options with UsageError', () => {
    const t = topology([{slots: 8000, replicas: 1}, {slots: 8384}, {slots: 0}])
    const replica = t.nodes.find((n) => n.role === 'replica')!.id
    const bad: RebalanceOptions[] = [
      {weights: {['f'.repeat(40)]: 1}},
      {weights: {[nodeId(0)]: -1}},
      {weights: {[nodeId(0)]: Number.NaN}},
      {weights: {[nodeId(0)]: 0, [nodeId(1)]: 0}},
      {threshold: -1},
      {threshold: Number.POSITIVE_INFINITY},
      {by: 'keys'}, // no slotKeys
      {by: 'bytes' as 'keys'},
      {slotKeys: [1, 2, 3]},
    ]
    for (const o of bad) expect(() => planRebalance(t, o), JSON.stringify(o)).toThrow(UsageError)
    // a replica named where a primary is needed: exit 3, as `move --to <replica>`
    expect(() => planRebalance(t, {weights: {[replica]: 1}})).toThrow(PreconditionError)
    expect(() => planRebalance(t, {weights: {[nodeId(0)]: 0, [nodeId(1)]: 0}})).toThrow(/weight 0/)
  })

  it('plans 16384 slots over 1000 primaries quickly (printed, not asserted)', () => {
    const t = withCounts(unevenCounts(1000))
    const t0 = performance.now()
    const p = planRebalance(t, {threshold: 0})
    const ms = performance.now() - t0
    const te = withCounts([...unevenCounts(900), ...Array(100).fill(0)])
    const t1 = performance.now()
    const pe = planRebalance(te, {useEmptyPrimaries: true})
    const ms2 = performance.now() - t1
    console.log(`planner: 1000 primaries: ${ms.toFixed(1)} ms (${p.moves.length} moves); 100 of them empty: ${ms2.toFixed(1)} ms (${pe.moves.length} moves)`)
    expectBalanced(t, p, {threshold: 0})
    expectBalanced(te, pe, {useEmptyPrimaries: true})
  })
})

describe('planRebalance --by keys', () => {
  // Primary 0 holds a hot range: every 4th of its slots has 1000 keys, the rest of the cluster 10.
  const counts = [6000, 5000, 3000, 2384]
  const keys = skewedKeys({base: 10, hot: 1000, from: 0, to: 5999, every: 4})
  const keySpread = (t: Topology, p: Plan) => {
    const k = keysOf(applyPlan(t, p), keys)
    const v = primaries(t).map((n) => k.get(n.id) ?? 0)
    return Math.max(...v) - Math.min(...v)
  }

  it('ends with a smaller key spread than --by slots on a skewed fixture, moving few keys', () => {
    const t = withCounts(counts)
    const bySlots = planRebalance(t, {slotKeys: keys})
    const byKeys = planRebalance(t, {slotKeys: keys, by: 'keys'})
    expect(byKeys.options.by).toBe('keys')
    const sSlots = keySpread(t, bySlots)
    const sKeys = keySpread(t, byKeys)
    console.log(`by slots: key spread ${sSlots}, ${bySlots.totals.keys} keys moved; by keys: key spread ${sKeys}, ${byKeys.totals.keys} keys moved`)
    expect(sKeys).toBeLessThan(sSlots)
    expect(byKeys.spread.after.keys).toBe(sKeys)
    expect(bySlots.spread.after.keys).toBe(sSlots)
    expect(byKeys.spread.after.keys!).toBeLessThan(byKeys.spread.before.keys!)
    // Keys moved stay close to the minimum: the total surplus above the key shares.
    const before = keysOf(t.owners, keys)
    const total = [...before.values()].reduce((a, b) => a + b, 0)
    const surplus = [...before.values()].reduce((a, k) => a + Math.max(0, k - total / 4), 0)
    expect(byKeys.totals.keys!).toBeLessThanOrEqual(surplus * 1.05)
    // Slot counts stay within ±50 % of the share.
    const after = countsOf(applyPlan(t, byKeys))
    for (const c of after.values()) expect(Math.abs(c - SLOT_COUNT / 4)).toBeLessThanOrEqual(SLOT_COUNT / 8 + 1)
    // No keyless slot moves.
    expect(byKeys.moves.every((m) => m.keys! > 0)).toBe(true)
    expect(serializePlan(planRebalance(structuredClone(t), {slotKeys: keys, by: 'keys'}))).toBe(serializePlan(byKeys))
  })

  for (const threshold of THRESHOLDS) {
    it(`threshold ${threshold}: balanced keys or already within threshold`, () => {
      const t = withCounts(counts)
      const p = planRebalance(t, {slotKeys: keys, by: 'keys', threshold})
      applyPlan(t, p)
      const before = keysOf(t.owners, keys)
      const total = [...before.values()].reduce((a, b) => a + b, 0)
      const within = [...before.values()].every((k) => (Math.abs(k - total / 4) / (total / 4)) * 100 <= threshold)
      if (within) expect(p.moves).toHaveLength(0)
      else expect(p.spread.after.keys!).toBeLessThan(p.spread.before.keys! / 10)
    })
  }

  it('empties weight-0 primaries (keyless slots too) and balances the rest by weight', () => {
    const t = withCounts([4096, 4096, 4096, 4096, 0])
    const w = {[nodeId(0)]: 0, [nodeId(1)]: 1, [nodeId(2)]: 2, [nodeId(3)]: 1, [nodeId(4)]: 2}
    const k = skewedKeys({base: 0, hot: 50, from: 0, to: 16383, every: 3})
    const p = planRebalance(t, {slotKeys: k, by: 'keys', weights: w})
    const owners = applyPlan(t, p)
    const after = keysOf(owners, k)
    expect(countsOf(owners).get(nodeId(0)) ?? 0).toBe(0)
    const per = [1, 2, 3, 4].map((i) => (after.get(nodeId(i)) ?? 0) / w[nodeId(i)]!)
    expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(50)
  })

  it('a cluster with no keys: only weight-0 primaries are emptied', () => {
    const t = withCounts([8000, 6000, 2384])
    const zero = new Array<number>(SLOT_COUNT).fill(0)
    expect(planRebalance(t, {slotKeys: zero, by: 'keys', threshold: 0}).moves).toHaveLength(0)
    const p = planRebalance(t, {slotKeys: zero, by: 'keys', weights: {[nodeId(0)]: 0}})
    expect(p.moves).toHaveLength(8000)
    expect(countsOf(applyPlan(t, p)).get(nodeId(0))).toBeUndefined()
  })

  it('1000 primaries by keys (printed, not asserted)', () => {
    const t = withCounts(unevenCounts(1000))
    const k = skewedKeys({base: 5, hot: 500, from: 0, to: 16383, every: 11})
    const t0 = performance.now()
    const p = planRebalance(t, {slotKeys: k, by: 'keys'})
    console.log(`planner by keys: 1000 primaries: ${(performance.now() - t0).toFixed(1)} ms (${p.moves.length} moves, key spread ${p.spread.before.keys} -> ${p.spread.after.keys})`)
    applyPlan(t, p)
    expect(p.spread.after.keys!).toBeLessThan(p.spread.before.keys!)
  })
})
