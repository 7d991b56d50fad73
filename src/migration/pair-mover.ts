// Moves the slots of one source -> target pair (the protocol, docs/architecture.md "Safety rules"), in waves (waves.ts):
// each wave is opened (IMPORTING, MIGRATING), streamed, and finalized; waves overlap. Every slot's
// state, keys and error are written to the run's SlotLedger, which emits the slot events.
import {TargetUnreachableError} from '../errors.js'
import type {Topology} from '../topology/topology.js'
import {BatchSizer, moveSlotKeys} from './key-mover.js'
import {streamSlots} from './slot-streamer.js'
import type {EngineOptions} from './options.js'
import type {ClassifiedMove} from './preflight.js'
import type {FinalizeGate} from './finalize-gate.js'
import {checkNoLoss, finalizeSlots, type FinalizeCtx} from './finalizer.js'
import {SlotLedger, type SlotResult} from './slot-ledger.js'
import {isTerminal} from './slot-state.js'
import type {PairContext, PairStrategy} from './strategy.js'
import {closeUnstreamed, groupWaves} from './waves.js'

import {SlotError} from './key-mover.js'
export {SlotError}
export type {SlotOutcome, SlotResult} from './slot-ledger.js'

interface Ctx extends PairContext {
  opts: EngineOptions
  topology: () => Topology
  /** Shared rate limiter across pairs. */
  throttle: (keys: number) => Promise<void>
  /** Shared across pairs: finalizations one at a time, epoch-safe. */
  gate: FinalizeGate
  /** The run's ledger (the mover registers its slots when they are not yet); its own when absent. */
  ledger?: SlotLedger
}

export class PairMover implements PairStrategy {
  /** One measured batch size for the whole pair: what was learned on one slot serves the next. */
  private readonly sizer: BatchSizer
  private readonly ledger: SlotLedger

  constructor(
    private readonly ctx: Ctx,
    private readonly moves: readonly ClassifiedMove[],
  ) {
    this.sizer = new BatchSizer(ctx.opts)
    this.ledger = ctx.ledger ?? new SlotLedger(ctx.bus)
    this.ledger.add(moves, 'legacy')
  }

  resultOf(slot: number): SlotResult {
    return this.ledger.result(slot)
  }

  private results(): SlotResult[] {
    return this.ledger.results(this.moves.map((m) => m.slot))
  }

  private setState(slot: number, state: 'importing' | 'migrating' | 'streaming' | 'finalizing' | 'complete', keysTotal: number): void {
    this.ledger.enter(slot, state, keysTotal)
  }

  private fail(slot: number, error: string): void {
    this.ledger.fail(slot, error)
  }

  /**
   * One function of ~70 lines on purpose: the three overlapping stages (open i+1, stream i,
   * finalize i-1) share their promises, and every way out (failure, Ctrl-C, soft stop, an
   * unreachable target) must settle the same ones in the same order.
   */
  async run(): Promise<SlotResult[]> {
    const {stop} = this.ctx
    const waves = groupWaves(this.moves, this.ctx.opts)
    // Waves overlap: wave i+1 is opened while wave i streams, and streams while wave i is
    // finalized (SETSLOT rounds cost an fsync each on the nodes, and the source would sit idle
    // meanwhile). Waves are finalized strictly in order.
    let finalizing: Promise<void> = Promise.resolve()
    let finalizeError: {e: unknown} | undefined
    const settle = async () => {
      await finalizing.catch(() => undefined)
      if (finalizeError) throw finalizeError.e
    }
    try {
      let opening: Promise<void> | undefined = waves[0] ? this.open(waves[0]) : undefined
      for (let i = 0; i < waves.length && opening; i++) {
        const wave = waves[i]!
        try {
          await opening
        } catch (e) {
          await settle()
          throw e
        }
        if (finalizeError) {
          // the wave before failed to finalize: stream no more
          await closeUnstreamed(this.ctx, this.ledger, wave)
          throw finalizeError.e
        }
        const next = !stop.soft && waves[i + 1] ? this.open(waves[i + 1]!) : undefined
        next?.catch(() => undefined)
        // a slot that failed comes back as `failure` with the slots streamed before it; anything
        // else thrown (a lost connection before the first slot) streamed nothing
        const {streamed, failure} = await this.stream(wave).catch((e: unknown) => ({streamed: [] as ClassifiedMove[], failure: e}))
        // A target that stopped answering gets no more commands: what is open stays open for
        // `recover` (waiting on it would only hang the run).
        if (failure instanceof TargetUnreachableError) {
          await finalizing.catch(() => undefined)
          throw failure
        }
        finalizing = finalizing.then(() => this.finalize(streamed))
        finalizing.catch((e: unknown) => {
          finalizeError ??= {e}
        })
        if (stop.hard || failure) {
          // opened but never streamed (Ctrl-C, or a failure in this wave): close them again
          await finalizing.catch(() => undefined)
          await closeUnstreamed(this.ctx, this.ledger, wave)
          if (next) {
            await next.catch(() => undefined)
            await closeUnstreamed(this.ctx, this.ledger, waves[i + 1]!)
          }
          if (failure) throw failure
          await settle()
          break
        }
        // soft stop: a wave already opened is still streamed, no new one is opened
        opening = next
      }
      await settle()
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      // every slot still on its way failed with the pair (one already failed keeps its own error)
      for (const m of this.moves) if (this.ledger.state(m.slot) !== 'pending' && !isTerminal(this.ledger.state(m.slot))) this.fail(m.slot, msg)
      throw e
    }
    return this.results()
  }

  /** Steps 1-2: IMPORTING on the target first (it must accept ASKING clients before the source redirects), then MIGRATING on the source. */
  private async open(wave: ClassifiedMove[]): Promise<void> {
    const {admin, from, to} = this.ctx
    const toOpen = wave.filter((m) => m.resume !== 'target-owns')
    if (toOpen.length > 0) {
      const r1 = await admin.setSlots(to, toOpen.map((m) => ({slot: m.slot, action: 'importing' as const, nodeId: from})))
      if (r1.some((e) => e !== undefined)) await this.closeAccepted(toOpen.filter((_, i) => r1[i] === undefined))
      this.checkSetSlot(toOpen, r1, 'IMPORTING', this.ctx.toLabel)
    }
    for (const m of wave) this.setState(m.slot, 'importing', m.keys ?? 0)
    // MIGRATING and a fresh count in one round trip: once a slot is MIGRATING the source can
    // gain no new key of it, so a count of 0 here means there is nothing to stream.
    const [r2, counts] = await Promise.all([
      toOpen.length > 0 ? admin.setSlots(from, toOpen.map((m) => ({slot: m.slot, action: 'migrating' as const, nodeId: to}))) : Promise.resolve([]),
      admin.countKeys(from, wave.map((m) => m.slot)),
    ])
    if (toOpen.length > 0) this.checkSetSlot(toOpen, r2, 'MIGRATING', this.ctx.fromLabel)
    wave.forEach((m, i) => {
      m.keys = counts[i]!
      this.setState(m.slot, 'migrating', m.keys)
    })
  }

  /**
   * Step 3 for every slot of the wave; returns the slots that are now empty on the source. The
   * fast path streams them all back to back; a slot it could not prove empty goes through the
   * careful per-slot loop, which starts with a fresh listing and handles every error case.
   */
  /** Stream a wave's slots in order; stops at the first failed slot and returns it as `failure`. */
  private async stream(wave: ClassifiedMove[]): Promise<{streamed: ClassifiedMove[]; failure?: unknown}> {
    const {admin, from, to, opts, bus, stop, toLabel, throttle} = this.ctx
    let proven = new Set<number>()
    let fastError: unknown
    try {
      proven = await streamSlots(
        {admin, from, to, toLabel, opts, bus, stop, throttle},
        wave.filter((m) => (m.keys ?? 0) > 0).map((m) => ({slot: m.slot, total: m.keys!})),
        this.sizer,
        {
          onStart: (slot) => this.setState(slot, 'streaming', this.ledger.keys(slot)),
          moved: (slot) => this.ledger.keys(slot),
          addMoved: (slot, n) => this.ledger.addKeys(slot, n),
        },
      )
    } catch (e) {
      fastError = e
    }
    const streamed: ClassifiedMove[] = []
    for (const m of wave) {
      if (stop.hard) break
      this.setState(m.slot, 'streaming', m.keys ?? 0)
      if (m.keys === 0 || proven.has(m.slot)) {
        streamed.push(m)
        continue
      }
      try {
        if (fastError !== undefined) throw fastError
        if (await this.streamSlot(m.slot, m.keys ?? 0)) streamed.push(m)
        else break
      } catch (e) {
        this.fail(m.slot, e instanceof Error ? e.message : String(e))
        stop.request('soft', `slot ${m.slot} failed`)
        // slots after it that the fast path proved empty are finalized all the same
        for (const later of wave.slice(wave.indexOf(m) + 1)) if (proven.has(later.slot)) streamed.push(later)
        return {streamed, failure: e}
      }
    }
    return {streamed}
  }

  /**
   * The target refused IMPORTING for some slots of a wave: the ones it accepted are IMPORTING there
   * with nothing MIGRATING on the source, so no client was sent to the target and it holds none of
   * their keys. Close them again (STABLE); one that cannot be closed is recorded as importing, so
   * the run reports it open for `recover`.
   */
  private async closeAccepted(accepted: ClassifiedMove[]): Promise<void> {
    if (accepted.length === 0) return
    const {admin, to} = this.ctx
    const closed = await admin.setSlots(to, accepted.map((m) => ({slot: m.slot, action: 'stable' as const}))).catch((e: unknown) => accepted.map(() => String(e)))
    accepted.forEach((m, i) => {
      if (closed[i] !== undefined) this.setState(m.slot, 'importing', m.keys ?? 0)
    })
  }

  private checkSetSlot(moves: ClassifiedMove[], replies: Array<string | undefined>, what: string, nodeLabel: string): void {
    const bad = replies.map((e, i) => ({e, m: moves[i]!})).filter((x) => x.e !== undefined)
    if (bad.length === 0) return
    for (const b of bad) this.fail(b.m.slot, `SETSLOT ${what} on ${nodeLabel}: ${b.e}`)
    throw new SlotError(
      'setslot_failed',
      `CLUSTER SETSLOT ${bad[0]!.m.slot} ${what} on ${nodeLabel} failed: ${bad[0]!.e}`,
      'run `reshard check` to see the slot states, then `reshard recover`',
    )
  }

  /** Move every key of the slot. Returns false when stopped (hard) before the slot was empty. */
  private async streamSlot(slot: number, total: number): Promise<boolean> {
    const {admin, from, to, opts, bus, stop} = this.ctx
    const moved = await moveSlotKeys({admin, from, to, toLabel: this.ctx.toLabel, opts, bus, stop, throttle: this.ctx.throttle}, slot, total, this.ledger.keys(slot), this.sizer)
    if (moved === false) return false
    this.ledger.setKeys(slot, moved)
    return true
  }

  /** Step 4: NODE on the target first (it bumps its epoch), then the source, then all other primaries. */
  private async finalize(moves: ClassifiedMove[]): Promise<void> {
    if (moves.length === 0) return
    const {admin, from} = this.ctx
    const left = await admin.countKeys(from, moves.map((m) => m.slot))
    const ready = moves.filter((_, i) => left[i] === 0)
    for (const m of moves.filter((_, i) => left[i] !== 0)) {
      this.fail(m.slot, `source still holds ${left[moves.indexOf(m)]} key(s) of slot ${m.slot}; not finalized`)
    }
    if (ready.length === 0) return
    for (const m of ready) this.setState(m.slot, 'finalizing', this.ledger.keys(m.slot))
    const fctx: FinalizeCtx = {...this.ctx, moved: (slot) => this.ledger.keys(slot)}
    const okMoves = await finalizeSlots(fctx, ready, (slot, error) => this.fail(slot, error))
    if (okMoves.length === 0) return
    await checkNoLoss(fctx, okMoves)
    // complete: the ledger emits slot-done with the keys and the time since the slot was opened
    for (const m of okMoves) this.setState(m.slot, 'complete', this.ledger.keys(m.slot))
  }
}
