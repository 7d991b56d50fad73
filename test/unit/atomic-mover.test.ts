// The atomic strategy against an in-memory cluster that runs ASM tasks step by step: detection
// and choice, both flavours to success, the events and slot states, Ctrl-C (cancel and rollback),
// a failed Valkey task (NOAUTH names the missing setting) and a Redis import that keeps failing.
import {describe, expect, it} from 'vitest'
import type {AsmFlavour, AsmTask, ClusterAdmin} from '../../src/cluster/cluster-admin.js'
import {AsmError, PreconditionError} from '../../src/errors.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {phaseOf, sameRanges, toRanges} from '../../src/migration/asm-task.js'
import {AtomicMover, MAX_IMPORT_RETRIES} from '../../src/migration/atomic-mover.js'
import {chooseMechanisms, choosePair} from '../../src/migration/mechanism.js'
import {DEFAULT_ENGINE_OPTIONS} from '../../src/migration/options.js'
import type {ClassifiedMove} from '../../src/migration/preflight.js'
import {StopControl} from '../../src/migration/stop-control.js'
import type {Topology} from '../../src/topology/topology.js'

const VALKEY_STEPS = ['connecting', 'snapshotting', 'replicating', 'failover-granted', 'success']
const REDIS_STEPS = ['connecting', 'accumulate-buffer', 'streaming-buffer', 'takeover', 'completed']

/** Two nodes A (source, owns the keys) and B; each poll advances a running task one step. */
class FakeAsmCluster {
  keys = new Map<string, Map<number, number>>([
    ['A', new Map([[0, 5], [1, 7], [2, 0], [10, 3]])],
    ['B', new Map()],
  ])
  tasks: AsmTask[] = []
  log: string[] = []
  /** What every poll does to the running task. */
  script: 'succeed' | 'fail-noauth' | 'retry-forever' | 'stall' = 'succeed'
  cancelled = false
  constructor(readonly flavour: AsmFlavour | 'none', readonly flavourB: AsmFlavour | 'none' = flavour) {}

  private steps(): string[] {
    return this.flavour === 'valkey' ? VALKEY_STEPS : REDIS_STEPS
  }

  private step(): void {
    const t = this.tasks[0]
    if (!t || phaseOf(this.flavour as AsmFlavour, t.state) === 'success' || /cancel/.test(t.state) || (this.flavour === 'valkey' && t.state === 'failed')) return
    if (this.cancelled) {
      t.state = this.flavour === 'valkey' ? 'cancelled' : 'canceled'
      this.keys.set('B', new Map()) // the target drops its partial copy
      return
    }
    if (this.script === 'stall') return
    if (this.script === 'fail-noauth') {
      t.state = 'failed'
      t.error = 'Received error during handshake to target: -NOAUTH Authentication required.'
      return
    }
    if (this.script === 'retry-forever') {
      t.state = 'failed'
      t.retries++
      t.error = 'all slot states must be STABLE'
      return
    }
    const steps = this.steps()
    t.state = steps[Math.min(steps.indexOf(t.state) + 1, steps.length - 1)]!
    const slots = [0, 1, 2, 10]
    if (t.state === 'replicating' || t.state === 'streaming-buffer') for (const s of slots) this.keys.get('B')!.set(s, Math.ceil((this.keys.get('A')!.get(s) ?? 0) / 2))
    if (phaseOf(this.flavour as AsmFlavour, t.state) === 'success') {
      for (const s of slots) this.keys.get('B')!.set(s, this.keys.get('A')!.get(s) ?? 0)
      this.keys.set('A', new Map())
    }
  }

  admin(): ClusterAdmin {
    const fake = this
    const count = (node: string, slots: readonly number[]) => slots.map((s) => fake.keys.get(node)?.get(s) ?? 0)
    const a: Partial<ClusterAdmin> = {
      dryRun: false,
      asmFlavour: async (id) => (id === 'A' ? fake.flavour : fake.flavourB),
      countKeys: async (id, slots) => count(id, slots),
      migrateSlots: async (from, to, ranges) => {
        fake.log.push(`${from}: MIGRATESLOTS ${ranges.map(([s, e]) => `${s} ${e}`).join(' ')} NODE ${to}`)
        fake.tasks.unshift({id: `job${fake.tasks.length}`, operation: 'export', ranges: ranges.map(([s, e]) => `${s}-${e}`).join(' '), source: from, target: to, state: 'connecting', error: '', retries: 0})
      },
      slotMigrations: async () => {
        fake.step()
        return fake.tasks.map((t) => ({...t}))
      },
      cancelSlotMigrations: async (from) => {
        fake.log.push(`${from}: CANCELSLOTMIGRATIONS`)
        fake.cancelled = true
      },
      migrationImport: async (to, ranges) => {
        fake.log.push(`${to}: MIGRATION IMPORT ${ranges.map(([s, e]) => `${s} ${e}`).join(' ')}`)
        fake.tasks.unshift({id: 'task1', operation: 'import', ranges: ranges.map(([s, e]) => `${s}-${e}`).join(' '), source: 'A', target: to, state: 'connecting', error: '', retries: 0})
        return 'task1'
      },
      migrationStatus: async (_node, id) => {
        fake.step()
        return fake.tasks.filter((t) => id === undefined || t.id === id).map((t) => ({...t}))
      },
      migrationCancel: async (to, id) => {
        fake.log.push(`${to}: MIGRATION CANCEL ID ${id}`)
        fake.cancelled = true
        return 1
      },
    }
    return a as ClusterAdmin
  }
}

const MOVES: ClassifiedMove[] = [0, 1, 2, 10].map((slot) => ({slot, from: 'A', to: 'B', resume: 'fresh', keys: [5, 7, 0, 3][[0, 1, 2, 10].indexOf(slot)]}))

function mover(fake: FakeAsmCluster, stop = new StopControl()) {
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const flavour = fake.flavour as AsmFlavour
  const m = new AtomicMover({admin: fake.admin(), bus, opts: {...DEFAULT_ENGINE_OPTIONS, verifyDeadlineMs: 500}, stop, from: 'A', to: 'B', fromLabel: 'nodeA', toLabel: 'nodeB', flavour, pollMs: 1}, MOVES)
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
    const fake = new FakeAsmCluster('valkey', 'none')
    const t = {nodes: [], open: []} as unknown as Topology
    await expect(chooseMechanisms(fake.admin(), t, [{from: 'A', to: 'B'}], 'atomic')).rejects.toThrow(PreconditionError)
    await expect(chooseMechanisms(fake.admin(), t, [{from: 'A', to: 'B'}], 'atomic')).rejects.toMatchObject({exitCode: 3})
    expect(fake.log).toEqual([])
    const auto = await chooseMechanisms(fake.admin(), t, [{from: 'A', to: 'B'}], 'auto')
    expect(auto.get('A>B')?.mechanism).toBe('legacy')
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
    const fake = new FakeAsmCluster(flavour)
    const {m, events} = mover(fake)
    const r = await m.run()
    expect(fake.log).toEqual([flavour === 'valkey' ? 'A: MIGRATESLOTS 0 2 10 10 NODE B' : 'B: MIGRATION IMPORT 0 2 10 10'])
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
    const fake = new FakeAsmCluster(flavour)
    fake.script = 'stall'
    const stop = new StopControl()
    const {m, events} = mover(fake, stop)
    const run = m.run()
    await new Promise((r) => setTimeout(r, 20))
    stop.request('hard', 'interrupted by SIGINT')
    const r = await run
    expect(fake.log[1]).toBe(flavour === 'valkey' ? 'A: CANCELSLOTMIGRATIONS' : 'B: MIGRATION CANCEL ID task1')
    expect(r.every((x) => x.outcome === 'not-started' && x.state === 'aborted' && x.keys === 0)).toBe(true)
    expect(events.some((e) => e.type === 'slot-failed')).toBe(false)
    expect(fake.keys.get('A')!.get(1)).toBe(7)
  })
})

describe('AtomicMover failures', () => {
  it('Valkey NOAUTH: a typed error naming primaryauth/primaryuser on the source, nothing open', async () => {
    const fake = new FakeAsmCluster('valkey')
    fake.script = 'fail-noauth'
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
    const fake = new FakeAsmCluster('redis')
    fake.script = 'retry-forever'
    const {m} = mover(fake)
    const err = await m.run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AsmError)
    expect((err as Error).message).toMatch(/all slot states must be STABLE/)
    expect(fake.log).toContain('B: MIGRATION CANCEL ID task1')
    expect(fake.tasks[0]!.retries).toBeGreaterThanOrEqual(MAX_IMPORT_RETRIES)
    expect(m.resultOf(0).state).toBe('failed')
  })

  it('a refusal to start carries the server message and points legacy open slots to recover', async () => {
    const fake = new FakeAsmCluster('valkey')
    const admin = fake.admin()
    admin.migrateSlots = async () => {
      throw Object.assign(new Error('ERR Slots are being manually migrated'), {name: 'ReplyError'})
    }
    const bus = new EventBus()
    const m = new AtomicMover({admin, bus, opts: DEFAULT_ENGINE_OPTIONS, stop: new StopControl(), from: 'A', to: 'B', fromLabel: 'nodeA', toLabel: 'nodeB', flavour: 'valkey', pollMs: 1}, MOVES)
    const err = (await m.run().catch((e: unknown) => e)) as AsmError
    expect(err.message).toMatch(/Slots are being manually migrated/)
    expect(err.hint).toMatch(/reshard recover/)
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
