// What the engine unit tests share: a FakeCluster of primaries, the run's bus with every event
// recorded, and a PairMover wired as the executor wires it (one ledger, one finalize gate).
import {EventBus, type MigrationEvent} from '../../../src/events/events.js'
import {FinalizeGate} from '../../../src/migration/finalize-gate.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../../../src/migration/options.js'
import {PairMover} from '../../../src/migration/pair-mover.js'
import type {ClassifiedMove} from '../../../src/migration/preflight.js'
import {SlotLedger} from '../../../src/migration/slot-ledger.js'
import {StopControl} from '../../../src/migration/stop-control.js'
import {slotRange} from '../../../src/topology/slot-set.js'
import type {Topology} from '../../../src/topology/topology.js'
import {FakeCluster, nodeId} from './fake-cluster.js'

export const A = nodeId(0)
export const B = nodeId(1)
export const C = nodeId(2)
export const D = nodeId(3)

/** Fast engine options for an in-memory cluster: small batches, short deadlines. */
export const FAST: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, batchKeys: 100, verifyDeadlineMs: 2000}

/** `n` primaries, node i owning slots i*100 .. i*100+99, with the given keys per slot. */
export function primaries(n: number, keys: Record<number, number> = {}): FakeCluster {
  return new FakeCluster(
    Array.from({length: n}, (_, i) => slotRange(i * 100, i * 100 + 99)),
    keys,
  )
}

export function recorder() {
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const statesOf = (slot: number) => events.filter((e) => e.type === 'slot-state' && e.slot === slot).map((e) => (e as {state: string}).state)
  return {bus, events, statesOf}
}

export function moves(from: string, to: string, slots: number[], fake: FakeCluster, resume: ClassifiedMove['resume'] = 'fresh'): ClassifiedMove[] {
  return slots.map((slot) => ({slot, from, to, resume, keys: fake.count(from, slot)}))
}

/** A PairMover on the fake, as executeMoves builds one. */
export async function pairMover(fake: FakeCluster, ms: ClassifiedMove[], o: Partial<EngineOptions> = {}, stop = new StopControl()) {
  const admin = fake.admin()
  let topology: Topology = await admin.refresh()
  fake.log.length = 0
  const rec = recorder()
  const ledger = new SlotLedger(rec.bus)
  const gate = new FinalizeGate(admin, () => topology, 2000, 1)
  const from = ms[0]!.from
  const to = ms[0]!.to
  const mover = new PairMover(
    {admin, bus: rec.bus, opts: {...FAST, ...o}, stop, from, to, fromLabel: 'src', toLabel: 'dst', topology: () => topology, throttle: async () => undefined, gate, ledger},
    ms,
  )
  const refresh = async () => (topology = await admin.refresh())
  return {mover, ledger, stop, refresh, ...rec}
}
