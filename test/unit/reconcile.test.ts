// planner/reconcile.ts: a plan against the live cluster (todo, done, stale, conflict), the one
// exit code per mistake of the move pipeline, and the mechanism warning of `apply`.
import {describe, expect, it} from 'vitest'
import {EXIT, PreconditionError, SlotAlreadyImportingError, SlotAlreadyMigratingError, StalePlanError, UsageError} from '../../src/errors.js'
import {stoppingMessage} from '../../src/cli/mover-command.js'
import {donorsFor} from '../../src/operations/move.js'
import {mechanismWarnings} from '../../src/operations/run-moves.js'
import {planMove, planMoves} from '../../src/planner/move.js'
import {assertReconciled, DONE_REASON, reconcile} from '../../src/planner/reconcile.js'
import type {OpenSlotMark, Topology} from '../../src/topology/topology.js'
import {imp, mig, thrown, topology} from './planner-fixtures.js'

// A owns 0-99, B 100-199, C 200-299; R is a replica of A; slots 300+ are uncovered.
const base = topology([
  {slots: '0-99', hostname: 'nodeA', replicas: 1},
  {slots: '100-199', hostname: 'nodeB'},
  {slots: '200-299', hostname: 'nodeC'},
])
const [A, B, C] = ['nodeA', 'nodeB', 'nodeC'].map((h) => base.nodes.find((n) => n.hostname === h)!.id) as [string, string, string]
const R = base.nodes.find((n) => n.role === 'replica')!.id

/** The same cluster later: some slots changed owner, some are open. */
function later(o: {owners?: Record<number, string | null>; open?: OpenSlotMark[]; without?: string} = {}): Topology {
  const owners = [...base.owners]
  for (const [s, id] of Object.entries(o.owners ?? {})) owners[Number(s)] = id
  const nodes = base.nodes.filter((n) => n.id !== o.without).map((n) => ({...n, slots: owners.flatMap((x, s) => (x === n.id ? [s] : []))}))
  return {...base, nodes, owners, open: o.open ?? []}
}


describe('reconcile: the resume rules', () => {
  const plan = planMove(base, [10, 11, 12, 13], B)

  it('a fresh plan: every move to do, fresh', () => {
    const r = reconcile(plan, base)
    expect(r.stale).toEqual([])
    expect(r.done).toEqual([])
    expect(r.todo.map((m) => [m.slot, m.from, m.to, m.resume])).toEqual([10, 11, 12, 13].map((s) => [s, A, B, 'fresh']))
  })

  it('target already owns with no mark: done; half-moved from->to: open; half-finalized: target-owns', () => {
    const t = later({owners: {10: B, 12: B}, open: [mig(11, A, B), imp(11, B, A), imp(12, B, A)]})
    const r = reconcile(plan, t)
    expect(r.stale).toEqual([])
    expect(r.conflict).toBeUndefined()
    expect(r.done.map((m) => m.slot)).toEqual([10])
    expect(r.todo.map((m) => [m.slot, m.resume])).toEqual([
      [11, 'open'],
      [12, 'target-owns'],
      [13, 'fresh'],
    ])
  })

  it('a slot a move plan skipped (the target owned it) is finished when a mark of a move to the target is left', () => {
    const p = planMove(later({owners: {20: B, 21: B}}), [20, 21, 22], B)
    expect(p.skipped).toEqual([
      {slot: 20, reason: 'already-owned-by-target'},
      {slot: 21, reason: 'already-owned-by-target'},
    ])
    const r = reconcile(p, later({owners: {20: B, 21: B}, open: [mig(20, A, B)]}))
    expect(r.todo.map((m) => [m.slot, m.from, m.resume])).toEqual([
      [22, A, 'fresh'],
      [20, A, 'target-owns'],
    ])
    // not a move of the plan: not counted as a done move (apply's "already done N of M")
    expect(r.done).toEqual([])
    expect(r.alreadyOwned.map((m) => m.slot)).toEqual([21])
  })

  it('another migration on a slot is a conflict (SlotAlreadyMigrating/Importing, exit 3), not stale', () => {
    const r1 = reconcile(plan, later({open: [mig(10, A, C)]}))
    expect(r1.stale).toEqual([])
    expect(r1.conflict).toBeInstanceOf(SlotAlreadyMigratingError)
    expect(r1.todo.map((m) => m.slot)).toEqual([11, 12, 13])
    const r2 = reconcile(plan, later({open: [imp(13, C, A)]}))
    expect(r2.conflict).toBeInstanceOf(SlotAlreadyImportingError)
    const e = thrown(() => assertReconciled(r2))
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toMatch(/^slot 13 is already IMPORTING on nodeC .* \(from nodeA /)
    // a foreign mark on a slot the target already owns (planned as skipped) is a conflict too
    const p = planMove(later({owners: {20: B}}), [20], B)
    expect(reconcile(p, later({owners: {20: B}, open: [mig(20, B, C)]})).conflict).toBeInstanceOf(SlotAlreadyMigratingError)
  })

  it('owned by a third node, or by none: stale, every difference listed, grouped per pair', () => {
    const r = reconcile(plan, later({owners: {10: C, 11: C, 12: null}}))
    expect(r.stale).toEqual(['slots 10-11 (2): planned nodeA -> nodeB, now owned by nodeC', 'slot 12: planned nodeA -> nodeB, now owned by no node (uncovered)'])
    expect(r.todo.map((m) => m.slot)).toEqual([13])
    const e = thrown(() => assertReconciled(r))
    expect(e).toBeInstanceOf(StalePlanError)
    expect(e.exitCode).toBe(EXIT.STALE_PLAN)
    expect(e.details?.differences).toEqual(r.stale)
    expect(e.hint).toMatch(/reshard plan/)
    // a command that planned for itself says how to plan again
    expect(thrown(() => assertReconciled(r, 're-run it')).hint).toBe('re-run it')
  })

  it('stale is reported before a conflict', () => {
    const r = reconcile(plan, later({owners: {10: C}, open: [mig(11, A, C)]}))
    expect(thrown(() => assertReconciled(r))).toBeInstanceOf(StalePlanError)
  })

  it('a node the moves need is missing: stale; a plan of another cluster: stale with every node listed', () => {
    const r = reconcile(planMove(base, [250], A), later({without: C}))
    expect(r.stale).toEqual([expect.stringMatching(/^node nodeC \(.{8}\) is named in 1 move\(s\) but is not in this cluster/)])
    const other = topology([{slots: '0-8191', hostname: 'x'}, {slots: '8192-16383', hostname: 'y'}])
    const s = reconcile(plan, {...other, nodes: other.nodes.map((n) => ({...n, id: n.id.replace(/^./, 'f')}))})
    expect(s.stale[0]).toMatch(/^the plan was made for another cluster/)
    expect(s.stale.length).toBe(1 + plan.cluster.nodes.length)
    expect(s.todo).toEqual([])
  })

  it('keeps the plan order (pairs as planned) and the keys of each move', () => {
    const p = planMoves(base, [
      {slot: 150, from: B, to: C},
      {slot: 5, from: A, to: B},
      {slot: 250, from: C, to: A},
    ])
    const r = reconcile(p, base)
    expect(r.todo.map((m) => m.slot)).toEqual(p.moves.map((m) => m.slot))
    expect(DONE_REASON).toBe('target already owns the slot')
  })
})

describe('one exit code per mistake (DESIGN.md §4)', () => {
  it('an uncovered slot is a cluster precondition (exit 3) for every mover', () => {
    const e = thrown(() => planMove(base, [300], B))
    expect(e).toBeInstanceOf(PreconditionError)
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toBe('slot 300 has no owner, so there is nothing to move')
  })

  it('a replica as target or source is exit 3, with slots or with --count', () => {
    expect(thrown(() => planMove(base, [1], R)).exitCode).toBe(EXIT.PRECONDITION)
    expect(thrown(() => planMove(base, [1], B, {from: R})).exitCode).toBe(EXIT.PRECONDITION)
    const to = thrown(() => donorsFor(base, {count: 5, to: R, from: 'all'}))
    expect(to).toBeInstanceOf(PreconditionError)
    expect(to.exitCode).toBe(EXIT.PRECONDITION)
    expect(to.message).toMatch(/^target .* is a replica: only primaries own slots$/)
    const from = thrown(() => donorsFor(base, {count: 5, to: 'nodeB', from: R}))
    expect(from.exitCode).toBe(EXIT.PRECONDITION)
    expect(from.message).toMatch(/^source .* is a replica/)
  })

  it('a slot --from does not own is exit 3 naming the owner; --from = --to is a usage error (2)', () => {
    const e = thrown(() => planMove(base, [150, 151, 250], C, {from: A}))
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toMatch(/^slots 150-151 are owned by nodeB \(.*\), not by nodeA \(/)
    const same = thrown(() => planMove(base, [1], B, {from: B}))
    expect(same).toBeInstanceOf(UsageError)
    expect(same.message).toMatch(/same node \(nodeB /)
  })
})

describe('mechanism warnings', () => {
  const plan = {...planMove(base, [1], B), mechanism: {requested: 'auto' as const, pairs: [{from: A, to: B, mechanism: 'atomic' as const}]}}

  it('warns when a pair moves by another mechanism than the plan recorded', () => {
    const w = mechanismWarnings(base, [{from: A, to: B, mechanism: 'legacy', reason: 'nodeB offers no atomic slot migration'}], plan, 'auto')
    expect(w).toEqual(['nodeA -> nodeB moves by legacy, but the plan recorded atomic (nodeB offers no atomic slot migration): the nodes changed since the plan was made'])
  })

  it('is quiet when the mechanism is the recorded one, the plan recorded none, or --mechanism overrides it', () => {
    expect(mechanismWarnings(base, [{from: A, to: B, mechanism: 'atomic'}], plan, 'auto')).toEqual([])
    expect(mechanismWarnings(base, [{from: A, to: B, mechanism: 'legacy'}], planMove(base, [1], B), 'auto')).toEqual([])
    expect(mechanismWarnings(base, [{from: A, to: B, mechanism: 'legacy'}], plan, 'legacy')).toEqual([])
  })
})

describe('the first Ctrl-C says what happens', () => {
  it('legacy pairs stop after the batch; atomic pairs cancel and wait for the rollback', () => {
    expect(stoppingMessage(0, 2)).toBe('stopping after the batch in flight')
    expect(stoppingMessage(1, 0)).toBe("stopping: cancelling the atomic migration in flight and waiting for the server's rollback")
    expect(stoppingMessage(1, 1)).toMatch(/^stopping after the batch in flight; cancelling the atomic migration/)
  })
})
