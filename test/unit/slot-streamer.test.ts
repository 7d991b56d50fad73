// The fast path of step 3 against FakeCluster's ordered channel: one connection whose replies come
// in write order, a window of MIGRATEs in flight, listings that see what the MIGRATEs written
// before them left, and a halt on the first error with the slot not proven empty.
import {describe, expect, it} from 'vitest'
import {encodeCommand} from '../../src/cluster/encoded-command.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {BatchSizer} from '../../src/migration/key-mover.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../../src/migration/options.js'
import {LIST_CHUNK, PauseMeter, streamSlots} from '../../src/migration/slot-streamer.js'
import {StopControl} from '../../src/migration/stop-control.js'
import {slotRange} from '../../src/topology/slot-set.js'
import {FakeCluster, nodeId} from './fakes/fake-cluster.js'

const SRC = nodeId(0)
const DST = nodeId(1)

/** SRC owns slots 0-99 with the given keys, every one of them MIGRATING to DST (IMPORTING). */
function sourceWith(slotKeys: Record<number, number>): FakeCluster {
  const fake = new FakeCluster([slotRange(0, 99), slotRange(100, 199)], slotKeys)
  for (let s = 0; s < 100; s++) {
    fake.node(SRC).migrating.set(s, DST)
    fake.node(DST).importing.set(s, SRC)
  }
  return fake
}

const migrates = (fake: FakeCluster) => fake.log.filter((l) => / MIGRATE \d/.test(l))

function setup(fake: FakeCluster, o: Partial<EngineOptions> = {}) {
  const opts: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, batchKeys: 100, ...o}
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const stop = new StopControl()
  const moved = new Map<number, number>()
  const started: number[] = []
  const hooks = {
    onStart: (s: number) => started.push(s),
    moved: (s: number) => moved.get(s) ?? 0,
    addMoved: (s: number, n: number) => moved.set(s, (moved.get(s) ?? 0) + n),
  }
  const ctx = {admin: fake.admin(), from: SRC, to: DST, toLabel: 'dst', opts, bus, stop, throttle: async () => undefined}
  return {ctx, hooks, events, moved, started, stop, sizer: new BatchSizer(opts)}
}

describe('streamSlots (fast path of step 3)', () => {
  it('moves every key of every slot, never more than --pipeline batches queued, and proves each slot empty', async () => {
    const source = sourceWith({1: 250, 2: 0, 3: 1000, 7: 5})
    const {ctx, hooks, moved, started, sizer} = setup(source, {pipeline: 3})
    const proven = await streamSlots(ctx, [1, 2, 3, 7].map((slot) => ({slot, total: source.keysOf(SRC, slot)!.length})), sizer, hooks)
    expect([...proven].sort((a, b) => a - b)).toEqual([1, 2, 3, 7])
    for (const s of [1, 2, 3, 7]) expect(source.keysOf(SRC, s)).toEqual([])
    expect(source.count(DST, 3)).toBe(1000)
    expect(moved.get(3)).toBe(1000)
    expect(started).toEqual([1, 2, 3, 7])
    expect(source.maxQueuedMigrates).toBeLessThanOrEqual(3)
    expect(source.maxQueuedMigrates).toBeGreaterThan(1)
    // batches of at most 100 keys
    expect(migrates(source).every((l) => Number(l.split(' ')[2]) <= 100)).toBe(true)
  })

  it('a slot larger than one listing is listed again behind its batches', async () => {
    const source = sourceWith({9: LIST_CHUNK + 150})
    const {ctx, hooks, sizer} = setup(source, {batchKeys: 2000})
    const proven = await streamSlots(ctx, [{slot: 9, total: LIST_CHUNK + 150}], sizer, hooks)
    expect(proven.has(9)).toBe(true)
    expect(source.keysOf(SRC, 9)).toEqual([])
    expect(source.log.filter((l) => l.startsWith('00 GETKEYSINSLOT 9 ')).length).toBeGreaterThanOrEqual(3)
  })

  it('a failed batch halts the fast path after the batches in flight; its slot is not proven (it may have half succeeded)', async () => {
    const source = sourceWith({1: 300, 2: 300, 3: 300})
    source.failWhen = (_b, n) => (n === 4 ? {error: 'IOERR error or timeout reading to target instance', half: 40} : undefined)
    const {ctx, hooks, sizer} = setup(source, {pipeline: 2})
    const proven = await streamSlots(ctx, [1, 2, 3].map((slot) => ({slot, total: 300})), sizer, hooks)
    expect(proven.has(1)).toBe(true)
    expect(proven.has(2)).toBe(false)
    expect(proven.has(3)).toBe(false)
    // slot 2's keys were not all moved, slot 3 was never finished: the per-slot loop takes over
    expect(source.keysOf(SRC, 2)!.length + source.keysOf(SRC, 3)!.length).toBeGreaterThan(0)
    // at most the batches already in flight ran after the failed one
    expect(migrates(source).length).toBeLessThanOrEqual(4 + 1)
  })

  it('a stop (Ctrl-C) sends no further batch', async () => {
    const source = sourceWith({1: 1000, 2: 1000})
    const {ctx, hooks, sizer, stop} = setup(source, {pipeline: 2})
    let seen = 0
    ctx.bus.on((e) => {
      if (e.type === 'keys-moved' && ++seen === 2) stop.request('hard', 'SIGINT')
    })
    const proven = await streamSlots(ctx, [1, 2].map((slot) => ({slot, total: 1000})), sizer, hooks)
    expect(proven.size).toBe(0)
    expect(migrates(source).length).toBeLessThanOrEqual(4)
    expect(source.keysOf(SRC, 2)).toHaveLength(1000)
  })

  it('keys that vanished before they were moved (expired) still bring the slot to 100 %', async () => {
    const source = sourceWith({4: 50})
    const {ctx, hooks, events, sizer} = setup(source)
    const proven = await streamSlots(ctx, [{slot: 4, total: 80}], sizer, hooks)
    expect(proven.has(4)).toBe(true)
    const last = events.filter((e) => e.type === 'keys-moved').at(-1) as Extract<MigrationEvent, {type: 'keys-moved'}>
    expect(last.slotMoved).toBe(80)
    expect(last.slotTotal).toBe(80)
  })
})

describe('PauseMeter', () => {
  const opts = {...DEFAULT_ENGINE_OPTIONS, maxPauseMs: 10, initialBatchKeys: 1000}
  it('replies apart are separate pauses, each timed from when the server could start it', () => {
    const sizer = new BatchSizer(opts)
    const meter = new PauseMeter(sizer, 0)
    // back to back: each batch waited behind the one before, each took 5 ms for 1000 keys
    for (let i = 0; i < 8; i++) meter.reply(0, 1000, 5 + 5 * i)
    expect(sizer.keys).toBeGreaterThan(1500)
  })
})

describe('BatchSizer', () => {
  const opts = {...DEFAULT_ENGINE_OPTIONS, maxPauseMs: 10, initialBatchKeys: 100}
  it('grows toward the budget at the measured cost per key, at most 4x at a time', () => {
    const sizer = new BatchSizer(opts)
    sizer.observe(100, 1, 1) // 10 us per key
    expect(sizer.keys).toBe(400)
    for (let i = 0; i < 10; i++) sizer.observe(sizer.keys, 1, sizer.keys * 0.01)
    expect(sizer.keys).toBe(1000)
  })
  it("a slot's small last batch (the fixed cost of a MIGRATE over few keys) barely moves the size", () => {
    const sizer = new BatchSizer(opts)
    for (let i = 0; i < 10; i++) sizer.observe(sizer.keys, 1, sizer.keys * 0.01)
    sizer.observe(50, 1, 1.5) // 30 us per key
    expect(sizer.keys).toBeGreaterThan(800)
  })
})

describe('BatchSizer.next', () => {
  it('sends a full batch, or the whole rest when it exceeds a batch by at most a fifth', () => {
    const fixed = new BatchSizer({...DEFAULT_ENGINE_OPTIONS, batchKeys: 900})
    expect(fixed.next(1080)).toBe(900)
    const sizer = new BatchSizer({...DEFAULT_ENGINE_OPTIONS, initialBatchKeys: 900})
    expect(sizer.next(5000)).toBe(900)
    expect(sizer.next(1080)).toBe(1080)
    expect(sizer.next(1081)).toBe(900)
    expect(sizer.next(7)).toBe(7)
  })
})

describe('encodeCommand', () => {
  it('writes RESP multibulk with binary arguments byte for byte', () => {
    const key = Buffer.from([0xff, 0x00, 0x0d, 0x0a])
    const wire = encodeCommand(['MIGRATE', '127.0.0.1', '7001', '', '0', '5000', 'KEYS', key, 'é'])
    const expected = Buffer.concat([
      Buffer.from('*9\r\n$7\r\nMIGRATE\r\n$9\r\n127.0.0.1\r\n$4\r\n7001\r\n$0\r\n\r\n$1\r\n0\r\n$4\r\n5000\r\n$4\r\nKEYS\r\n$4\r\n'),
      key,
      Buffer.from('\r\n$2\r\n'),
      Buffer.from('é'),
      Buffer.from('\r\n'),
    ])
    expect(wire.equals(expected)).toBe(true)
  })

  it('writes lengths of every size (1 to 6 digits) and an exact-size buffer', () => {
    const args: Array<string | Buffer> = ['X']
    for (const n of [0, 9, 10, 99, 100, 999, 1000, 65536, 123457]) args.push(Buffer.alloc(n, 0x61))
    args.push('x'.repeat(10), 'ü'.repeat(50))
    const wire = encodeCommand(args)
    const expected = Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from('\r\n')])])
    expect(wire.length).toBe(expected.length)
    expect(wire.equals(expected)).toBe(true)
  })
})
