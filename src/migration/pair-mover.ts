// Moves the slots of one source -> target pair (the protocol, docs/architecture.md "Safety rules"), in waves: small slots
// are opened, streamed and finalized together so one round trip serves many slots; a slot with
// many keys forms a wave of its own.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import {TargetUnreachableError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import type {Topology} from '../topology/topology.js'
import {BatchSizer, moveSlotKeys} from './key-mover.js'
import {streamSlots} from './slot-streamer.js'
import type {EngineOptions} from './options.js'
import type {ClassifiedMove} from './preflight.js'
import type {FinalizeGate} from './finalize-gate.js'
import {checkNoLoss, finalizeSlots, type FinalizeCtx} from './finalizer.js'
import {SlotMachine, type SlotState} from './slot-state.js'
import type {StopControl} from './stop-control.js'
import type {PairStrategy} from './strategy.js'

import {SlotError} from './key-mover.js'
export {SlotError}

export type SlotOutcome = 'done' | 'failed' | 'open' | 'not-started'

export interface SlotResult {
  slot: number
  from: string
  to: string
  outcome: SlotOutcome
  state: SlotState
  keys: number
  error?: string
}

interface Ctx {
  admin: ClusterAdmin
  bus: EventBus
  opts: EngineOptions
  stop: StopControl
  from: string
  to: string
  fromLabel: string
  toLabel: string
  topology: () => Topology
  /** Shared rate limiter across pairs. */
  throttle: (keys: number) => Promise<void>
  /** Shared across pairs: finalizations one at a time, epoch-safe. */
  gate: FinalizeGate
}

export class PairMover implements PairStrategy {
  private machines = new Map<number, SlotMachine>()
  /** One measured batch size for the whole pair: what was learned on one slot serves the next. */
  private readonly sizer: BatchSizer
  private results = new Map<number, SlotResult>()
  /** When each slot left 'pending' (opened), for slot-done.ms. */
  private openedAt = new Map<number, number>()

  constructor(
    private readonly ctx: Ctx,
    private readonly moves: readonly ClassifiedMove[],
  ) {
    this.sizer = new BatchSizer(ctx.opts)
    for (const m of moves) {
      this.machines.set(m.slot, new SlotMachine(m.slot))
      this.results.set(m.slot, {slot: m.slot, from: m.from, to: m.to, outcome: 'not-started', state: 'pending', keys: 0})
    }
  }

  resultOf(slot: number): SlotResult {
    return this.results.get(slot)!
  }

  private setState(slot: number, state: SlotState, keysTotal: number): void {
    const m = this.machines.get(slot)!
    if (m.state === state) return
    if (m.state === 'pending') this.openedAt.set(slot, Date.now())
    m.to(state)
    const r = this.results.get(slot)!
    r.state = state
    if (state !== 'pending') r.outcome = state === 'complete' ? 'done' : state === 'failed' ? 'failed' : state === 'aborted' ? 'not-started' : 'open'
    this.ctx.bus.emit({type: 'slot-state', slot, from: this.ctx.from, to: this.ctx.to, state, keysTotal})
  }

  private fail(slot: number, error: string): void {
    const m = this.machines.get(slot)!
    const r = this.results.get(slot)!
    r.error = error
    // A slot that failed after it was opened stays open in the cluster: report it as open.
    r.outcome = m.state === 'pending' ? 'failed' : 'open'
    this.ctx.bus.emit({type: 'slot-failed', slot, from: this.ctx.from, to: this.ctx.to, state: m.state, error})
  }

  /** Slots grouped into waves by their key counts (known from preflight). */
  private waves(): ClassifiedMove[][] {
    const {opts} = this.ctx
    const out: ClassifiedMove[][] = []
    let cur: ClassifiedMove[] = []
    let sum = 0
    for (const m of this.moves) {
      cur.push(m)
      sum += m.keys ?? 0
      if (sum >= opts.waveKeys || cur.length >= opts.waveSlots) {
        out.push(cur)
        cur = []
        sum = 0
      }
    }
    if (cur.length > 0) out.push(cur)
    return out
  }

  async run(): Promise<SlotResult[]> {
    const {stop} = this.ctx
    const waves = this.waves()
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
          await this.closeUnstreamed(wave)
          throw finalizeError.e
        }
        const next = !stop.soft && waves[i + 1] ? this.open(waves[i + 1]!) : undefined
        next?.catch(() => undefined)
        let streamed: ClassifiedMove[] = []
        let failure: unknown
        try {
          streamed = await this.stream(wave)
        } catch (e) {
          failure = e
          streamed = (e as {streamed?: ClassifiedMove[]}).streamed ?? []
        }
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
          await this.closeUnstreamed(wave)
          if (next) {
            await next.catch(() => undefined)
            await this.closeUnstreamed(waves[i + 1]!)
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
      for (const [slot, m] of this.machines) if (m.state !== 'complete' && m.state !== 'aborted' && !this.results.get(slot)!.error && m.state !== 'pending') this.fail(slot, msg)
      throw e
    }
    return [...this.results.values()]
  }

  /** Steps 1-2: IMPORTING on the target first (it must accept ASKING clients before the source redirects), then MIGRATING on the source. */
  private async open(wave: ClassifiedMove[]): Promise<void> {
    const {admin, from, to} = this.ctx
    const toOpen = wave.filter((m) => m.resume !== 'target-owns')
    if (toOpen.length > 0) {
      const r1 = await admin.setSlots(to, toOpen.map((m) => ({slot: m.slot, action: 'importing' as const, nodeId: from})))
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
  private async stream(wave: ClassifiedMove[]): Promise<ClassifiedMove[]> {
    const {admin, from, to, opts, bus, stop, toLabel, throttle} = this.ctx
    let proven = new Set<number>()
    let fastError: unknown
    try {
      proven = await streamSlots(
        {admin, from, to, toLabel, opts, bus, stop, throttle},
        wave.filter((m) => (m.keys ?? 0) > 0).map((m) => ({slot: m.slot, total: m.keys!})),
        this.sizer,
        {
          onStart: (slot) => this.setState(slot, 'streaming', this.results.get(slot)!.keys),
          moved: (slot) => this.results.get(slot)!.keys,
          addMoved: (slot, n) => {
            this.results.get(slot)!.keys += n
          },
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
        throw Object.assign(e as object, {streamed})
      }
    }
    return streamed
  }

  /**
   * After Ctrl-C (or a failure): slots of the wave that were opened but not streamed are closed
   * again, in an order that keeps every key readable and never lets a write fork a second copy
   * (issue 11: one rule for every way a run stops). While the source is MIGRATING, clients write
   * new keys of the slot on the target (ASK): so a slot with keys on the target is left open as
   * it is (a consistent live migration, for `recover` or a re-run). A slot without is closed on
   * the TARGET first (it stops taking ASKING writes; a write redirected meanwhile bounces back to
   * the source, which redirects it again, and lands nowhere), then counted again: still empty,
   * the source is made STABLE; a key that landed in between reopens the target (IMPORTING) and
   * the slot stays open. Never is the source made STABLE while a key of the slot may be on the target.
   */
  private async closeUnstreamed(wave: ClassifiedMove[]): Promise<void> {
    const {admin, from, to} = this.ctx
    const idle = wave.filter((m) => this.machines.get(m.slot)!.state === 'migrating' && m.resume === 'fresh')
    if (idle.length === 0) return
    try {
      const first = await admin.countKeys(to, idle.map((m) => m.slot))
      const empty = idle.filter((_, i) => first[i] === 0)
      if (empty.length === 0) return
      const closed = await admin.setSlots(to, empty.map((m) => ({slot: m.slot, action: 'stable' as const})))
      const shut = empty.filter((_, i) => closed[i] === undefined)
      if (shut.length === 0) return
      const again = await admin.countKeys(to, shut.map((m) => m.slot))
      const clean = shut.filter((_, i) => again[i] === 0)
      const raced = shut.filter((_, i) => again[i] !== 0)
      if (raced.length > 0) await admin.setSlots(to, raced.map((m) => ({slot: m.slot, action: 'importing' as const, nodeId: from})))
      if (clean.length === 0) return
      const r = await admin.setSlots(from, clean.map((m) => ({slot: m.slot, action: 'stable' as const})))
      for (const m of clean.filter((_, i) => r[i] === undefined)) this.setState(m.slot, 'aborted', 0)
    } catch {
      // left open; `recover` finishes them
    }
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
    const r = this.results.get(slot)!
    const {admin, from, to, opts, bus, stop} = this.ctx
    const moved = await moveSlotKeys({admin, from, to, toLabel: this.ctx.toLabel, opts, bus, stop, throttle: this.ctx.throttle}, slot, total, r.keys, this.sizer)
    if (moved === false) return false
    r.keys = moved
    return true
  }

  /** Step 4: NODE on the target first (it bumps its epoch), then the source, then all other primaries. */
  private async finalize(moves: ClassifiedMove[]): Promise<void> {
    if (moves.length === 0) return
    const {admin, from, to, bus} = this.ctx
    const left = await admin.countKeys(from, moves.map((m) => m.slot))
    const ready = moves.filter((_, i) => left[i] === 0)
    for (const m of moves.filter((_, i) => left[i] !== 0)) {
      this.fail(m.slot, `source still holds ${left[moves.indexOf(m)]} key(s) of slot ${m.slot}; not finalized`)
    }
    if (ready.length === 0) return
    for (const m of ready) this.setState(m.slot, 'finalizing', this.results.get(m.slot)!.keys)
    const fctx: FinalizeCtx = {...this.ctx, moved: (slot) => this.results.get(slot)!.keys}
    const okMoves = await finalizeSlots(fctx, ready, (slot, error) => this.fail(slot, error))
    if (okMoves.length === 0) return
    await checkNoLoss(fctx, okMoves)
    for (const m of okMoves) {
      this.setState(m.slot, 'complete', this.results.get(m.slot)!.keys)
      bus.emit({type: 'slot-done', slot: m.slot, from, to, keys: this.results.get(m.slot)!.keys, ms: Date.now() - (this.openedAt.get(m.slot) ?? Date.now())})
    }
  }
}
