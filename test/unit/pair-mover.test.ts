// The legacy strategy (PairMover) on FakeCluster: the whole protocol of DESIGN.md §1 for a wave,
// resuming a slot left open, a slot whose target already took it, a MIGRATE that fails mid-slot
// (the slot fails and stays open, as `recover` expects), and Ctrl-C after a batch.
import {describe, expect, it} from 'vitest'
import {TargetUnreachableError} from '../../src/errors.js'
import {SlotError} from '../../src/migration/key-mover.js'
import {A, B, C, moves, pairMover, primaries} from './fakes/engine-harness.js'

describe('PairMover on FakeCluster', () => {
  it('moves a wave: IMPORTING, MIGRATING, every key, NODE everywhere; each slot walks the table to complete', async () => {
    const fake = primaries(3, {0: 10, 1: 0, 2: 250, 3: 5})
    const {mover, events, statesOf, ledger} = await pairMover(fake, moves(A, B, [0, 1, 2, 3], fake))
    const r = await mover.run()
    expect(r.map((x) => [x.slot, x.outcome, x.state, x.keys])).toEqual([
      [0, 'done', 'complete', 10],
      [1, 'done', 'complete', 0],
      [2, 'done', 'complete', 250],
      [3, 'done', 'complete', 5],
    ])
    for (const s of [0, 1, 2, 3]) {
      expect(statesOf(s)).toEqual(['importing', 'migrating', 'streaming', 'finalizing', 'complete'])
      for (const id of [A, B, C]) expect(fake.node(id).owners[s]).toBe(B)
      expect(fake.count(A, s)).toBe(0)
    }
    expect(fake.count(B, 2)).toBe(250)
    expect(fake.node(A).migrating.size + fake.node(B).importing.size).toBe(0)
    // one wave: one IMPORTING round and one MIGRATING round for all four slots
    expect(fake.log.filter((l) => /IMPORTING/.test(l))).toEqual([`01 SETSLOT 0 IMPORTING 00, 1 IMPORTING 00, 2 IMPORTING 00, 3 IMPORTING 00`])
    const done = events.filter((e) => e.type === 'slot-done')
    expect(done.map((e) => (e as {keys: number}).keys)).toEqual([10, 0, 250, 5])
    expect(done.every((e) => (e as {ms: number}).ms >= 0)).toBe(true)
    expect(ledger.open()).toEqual([])
    // the target's epoch is strictly the highest once the others were told
    expect(fake.node(B).config).toBeGreaterThan(Math.max(fake.node(A).config, fake.node(C).config))
  })

  it('resumes a slot left open (keys on both sides): reopens it, moves the rest, finalizes', async () => {
    const fake = primaries(3, {5: 10})
    fake.node(A).migrating.set(5, B)
    fake.node(B).importing.set(5, A)
    // 3 keys moved by an earlier run
    const bKeys = new Map([...fake.node(A).keys.get(5)!].slice(0, 3))
    for (const k of bKeys.keys()) fake.node(A).keys.get(5)!.delete(k)
    fake.node(B).keys.set(5, bKeys)
    const {mover} = await pairMover(fake, moves(A, B, [5], fake, 'open'))
    const r = await mover.run()
    expect(r[0]).toMatchObject({slot: 5, outcome: 'done', state: 'complete', keys: 7})
    expect(fake.count(B, 5)).toBe(10)
    expect(fake.ownerOf(5)).toBe(B)
  })

  it('finishes a slot whose target already took it (target-owns): no IMPORTING/MIGRATING, the source and others are told', async () => {
    const fake = primaries(3, {6: 4})
    // an earlier run moved every key and ran SETSLOT NODE on the target only, then stopped
    fake.node(B).keys.set(6, fake.node(A).keys.get(6)!)
    fake.node(A).keys.delete(6)
    fake.node(A).migrating.set(6, B)
    fake.node(B).owners[6] = B
    fake.bump(fake.node(B))
    fake.deaf.add(A)
    fake.deaf.add(C)
    const {mover, statesOf} = await pairMover(fake, moves(A, B, [6], fake, 'target-owns'))
    const r = await mover.run()
    expect(r[0]).toMatchObject({outcome: 'done', state: 'complete'})
    expect(fake.log.some((l) => /IMPORTING|MIGRATING/.test(l))).toBe(false)
    for (const id of [A, B, C]) expect(fake.node(id).owners[6]).toBe(B)
    expect(fake.node(A).migrating.has(6)).toBe(false)
    expect(statesOf(6)).toEqual(['importing', 'migrating', 'streaming', 'finalizing', 'complete'])
  })

  it('a MIGRATE error mid-slot: the slot enters failed, stays open in the cluster, and is reported open in the state it failed in', async () => {
    const fake = primaries(3, {10: 50})
    // the fast path's first batch moves half its keys, then fails; the careful loop's MIGRATE is refused
    fake.failWhen = (_b, n) => (n === 1 ? {error: 'IOERR error or timeout reading to target instance', half: 25} : undefined)
    fake.failNext('migrate', 1, 'ERR Target instance replied with error: OOM command not allowed when used memory > maxmemory')
    const {mover, events, ledger, stop} = await pairMover(fake, moves(A, B, [10], fake))
    const err = await mover.run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SlotError)
    expect((err as SlotError).kind).toBe('migrate_failed')
    expect(ledger.get(10)).toMatchObject({state: 'failed', failedIn: 'streaming', failedAs: 'open'})
    expect(mover.resultOf(10)).toMatchObject({outcome: 'open', state: 'streaming', error: expect.stringMatching(/OOM/)})
    expect(ledger.open()).toEqual([{slot: 10, state: 'streaming', source: A, target: B}])
    const failed = events.filter((e) => e.type === 'slot-failed')
    expect(failed).toEqual([expect.objectContaining({slot: 10, state: 'streaming'})])
    // no slot-state 'failed' for a slot left open: its last state is where it stays open
    expect(events.some((e) => e.type === 'slot-state' && e.state === 'failed')).toBe(false)
    expect(stop.soft).toBe(true)
    // left open, keys on both sides, nothing lost
    expect(fake.node(A).migrating.get(10)).toBe(B)
    expect(fake.node(B).importing.get(10)).toBe(A)
    expect(fake.count(A, 10) + fake.count(B, 10)).toBe(50)
    expect(fake.count(B, 10)).toBe(25)
  })

  it('Ctrl-C after a batch: the slot streaming stays open, the next wave (opened, nothing moved) is closed again', async () => {
    const fake = primaries(3, {20: 300, 21: 300})
    const {mover, bus, ledger, stop} = await pairMover(fake, moves(A, B, [20, 21], fake), {waveSlots: 1, pipeline: 1})
    bus.on((e) => {
      if (e.type === 'keys-moved') stop.request('hard', 'interrupted by SIGINT')
    })
    const r = await mover.run()
    expect(r.map((x) => [x.slot, x.outcome, x.state])).toEqual([
      [20, 'open', 'streaming'],
      [21, 'not-started', 'aborted'],
    ])
    expect(ledger.open()).toEqual([{slot: 20, state: 'streaming', source: A, target: B}])
    expect(fake.count(B, 20)).toBeGreaterThan(0)
    expect(fake.count(A, 20)).toBeGreaterThan(0)
    expect(fake.node(A).migrating.has(20) && fake.node(B).importing.has(20)).toBe(true)
    // slot 21: closed on the target first, then the source; every key still on the source
    expect(fake.node(A).migrating.has(21) || fake.node(B).importing.has(21)).toBe(false)
    expect(fake.count(A, 21)).toBe(300)
    expect(fake.ownerOf(21)).toBe(A)
  })

  it('a target that refuses IMPORTING: the slot fails before it was opened (outcome failed, nothing open)', async () => {
    const fake = primaries(3, {30: 3})
    fake.failNext('setslot', 1, 'ERR injected', B)
    const {mover, ledger} = await pairMover(fake, moves(A, B, [30], fake))
    await expect(mover.run()).rejects.toMatchObject({kind: 'setslot_failed', exitCode: 5})
    expect(ledger.get(30)).toMatchObject({state: 'failed', failedAs: 'unopened'})
    expect(ledger.open()).toEqual([])
  })

  it('a target that refuses IMPORTING for one slot of a wave: the slots it accepted are closed again, nothing is left open', async () => {
    const fake = primaries(3, {30: 3, 31: 3, 32: 3})
    // B believes it owns slot 31 already (a disagreement): it refuses IMPORTING for 31 only
    fake.node(B).owners[31] = B
    const {mover, ledger} = await pairMover(fake, moves(A, B, [30, 31, 32], fake))
    await expect(mover.run()).rejects.toMatchObject({kind: 'setslot_failed'})
    expect(fake.log.filter((l) => /IMPORTING/.test(l))).toEqual(['01 SETSLOT 30 IMPORTING 00, 31 IMPORTING 00, 32 IMPORTING 00'])
    expect(ledger.get(31)).toMatchObject({state: 'failed', failedAs: 'unopened'})
    expect(ledger.open()).toEqual([])
    expect([...fake.node(B).importing.keys()]).toEqual([])
    expect([...fake.node(A).migrating.keys()]).toEqual([])
    for (const s of [30, 31, 32]) expect(fake.count(A, s)).toBe(3)
  })

  it('... and when the target will not close them either, they are reported open for recover', async () => {
    const fake = primaries(3, {30: 3, 31: 3})
    fake.node(B).owners[31] = B
    fake.onCommand = (line) => {
      if (/IMPORTING/.test(line)) fake.failNext('setslot', 1, 'ERR injected', B)
    }
    const {mover, ledger} = await pairMover(fake, moves(A, B, [30, 31], fake))
    await expect(mover.run()).rejects.toMatchObject({kind: 'setslot_failed'})
    expect(ledger.open()).toEqual([{slot: 30, state: 'importing', source: A, target: B}])
    expect([...fake.node(B).importing.keys()]).toEqual([30])
  })

  it('a target that stops answering mid-slot: TargetUnreachableError, the slot failed and open, no further command to the target', async () => {
    const fake = primaries(3, {40: 200})
    const {mover, ledger} = await pairMover(fake, moves(A, B, [40], fake))
    fake.onCommand = (line) => {
      if (line.startsWith('MIGRATE')) fake.setDown(B)
    }
    const err = await mover.run().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TargetUnreachableError)
    expect(mover.resultOf(40)).toMatchObject({outcome: 'open', state: 'streaming'})
    expect(ledger.get(40).state).toBe('failed')
    const afterDown = fake.log.slice(fake.log.findIndex((l) => / MIGRATE /.test(l)))
    expect(afterDown.filter((l) => l.startsWith('01 '))).toEqual([])
    expect(fake.count(A, 40) + fake.count(B, 40)).toBe(200)
  })
})
