// The fast path of step 3 against a simulated source: one ordered connection whose replies come
// in write order, a window of MIGRATEs in flight, listings that see what the MIGRATEs written
// before them left, and a halt on the first error with the slot not proven empty.
import {describe, expect, it} from 'vitest'
import type {ClusterAdmin, MigrateBatch, MigrateOutcome, MigrationChannel} from '../../src/cluster/cluster-admin.js'
import {encodeCommand} from '../../src/cluster/encoded-command.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {BatchSizer} from '../../src/migration/key-mover.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../../src/migration/options.js'
import {LIST_CHUNK, PauseMeter, streamSlots} from '../../src/migration/slot-streamer.js'
import {StopControl} from '../../src/migration/stop-control.js'

type Op = {kind: 'migrate'; batch: MigrateBatch; resolve: (o: MigrateOutcome) => void} | {kind: 'list'; slot: number; count: number; resolve: (k: Buffer[]) => void}

/** A source whose slots hold keys; commands execute one at a time, in write order. */
class FakeSource {
  readonly keys = new Map<number, Map<string, Buffer>>()
  readonly target = new Map<number, Buffer[]>()
  readonly queue: Op[] = []
  maxQueuedMigrates = 0
  log: string[] = []
  /** Called before a MIGRATE executes; return an error text to fail it (after moving `half` keys). */
  failWhen?: (batch: MigrateBatch, n: number) => {error: string; half: number} | undefined
  private migrates = 0
  private running = false

  slots = {get: (slot: number) => [...(this.keys.get(slot)?.values() ?? [])]}

  constructor(slotKeys: Record<number, number>) {
    for (const [slot, n] of Object.entries(slotKeys)) {
      this.keys.set(Number(slot), new Map(Array.from({length: n}, (_, i) => [`{s${slot}}k${i}`, Buffer.from(`{s${slot}}k${i}`)])))
    }
  }

  private kick(): void {
    if (this.running) return
    this.running = true
    // execute asynchronously, like a server answering later
    setImmediate(() => {
      this.running = false
      const op = this.queue.shift()
      if (!op) return
      if (op.kind === 'list') {
        op.resolve([...(this.keys.get(op.slot)?.values() ?? [])].slice(0, op.count))
        this.log.push(`list ${op.slot}`)
      } else {
        const n = ++this.migrates
        const fail = this.failWhen?.(op.batch, n)
        const keys = fail ? op.batch.keys.slice(0, fail.half) : op.batch.keys
        for (const k of keys) {
          const slot = Number(/^\{s(\d+)\}/.exec(k.toString())![1])
          // a key already gone is skipped, as MIGRATE does (NOKEY)
          if (!this.keys.get(slot)!.delete(k.toString())) continue
          if (!this.target.has(slot)) this.target.set(slot, [])
          this.target.get(slot)!.push(k)
        }
        this.log.push(`migrate ${op.batch.keys.length}`)
        op.resolve(fail ? {ok: false, error: fail.error} : {ok: true, nokey: false})
      }
      this.kick()
    })
  }

  channel(): MigrationChannel {
    return {
      migrate: (batch) =>
        new Promise((resolve) => {
          this.queue.push({kind: 'migrate', batch, resolve})
          this.maxQueuedMigrates = Math.max(this.maxQueuedMigrates, this.queue.filter((o) => o.kind === 'migrate').length)
          this.kick()
        }),
      getKeys: (slot, count) =>
        new Promise((resolve) => {
          this.queue.push({kind: 'list', slot, count, resolve})
          this.kick()
        }),
    }
  }
}

function setup(source: FakeSource, o: Partial<EngineOptions> = {}) {
  const opts: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, batchKeys: 100, ...o}
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const stop = new StopControl()
  const admin = {channel: async () => source.channel()} as unknown as ClusterAdmin
  const moved = new Map<number, number>()
  const started: number[] = []
  const hooks = {
    onStart: (s: number) => started.push(s),
    moved: (s: number) => moved.get(s) ?? 0,
    addMoved: (s: number, n: number) => moved.set(s, (moved.get(s) ?? 0) + n),
  }
  const ctx = {admin, from: 'src', to: 'dst', toLabel: 'dst', opts, bus, stop, throttle: async () => undefined}
  return {ctx, hooks, events, moved, started, stop, sizer: new BatchSizer(opts)}
}

describe('streamSlots (fast path of step 3)', () => {
  it('moves every key of every slot, never more than --pipeline batches queued, and proves each slot empty', async () => {
    const source = new FakeSource({1: 250, 2: 0, 3: 1000, 7: 5})
    const {ctx, hooks, moved, started, sizer} = setup(source, {pipeline: 3})
    const proven = await streamSlots(ctx, [1, 2, 3, 7].map((slot) => ({slot, total: source.slots.get(slot)!.length})), sizer, hooks)
    expect([...proven].sort((a, b) => a - b)).toEqual([1, 2, 3, 7])
    for (const s of [1, 2, 3, 7]) expect(source.slots.get(s)).toEqual([])
    expect(source.target.get(3)).toHaveLength(1000)
    expect(moved.get(3)).toBe(1000)
    expect(started).toEqual([1, 2, 3, 7])
    expect(source.maxQueuedMigrates).toBeLessThanOrEqual(3)
    expect(source.maxQueuedMigrates).toBeGreaterThan(1)
    // batches of at most 100 keys
    expect(source.log.filter((l) => l.startsWith('migrate')).every((l) => Number(l.split(' ')[1]) <= 100)).toBe(true)
  })

  it('a slot larger than one listing is listed again behind its batches', async () => {
    const source = new FakeSource({9: LIST_CHUNK + 150})
    const {ctx, hooks, sizer} = setup(source, {batchKeys: 2000})
    const proven = await streamSlots(ctx, [{slot: 9, total: LIST_CHUNK + 150}], sizer, hooks)
    expect(proven.has(9)).toBe(true)
    expect(source.slots.get(9)).toEqual([])
    expect(source.log.filter((l) => l === 'list 9').length).toBeGreaterThanOrEqual(3)
  })

  it('a failed batch halts the fast path after the batches in flight; its slot is not proven (it may have half succeeded)', async () => {
    const source = new FakeSource({1: 300, 2: 300, 3: 300})
    source.failWhen = (_b, n) => (n === 4 ? {error: 'IOERR error or timeout reading to target instance', half: 40} : undefined)
    const {ctx, hooks, sizer} = setup(source, {pipeline: 2})
    const proven = await streamSlots(ctx, [1, 2, 3].map((slot) => ({slot, total: 300})), sizer, hooks)
    expect(proven.has(1)).toBe(true)
    expect(proven.has(2)).toBe(false)
    expect(proven.has(3)).toBe(false)
    // slot 2's keys were not all moved, slot 3 was never finished: the per-slot loop takes over
    expect(source.slots.get(2)!.length + source.slots.get(3)!.length).toBeGreaterThan(0)
    // at most the batches already in flight ran after the failed one
    const migrates = source.log.filter((l) => l.startsWith('migrate')).length
    expect(migrates).toBeLessThanOrEqual(4 + 1)
  })

  it('a stop (Ctrl-C) sends no further batch', async () => {
    const source = new FakeSource({1: 1000, 2: 1000})
    const {ctx, hooks, sizer, stop} = setup(source, {pipeline: 2})
    let seen = 0
    ctx.bus.on((e) => {
      if (e.type === 'keys-moved' && ++seen === 2) stop.request('hard', 'SIGINT')
    })
    const proven = await streamSlots(ctx, [1, 2].map((slot) => ({slot, total: 1000})), sizer, hooks)
    expect(proven.size).toBe(0)
    const migrates = source.log.filter((l) => l.startsWith('migrate')).length
    expect(migrates).toBeLessThanOrEqual(4)
    expect(source.slots.get(2)).toHaveLength(1000)
  })

  it('keys that vanished before they were moved (expired) still bring the slot to 100 %', async () => {
    const source = new FakeSource({4: 50})
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
