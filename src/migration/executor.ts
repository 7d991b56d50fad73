// Executes a list of moves: pairs that share no node run concurrently (up to `parallel`),
// pairs that share a node run one after another. When one pair fails, the others finish the
// slots they have opened and start no new ones. What became of each slot is kept by one
// SlotLedger (slot-ledger.ts): the result, the open slots and the outcome are read from it.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import {AsmError, LeftOpenError, ReshardError, type OpenSlot} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {nameOf, type Topology} from '../topology/topology.js'
import type {EngineOptions} from './options.js'
import {AtomicMover} from './atomic-mover.js'
import {FinalizeGate} from './finalize-gate.js'
import type {PairMechanism} from './mechanism.js'
import {groupPairs, pairKey, type Pair as PlannedPair} from '../planner/pairs.js'
import {PairMover} from './pair-mover.js'
import type {ClassifiedMove, MoveSpec} from './preflight.js'
import type {StopControl} from './stop-control.js'
import {SlotLedger, type RunSlotResult} from './slot-ledger.js'
import type {PairStrategy} from './strategy.js'
import {readUntil} from '../cluster/poll.js'

export type {RunSlotResult}

export interface RunResult {
  ok: boolean
  slots: RunSlotResult[]
  skipped: Array<MoveSpec & {reason: string}>
  keys: number
  ms: number
  keysPerSecond: number
  /** Every node agrees on the new owners. */
  verified: boolean
  open: OpenSlot[]
  error?: ReshardError
}

type Pair = PlannedPair<ClassifiedMove>

/** The default parallelism: as many as there are disjoint pairs, at most 4. */
export function defaultParallel(moves: readonly MoveSpec[]): number {
  const pairs = groupPairs(moves.map((m) => ({...m, resume: 'fresh' as const})))
  const used = new Set<string>()
  let n = 0
  for (const p of pairs) {
    if (used.has(p.from) || used.has(p.to)) continue
    used.add(p.from)
    used.add(p.to)
    n++
  }
  return Math.max(1, Math.min(4, n))
}

function makeThrottle(opts: EngineOptions): (keys: number) => Promise<void> {
  if (!opts.maxKeysPerSecond || opts.maxKeysPerSecond <= 0) return async () => undefined
  const rate = opts.maxKeysPerSecond
  const start = Date.now()
  let sent = 0
  return async (keys: number) => {
    sent += keys
    const due = start + (sent / rate) * 1000
    const wait = due - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
}

/** run-started: the pairs with their slots, keys and mechanism, and the names of their nodes. */
function announce(bus: EventBus, pairs: Pair[], mechanism: (p: Pair) => 'legacy' | 'atomic', label: (id: string) => string, dryRun: boolean, parallel: number): void {
  const keysOf = (ms: readonly MoveSpec[]) => ms.reduce((a, m) => a + (m.keys ?? 0), 0)
  bus.emit({
    type: 'run-started',
    moves: pairs.reduce((a, x) => a + x.moves.length, 0),
    pairs: pairs.map((x) => ({from: x.from, to: x.to, slots: x.moves.length, keys: keysOf(x.moves), mechanism: mechanism(x)})),
    nodes: Object.fromEntries([...new Set(pairs.flatMap((x) => [x.from, x.to]))].map((id) => [id, label(id)])),
    keys: pairs.reduce((a, x) => a + keysOf(x.moves), 0),
    dryRun,
    parallel,
  })
}

/**
 * Runs the pairs, at most `parallel` at once and never two that share a node; once a stop is
 * asked (a pair failed: soft; Ctrl-C: hard) no pair is started. Returns the first pair's error.
 */
async function runPairs(pairs: Pair[], parallel: number, stop: StopControl, strategyFor: (p: Pair) => PairStrategy): Promise<ReshardError | undefined> {
  const busy = new Set<string>()
  const waiting = [...pairs]
  let firstError: ReshardError | undefined
  await new Promise<void>((resolve) => {
    let running = 0
    const pump = () => {
      while (running < parallel && !stop.soft) {
        const i = waiting.findIndex((x) => !busy.has(x.from) && !busy.has(x.to))
        if (i < 0) break
        const pair = waiting.splice(i, 1)[0]!
        busy.add(pair.from)
        busy.add(pair.to)
        running++
        strategyFor(pair)
          .run()
          .then(
            () => undefined,
            (e: unknown) => {
              const err = e instanceof ReshardError ? e : new ReshardError('unexpected', e instanceof Error ? e.message : String(e), 1)
              firstError ??= err
              stop.request('soft', err.message)
            },
          )
          .finally(() => {
            busy.delete(pair.from)
            busy.delete(pair.to)
            running--
            if (running === 0 && (waiting.length === 0 || stop.soft)) resolve()
            else pump()
          })
      }
      if (running === 0) resolve()
    }
    pump()
  })
  return firstError
}

/** Polls until every reachable node names each done slot's target as its owner (gossip lags); `seen` gets each fresh topology. */
async function verifyOwners(admin: ClusterAdmin, done: readonly RunSlotResult[], opts: EngineOptions, stop: StopControl, bus: EventBus, seen: (t: Topology) => void): Promise<boolean> {
  if (admin.dryRun || done.length === 0) return true
  const wrongOwners = async () => {
    const topology = await admin.refresh()
    seen(topology)
    return done.filter((r) => topology.owners[r.slot] !== r.to || topology.disagreements.some((d) => d.slots.includes(r.slot)))
  }
  // the second Ctrl-C (stop.now) gives up at once: report now, `check` confirms later
  const r = await readUntil(wrongOwners, (wrong) => wrong.length === 0, {deadlineMs: opts.verifyDeadlineMs, stop: () => stop.now})
  if (!r.done && !stop.now) bus.emit({type: 'warning', message: `after ${opts.verifyDeadlineMs} ms, nodes still disagree on the owner of ${r.value.length} slot(s); run \`reshard check\``})
  return r.done
}

/** Run every pair, verify the owners, report (a little over 60 lines: announce, run, verify,
 *  result and error are each one call; what is left is the run's shared state). */
export async function executeMoves(p: {
  admin: ClusterAdmin
  topology: Topology
  todo: ClassifiedMove[]
  skipped: Array<MoveSpec & {reason: string}>
  opts: EngineOptions
  bus: EventBus
  stop: StopControl
  /** The mechanism per pair (pairKey); a pair not listed moves by legacy. */
  mechanisms?: ReadonlyMap<string, PairMechanism>
  /** The ledger to keep the slots in (a caller that reads it while the run goes on); a new one on `bus` when absent. */
  ledger?: SlotLedger
}): Promise<RunResult> {
  const {admin, opts, bus, stop} = p
  const mechanismOf = (from: string, to: string): PairMechanism => p.mechanisms?.get(pairKey(from, to)) ?? {from, to, mechanism: 'legacy'}
  let topology = p.topology
  const started = Date.now()
  const pairs = groupPairs(p.todo)
  const todo = new Set(p.todo.map((m) => m.slot))
  const label = (id: string) => nameOf(topology, id)
  announce(bus, pairs, (x) => mechanismOf(x.from, x.to).mechanism, label, admin.dryRun, opts.parallel)
  for (const s of p.skipped) bus.emit({type: 'slot-skipped', slot: s.slot, reason: s.reason})

  const throttle = makeThrottle(opts)
  // legacy finalizations, one at a time across pairs (epoch safety; see finalize-gate.ts)
  const gate = new FinalizeGate(admin, () => topology)
  // every slot is in the ledger from the start: a pair never started leaves its slots pending
  const ledger = p.ledger ?? new SlotLedger(bus)
  for (const pair of pairs) ledger.add(pair.moves, mechanismOf(pair.from, pair.to).mechanism)
  const timer = setTimeout(() => stop.request('hard', `the run exceeded --migration-timeout (${opts.migrationTimeoutMs} ms)`), opts.migrationTimeoutMs)
  timer.unref()

  const strategyFor = (pair: Pair): PairStrategy => {
    const m = mechanismOf(pair.from, pair.to)
    const base = {admin, bus, opts, stop, ledger, from: pair.from, to: pair.to, fromLabel: label(pair.from), toLabel: label(pair.to)}
    if (m.mechanism === 'atomic' && m.flavour) return new AtomicMover({...base, flavour: m.flavour}, pair.moves)
    return new PairMover({...base, topology: () => topology, throttle, gate}, pair.moves)
  }

  const firstError = await runPairs(pairs, opts.parallel, stop, strategyFor)
  clearTimeout(timer)

  // pairs never started are still pending in the ledger: not started
  const results = ledger.results(p.todo.map((m) => m.slot))

  // 5. Verify: every reachable node names the target as owner (polled: gossip lags).
  const done = results.filter((r) => r.outcome === 'done')
  const verified = await verifyOwners(admin, done, opts, stop, bus, (t) => (topology = t))

  const open: OpenSlot[] = ledger.open(label).filter((o) => todo.has(o.slot))
  const keys = results.reduce((a, r) => a + r.keys, 0)
  const ms = Date.now() - started
  // A stop that came after the last slot was done (Ctrl-C while a fast atomic task finished)
  // found nothing left to stop: every slot done with no error is a success, whatever was asked.
  const ok = !firstError && results.every((r) => r.outcome === 'done')
  const keysPerSecond = ms > 0 ? Math.round((keys * 1000) / ms) : 0
  bus.emit({
    type: 'run-finished',
    ok,
    dryRun: admin.dryRun,
    slotsDone: done.length,
    slotsSkipped: p.skipped.length,
    slotsFailed: results.filter((r) => r.outcome !== 'done').length,
    keys,
    ms,
    keysPerSecond,
  })
  return {ok, slots: results, skipped: p.skipped, keys, ms, keysPerSecond, verified, open, error: runError(ok, firstError, stop, open)}
}

/** The run's error: the first pair's, naming what is left open; a stop's when nothing failed. */
function runError(ok: boolean, firstError: ReshardError | undefined, stop: StopControl, open: OpenSlot[]): ReshardError | undefined {
  if (!ok && !firstError) return new LeftOpenError('stopped', stop.reason ?? 'the run stopped', open)
  // An atomic task that failed was rolled back by the server: with nothing open, its own error
  // (and exit code) stands.
  if (firstError && !(firstError instanceof LeftOpenError) && !(firstError instanceof AsmError && open.length === 0)) {
    return new LeftOpenError(firstError.kind, firstError.message, open, undefined, firstError.hint)
  }
  return firstError
}
