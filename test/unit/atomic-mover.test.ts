// The atomic strategy against an in-memory cluster that runs ASM tasks step by step: detection
// and choice, both flavours to success, the events and slot states, Ctrl-C (cancel and rollback),
// a failed Valkey task (NOAUTH names the missing setting) and a Redis import that keeps failing.
import {describe, expect, it} from 'vitest'
import type {AsmFlavour} from '../../src/cluster/cluster-admin.js'
import {AsmError, PreconditionError} from '../../src/errors.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {phaseOf, sameRanges, toRanges} from '../../src/migration/asm-task.js'
import {AtomicMover, MAX_IMPORT_RETRIES} from '../../src/migration/atomic-mover.js'
import {chooseMechanisms, choosePair} from '../../src/migration/mechanism.js'
import {DEFAULT_ENGINE_OPTIONS} from '../../src/migration/options.js'
import type {ClassifiedMove} from '../../src/migration/preflight.js'
import {StopControl} from '../../src/migration/stop-control.js'
import {SlotLedger} from '../../src/migration/slot-ledger.js'
import {slotRange} from '../../src/topology/slot-set.js'
import {FakeCluster, nodeId} from './fakes/fake-cluster.js'

const A = nodeId(0)
const B = nodeId(1)

/** Two primaries: A owns 0-99 (keys in 0, 1, 10), B owns 100-199; both offer `flavour` unless `flavourB` says otherwise. */
function cluster(flavour: AsmFlavour | 'none', flavourB: AsmFlavour | 'none' = flavour): FakeCluster {
  const fake = new FakeCluster([slotRange(0, 99), slotRange(100, 199)], {0: 5, 1: 7, 10: 3})
  fake.asm.flavours.set(A, flavour)
  fake.asm.flavours.set(B, flavourB)
  return fake
}

const asmLog = (fake: FakeCluster) => fake.log.filter((l) => /MIGRATESLOTS|MIGRATION IMPORT|CANCEL/.test(l))

const MOVES: ClassifiedMove[] = [0, 1, 2, 10].map((slot) => ({slot, from: A, to: B, resume: 'fresh', keys: [5, 7, 0, 3][[0, 1, 2, 10].indexOf(slot)]}))

function mover(fake: FakeCluster, stop = new StopControl(), ledger?: SlotLedger) {
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const flavour = fake.asm.flavours.get(A) as AsmFlavour
  const m = new AtomicMover({admin: fake.admin(), bus, opts: {...DEFAULT_ENGINE_OPTIONS, verifyDeadlineMs: 500}, stop, from: A, to: B, fromLabel: 'nodeA', toLabel: 'nodeB', flavour, pollMs: 1, ledger}, MOVES)
  return {m, events}
}

describe('detection and choice', () => {
  it('atomic only when both ends offer the same flavour and no legacy slot is open', () => {
    expect(choosePair('auto', 'valkey', 'valkey')).toEqual({mechanism: 'atomic', flavour: 'valkey'})
    expect(choosePair('auto', 'redis', 'redis')).toEqual({mechanism: 'atomic', flavour: 'redis'})
    expect(choosePair('auto', 'valkey', 'none').mechanism).toBe('legacy')
    expect(choosePair('auto', 'valkey', 'redis').mechanism).toBe('legacy')
    expect(choosePair('legacy', 'valkey', 'valkey')).toEqual({mechanism: 'legacy'})
    const open = choosePair('auto', 'valkey', 'valkey', [7])
    expect(open.mechanism).toBe('legacy')
    expect(open.reason).toMatch(/legacy migration.*reshard recover/)
  })

  it('--mechanism atomic on a pair that cannot is a precondition error (exit 3) before anything is sent', async () => {
    const fake = cluster('valkey', 'none')
    const t = await fake.admin().refresh()
    fake.log.length = 0
    await expect(chooseMechanisms(fake.admin(), t, [{from: A, to: B}], 'atomic')).rejects.toThrow(PreconditionError)
    await expect(chooseMechanisms(fake.admin(), t, [{from: A, to: B}], 'atomic')).rejects.toMatchObject({exitCode: 3})
    expect(fake.log).toEqual([])
    const auto = await chooseMechanisms(fake.admin(), t, [{from: A, to: B}], 'auto')
    expect(auto.get(`${A}>${B}`)?.mechanism).toBe('legacy')
  })

  it('a Redis import retries after failed; the source copy (migrate) has ended', () => {
    expect(phaseOf('redis', 'failed')).toBe('retrying')
    expect(phaseOf('redis', 'failed', 'export')).toBe('failed')
    expect(phaseOf('valkey', 'failed')).toBe('failed')
    expect(phaseOf('valkey', 'snapshotting')).toBe('migrating')
    expect(phaseOf('redis', 'takeover')).toBe('finalizing')
  })

  it('ranges are sent whole; the server slot_ranges text is matched as a set', () => {
    expect(toRanges([10, 0, 1, 2, 5])).toEqual([[0, 2], [5, 5], [10, 10]])
    expect(sameRanges('0-2 5-5 10-10', [[0, 2], [5, 5], [10, 10]])).toBe(true)
    expect(sameRanges('0-2 5 10', [[0, 2], [5, 5], [10, 10]])).toBe(true)
    expect(sameRanges('0-3', [[0, 2]])).toBe(false)
  })
})

describe.each(['valkey', 'redis'] as const)('AtomicMover (%s flavour)', (flavour) => {
  it('moves the pair in one task, walking every slot through our states to complete', async () => {
    const fake = cluster(flavour)
    const {m, events} = mover(fake)
    const r = await m.run()
    expect(asmLog(fake)).toEqual([flavour === 'valkey' ? '00 MIGRATESLOTS 0 2 10 10 NODE 01' : '01 MIGRATION IMPORT 0 2 10 10'])
    expect(fake.ownerOf(1)).toBe(B)
    expect(fake.count(B, 1)).toBe(7)
    expect(fake.count(A, 1)).toBe(0)
    expect(r.map((x) => [x.slot, x.outcome, x.state, x.keys])).toEqual([
      [0, 'done', 'complete', 5],
      [1, 'done', 'complete', 7],
      [2, 'done', 'complete', 0],
      [10, 'done', 'complete', 3],
    ])
    const states = events.filter((e) => e.type === 'slot-state' && e.slot === 1).map((e) => (e as {state: string}).state)
    expect(states).toEqual(['importing', 'migrating', 'streaming', 'finalizing', 'complete'])
    expect(events.filter((e) => e.type === 'slot-done')).toHaveLength(4)
    const moved = events.filter((e) => e.type === 'keys-moved').reduce((a, e) => a + (e as {count: number}).count, 0)
    expect(moved).toBe(15)
  })

  it('Ctrl-C cancels at the node that can, waits for the rollback, and leaves nothing open', async () => {
    const fake = cluster(flavour)
    fake.asm.script = 'stall'
    const stop = new StopControl()
    const {m, events} = mover(fake, stop)
    const run = m.run()
    await new Promise((r) => setTimeout(r, 20))
    stop.request('hard', 'interrupted by SIGINT')
    const r = await run
    expect(asmLog(fake)[1]).toBe(flavour === 'valkey' ? '00 CANCELSLOTMIGRATIONS' : '01 MIGRATION CANCEL ID task1')
    expect(r.every((x) => x.outcome === 'not-started' && x.state === 'aborted' && x.keys === 0)).toBe(true)
    expect(events.some((e) => e.type === 'slot-failed')).toBe(false)
    expect(fake.count(A, 1)).toBe(7)
    expect(fake.ownerOf(1)).toBe(A)
  })
})

describe('AtomicMover failures', () => {
  it('Valkey NOAUTH: a typed error naming primaryauth/primaryuser on the source, nothing open', async () => {
    const fake = cluster('valkey')
    fake.asm.script = 'fail-noauth'
    const {m, events} = mover(fake)
    const err = await m.run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AsmError)
    expect((err as AsmError).exitCode).toBe(3)
    expect((err as AsmError).message).toMatch(/NOAUTH Authentication required/)
    expect((err as AsmError).hint).toMatch(/primaryauth.*primaryuser.*nodeA/)
    expect(m.resultOf(1)).toMatchObject({outcome: 'not-started', state: 'failed'})
    expect(events.filter((e) => e.type === 'slot-failed')).toHaveLength(4)
  })

  it('Redis: an import that keeps failing is cancelled after MAX_IMPORT_RETRIES, reported with last_error', async () => {
    const fake = cluster('redis')
    fake.asm.script = 'retry-forever'
    const {m} = mover(fake)
    const err = await m.run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AsmError)
    expect((err as Error).message).toMatch(/all slot states must be STABLE/)
    expect(asmLog(fake)).toContain('01 MIGRATION CANCEL ID task1')
    expect(fake.asm.tasks[0]!.retries).toBeGreaterThanOrEqual(MAX_IMPORT_RETRIES)
    expect(m.resultOf(0).state).toBe('failed')
  })

  it('a refusal to start carries the server message and points legacy open slots to recover', async () => {
    const fake = cluster('valkey')
    fake.node(A).migrating.set(10, B) // a legacy migration left slot 10 open
    const {m, events} = mover(fake)
    const err = (await m.run().catch((e: unknown) => e)) as AsmError
    expect(err.message).toMatch(/Slots are being manually migrated/)
    expect(err.hint).toMatch(/reshard recover/)
    // nothing started: every slot failed before it was opened, nothing is open
    expect(m.resultOf(0)).toMatchObject({outcome: 'not-started', state: 'failed'})
    expect(events.filter((e) => e.type === 'slot-failed')).toHaveLength(4)
  })
})

describe('plans record the mechanism', () => {
  it('a plan with mechanism round-trips; a plan without it still loads; a bad value is a usage error', async () => {
    const {parsePlan, planMove, serializePlan} = await import('../../src/planner/index.js')
    const {topology, nodeId} = await import('./planner-fixtures.js')
    const t = topology([{slots: 5461}, {slots: 5461}, {slots: 5462}])
    const plan = planMove(t, [0, 1, 2], nodeId(1))
    const old = parsePlan(serializePlan(plan))
    expect(old.mechanism).toBeUndefined()
    const withM = {...plan, mechanism: {requested: 'auto' as const, pairs: [{from: nodeId(0), to: nodeId(1), mechanism: 'atomic' as const}]}}
    const back = parsePlan(serializePlan(withM))
    expect(back.mechanism).toEqual(withM.mechanism)
    const bad = JSON.parse(serializePlan(withM))
    bad.mechanism.requested = 'fast'
    expect(() => parsePlan(JSON.stringify(bad))).toThrow(/mechanism.requested/)
  })
})
