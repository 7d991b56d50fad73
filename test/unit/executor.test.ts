// executeMoves on FakeCluster: disjoint pairs in parallel, a failing pair stops the others from
// opening new slots, pairs never started, a stop that came after every slot was done (a success),
// and the verify poll; the result and its open list read the caller's ledger, live during the run.
import {describe, expect, it} from 'vitest'
import {AsmError, LeftOpenError} from '../../src/errors.js'
import type {EventBus} from '../../src/events/events.js'
import {executeMoves} from '../../src/migration/executor.js'
import {pairKey} from '../../src/planner/pairs.js'
import type {EngineOptions} from '../../src/migration/options.js'
import type {ClassifiedMove} from '../../src/migration/preflight.js'
import {SlotLedger} from '../../src/migration/slot-ledger.js'
import {StopControl} from '../../src/migration/stop-control.js'
import {A, B, C, D, FAST, moves, primaries, recorder} from './fakes/engine-harness.js'
import type {FakeCluster} from './fakes/fake-cluster.js'

async function run(fake: FakeCluster, todo: ClassifiedMove[], o: Partial<EngineOptions> = {}, stop = new StopControl(), ledgerOf?: (bus: EventBus) => SlotLedger) {
  const admin = fake.admin()
  const topology = await admin.refresh()
  const rec = recorder()
  const ledger = ledgerOf?.(rec.bus) ?? new SlotLedger(rec.bus)
  const openNow = () => ledger.open()
  const onBus = (f: (e: (typeof rec.events)[number]) => void) => rec.bus.on(f)
  const go = () => executeMoves({admin, topology, todo, skipped: [], opts: {...FAST, ...o}, bus: rec.bus, stop, ledger})
  return {go, stop, openNow, onBus, ...rec}
}

describe('executeMoves on FakeCluster', () => {
  it('moves disjoint pairs at the same time, verifies the owners, and reports ok', async () => {
    const fake = primaries(4, {0: 20, 1: 5, 300: 20, 301: 5})
    const {go, events} = await run(fake, [...moves(A, B, [0, 1, 2], fake), ...moves(D, C, [300, 301, 302], fake)], {parallel: 2})
    const r = await go()
    expect(r.ok).toBe(true)
    expect(r.verified).toBe(true)
    expect(r.error).toBeUndefined()
    expect(r.keys).toBe(50)
    expect(r.slots.map((s) => [s.slot, s.outcome, s.mechanism])).toEqual([0, 1, 2, 300, 301, 302].map((s) => [s, 'done', 'legacy']))
    // both pairs were opened before either finished a slot
    const firstDone = events.findIndex((e) => e.type === 'slot-done')
    const opened = new Set(events.slice(0, firstDone).filter((e) => e.type === 'slot-state' && e.state === 'importing').map((e) => (e as {from: string}).from))
    expect(opened).toEqual(new Set([A, D]))
    for (const s of [0, 1, 2]) expect(fake.ownerOf(s)).toBe(B)
    for (const s of [300, 301, 302]) expect(fake.ownerOf(s)).toBe(C)
    expect(events.at(-1)).toMatchObject({type: 'run-finished', ok: true, slotsDone: 6, slotsFailed: 0, keys: 50})
  })

  it('one pair at a time: a failing pair leaves the next pair not started, and the run says what is open', async () => {
    const fake = primaries(4, {0: 3, 300: 3})
    fake.failNext('setslot', 1, 'ERR injected', B) // IMPORTING refused on B
    const {go, events} = await run(fake, [...moves(A, B, [0, 1], fake), ...moves(D, C, [300, 301], fake)], {parallel: 1})
    const r = await go()
    expect(r.ok).toBe(false)
    expect(r.slots.map((s) => [s.slot, s.outcome, s.state])).toEqual([
      [0, 'failed', 'pending'],
      [1, 'failed', 'pending'],
      [300, 'not-started', 'pending'],
      [301, 'not-started', 'pending'],
    ])
    expect(r.open).toEqual([])
    expect(r.error).toBeInstanceOf(LeftOpenError)
    expect(r.error).toMatchObject({kind: 'setslot_failed', exitCode: 5})
    expect(fake.log.some((l) => l.startsWith('02 SETSLOT') || l.startsWith('03 SETSLOT'))).toBe(false)
    expect(events.at(-1)).toMatchObject({type: 'run-finished', ok: false, slotsDone: 0, slotsFailed: 4})
  })

  it('a pair that fails stops a pair running beside it from opening new slots; what it opened it finishes', async () => {
    const fake = primaries(4, {0: 3, 300: 40, 301: 40, 302: 40, 303: 40})
    fake.failNext('migrate', 1, 'ERR Target instance replied with error: OOM command not allowed', A)
    fake.failWhen = (b) => (b.keys[0]!.toString().startsWith('{s0}') ? {error: 'IOERR error or timeout reading to target instance', half: 0} : undefined)
    // B -> A waits for A -> B (they share nodes); it may not start once A -> B failed
    const {go} = await run(fake, [...moves(A, B, [0], fake), ...moves(D, C, [300, 301, 302, 303], fake), ...moves(B, A, [100, 101], fake)], {parallel: 2, waveSlots: 1})
    const r = await go()
    expect(r.slots.filter((s) => s.slot >= 100 && s.slot < 200).map((s) => s.outcome)).toEqual(['not-started', 'not-started'])
    expect(fake.log.some((l) => /IMPORTING 01/.test(l))).toBe(false)
    expect(r.ok).toBe(false)
    expect(r.slots.find((s) => s.slot === 0)).toMatchObject({outcome: 'open', state: 'streaming'})
    expect(r.open).toEqual([{slot: 0, state: 'streaming', source: expect.any(String), target: expect.any(String)}])
    const other = r.slots.filter((s) => s.slot >= 300)
    // every slot of the other pair is done or was never opened: none is left open
    expect(other.every((s) => s.outcome === 'done' || s.outcome === 'not-started')).toBe(true)
    expect(other.some((s) => s.outcome === 'not-started')).toBe(true)
    for (const s of other.filter((x) => x.outcome === 'not-started')) {
      expect(fake.ownerOf(s.slot)).toBe(D)
      expect(fake.count(D, s.slot)).toBe(40)
      expect(fake.node(D).migrating.has(s.slot) || fake.node(C).importing.has(s.slot)).toBe(false)
    }
    expect(r.error).toMatchObject({kind: 'migrate_failed', exitCode: 5})
    expect((r.error as LeftOpenError).open.map((o) => o.slot)).toEqual([0])
  })

  it('a stop that arrives after every slot is done is a success (ok, no error)', async () => {
    const fake = primaries(3, {0: 5, 1: 5})
    const {go, stop, onBus} = await run(fake, moves(A, B, [0, 1], fake))
    let done = 0
    onBus((e) => {
      if (e.type === 'slot-done' && ++done === 2) stop.request('hard', 'interrupted by SIGINT')
    })
    const r = await go()
    expect(stop.hard).toBe(true)
    expect(r.ok).toBe(true)
    expect(r.error).toBeUndefined()
    expect(r.slots.every((s) => s.outcome === 'done')).toBe(true)
  })

  it('Ctrl-C mid-run: not ok, a LeftOpenError listing the open slot; the caller ledger, read during the run, agrees with the result', async () => {
    const fake = primaries(3, {0: 400, 1: 400})
    const {go, stop, onBus, openNow} = await run(fake, moves(A, B, [0, 1], fake), {waveSlots: 1, pipeline: 1})
    let openAtStop: Array<[number, string]> = []
    onBus((e) => {
      if (e.type !== 'keys-moved' || stop.hard) return
      stop.request('hard', 'interrupted by SIGINT')
      openAtStop = openNow().map((o) => [o.slot, o.state])
    })
    const r = await go()
    // at the stop, slot 1's wave was already open (waves overlap); the run then closed it again
    expect(openAtStop).toEqual([
      [0, 'streaming'],
      [1, 'migrating'],
    ])
    expect(r.ok).toBe(false)
    expect(r.error).toBeInstanceOf(LeftOpenError)
    expect(r.error).toMatchObject({kind: 'stopped', exitCode: 5})
    expect(r.open.map((o) => [o.slot, o.state])).toEqual([[0, 'streaming']])
    expect(openNow().map((o) => [o.slot, o.state])).toEqual([[0, 'streaming']])
    expect(r.slots.map((s) => s.outcome)).toEqual(['open', 'not-started'])
  })

  it('verify: waits for gossip to carry the new owner; a node that never learns it leaves verified false with a warning', async () => {
    const healed = primaries(3, {0: 2})
    healed.failNext('setslot', 1, 'ERR injected', C) // C is not told: gossip tells it
    const ok = await (await run(healed, moves(A, B, [0], healed))).go()
    expect(ok).toMatchObject({ok: true, verified: true})
    const deaf = primaries(3, {0: 2})
    deaf.failNext('setslot', 1, 'ERR injected', C)
    deaf.deaf.add(C)
    const {go, events} = await run(deaf, moves(A, B, [0], deaf), {verifyDeadlineMs: 200})
    const r = await go()
    expect(r.verified).toBe(false)
    expect(r.ok).toBe(true)
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as {message: string}).message)).toEqual([
      expect.stringMatching(/SETSLOT NODE on .*: ERR injected/),
      expect.stringMatching(/nodes still disagree on the owner of 1 slot/),
    ])
  })

  it('a ledger passed in is the one the run keeps (a caller can read it while the run goes on)', async () => {
    const fake = primaries(3, {1: 1})
    let ledger: SlotLedger | undefined
    const {go, statesOf} = await run(fake, moves(A, B, [1], fake), {}, new StopControl(), (bus) => (ledger = new SlotLedger(bus)))
    const r = await go()
    expect(r.ok).toBe(true)
    expect(ledger!.result(1)).toEqual({...r.slots[0], outcome: 'done', state: 'complete', mechanism: 'legacy'})
    // it emitted the slot events on the run's bus
    expect(statesOf(1)).toEqual(['importing', 'migrating', 'streaming', 'finalizing', 'complete'])
  })

  it('while a batch hangs, the open report of a second Ctrl-C (trackOpenSlots) names the slot; released, the run ends done', async () => {
    const fake = primaries(3, {0: 50})
    fake.hang('channel-migrate')
    const {go, openNow} = await run(fake, moves(A, B, [0], fake))
    const running = go()
    for (let i = 0; i < 200 && openNow().length === 0; i++) await new Promise((r) => setTimeout(r, 5))
    await new Promise((r) => setTimeout(r, 20))
    expect(openNow()).toEqual([{slot: 0, state: 'streaming', source: A, target: B}])
    fake.release()
    const r = await running
    expect(r.ok).toBe(true)
    expect(openNow()).toEqual([])
  })

  it.each(['valkey', 'redis'] as const)('atomic pairs (%s): done slots carry the mechanism; a failed task stands as its own error with nothing open', async (flavour) => {
    const fake = primaries(3, {0: 4, 1: 6})
    fake.asm.offer(flavour)
    const mechanisms = new Map([[pairKey(A, B), {from: A, to: B, mechanism: 'atomic' as const, flavour}]])
    const admin = fake.admin()
    const topology = await admin.refresh()
    const exec = (f: FakeCluster, todo: ClassifiedMove[]) => executeMoves({admin: f.admin(), topology, todo, skipped: [], opts: FAST, bus: recorder().bus, stop: new StopControl(), mechanisms})
    const r = await exec(fake, moves(A, B, [0, 1], fake))
    expect(r).toMatchObject({ok: true, verified: true, keys: 10})
    expect(r.slots.map((s) => [s.slot, s.outcome, s.mechanism])).toEqual([
      [0, 'done', 'atomic'],
      [1, 'done', 'atomic'],
    ])
    const bad = primaries(3, {0: 4})
    bad.asm.offer(flavour)
    bad.asm.script = flavour === 'valkey' ? 'fail-noauth' : 'retry-forever'
    const f = await exec(bad, moves(A, B, [0, 1], bad))
    expect(f.ok).toBe(false)
    expect(f.error).toBeInstanceOf(AsmError)
    expect(f.open).toEqual([])
    expect(f.slots.map((s) => [s.outcome, s.state, s.keys])).toEqual([
      ['not-started', 'failed', 0],
      ['not-started', 'failed', 0],
    ])
    expect(bad.count(A, 0)).toBe(4)
  })
})
