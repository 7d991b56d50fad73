// Moves the slots of one source -> target pair (DESIGN.md §1 protocol), in waves: small slots
// are opened, streamed and finalized together so one round trip serves many slots; a slot with
// many keys forms a wave of its own.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import type {EventBus} from '../events/events.js'
import type {Topology} from '../topology/topology.js'
import {moveSlotKeys} from './key-mover.js'
import type {EngineOptions} from './options.js'
import {type ClassifiedMove, otherPrimaries} from './preflight.js'
import {SlotMachine, type SlotState} from './slot-state.js'
import type {StopControl} from './stop-control.js'

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
}

export class PairMover {
  private machines = new Map<number, SlotMachine>()
  private results = new Map<number, SlotResult>()

  constructor(
    private readonly ctx: Ctx,
    private readonly moves: readonly ClassifiedMove[],
  ) {
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
    m.to(state)
    const r = this.results.get(slot)!
    r.state = state
    if (state !== 'pending') r.outcome = state === 'complete' ? 'done' : state === 'failed' ? 'failed' : 'open'
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

  async run(): Promise<SlotResult[]> {
    const {admin, from, stop, opts} = this.ctx
    const queue = [...this.moves]
    try {
      while (queue.length > 0 && !stop.soft) {
        const head = queue.slice(0, opts.waveSlots)
        const counts = await admin.countKeys(from, head.map((m) => m.slot))
        let sum = 0
        let n = 0
        while (n < head.length) {
          sum += counts[n]!
          n++
          if (sum >= opts.waveKeys) break
        }
        const wave = queue.splice(0, n)
        await this.runWave(wave, counts.slice(0, n))
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      for (const [slot, m] of this.machines) if (m.state !== 'complete' && !this.results.get(slot)!.error && m.state !== 'pending') this.fail(slot, msg)
      throw e
    }
    return [...this.results.values()]
  }

  private async runWave(wave: ClassifiedMove[], counts: number[]): Promise<void> {
    const {admin, from, to} = this.ctx
    // 1. IMPORTING on the target first, so it accepts ASKING clients before the source redirects.
    const toOpen = wave.filter((m) => m.resume !== 'target-owns')
    if (toOpen.length > 0) {
      const r1 = await admin.setSlots(to, toOpen.map((m) => ({slot: m.slot, action: 'importing' as const, nodeId: from})))
      this.checkSetSlot(toOpen, r1, 'IMPORTING', this.ctx.toLabel)
    }
    wave.forEach((m, i) => this.setState(m.slot, 'importing', counts[i]!))
    // 2. MIGRATING on the source.
    if (toOpen.length > 0) {
      const r2 = await admin.setSlots(from, toOpen.map((m) => ({slot: m.slot, action: 'migrating' as const, nodeId: to})))
      this.checkSetSlot(toOpen, r2, 'MIGRATING', this.ctx.fromLabel)
    }
    wave.forEach((m, i) => this.setState(m.slot, 'migrating', counts[i]!))
    // 3. Stream every slot of the wave.
    const streamed: ClassifiedMove[] = []
    for (let i = 0; i < wave.length; i++) {
      const m = wave[i]!
      if (this.ctx.stop.hard) break
      this.setState(m.slot, 'streaming', counts[i]!)
      try {
        const done = await this.streamSlot(m.slot, counts[i]!)
        if (done) streamed.push(m)
        else break
      } catch (e) {
        this.fail(m.slot, e instanceof Error ? e.message : String(e))
        this.ctx.stop.request('soft', `slot ${m.slot} failed`)
        // finalize what is fully streamed, then report the failure
        await this.finalize(streamed)
        throw e
      }
    }
    // 4. Finalize what is fully streamed (also after a stop request: it is safe and leaves less open).
    await this.finalize(streamed)
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
    const moved = await moveSlotKeys({admin, from, to, toLabel: this.ctx.toLabel, opts, bus, stop, throttle: this.ctx.throttle}, slot, total, r.keys)
    if (moved === false) return false
    r.keys = moved
    return true
  }

  /** Step 4: NODE on the target first (it bumps its epoch), then the source, then all other primaries. */
  private async finalize(moves: ClassifiedMove[]): Promise<void> {
    if (moves.length === 0) return
    const {admin, from, to, bus} = this.ctx
    const slots = moves.map((m) => m.slot)
    const left = await admin.countKeys(from, slots)
    const ready = moves.filter((_, i) => left[i] === 0)
    for (const m of moves.filter((_, i) => left[i] !== 0)) {
      this.fail(m.slot, `source still holds ${left[moves.indexOf(m)]} key(s) of slot ${m.slot}; not finalized`)
    }
    if (ready.length === 0) return
    for (const m of ready) this.setState(m.slot, 'finalizing', this.results.get(m.slot)!.keys)
    const ops = ready.map((m) => ({slot: m.slot, action: 'node' as const, nodeId: to}))
    const rt = await admin.setSlots(to, ops)
    const failedOnTarget = ready.filter((_, i) => rt[i] !== undefined)
    for (const m of failedOnTarget) this.fail(m.slot, `SETSLOT NODE on ${this.ctx.toLabel}: ${rt[ready.indexOf(m)]}`)
    const okMoves = ready.filter((_, i) => rt[i] === undefined)
    if (okMoves.length === 0) return
    const okOps = okMoves.map((m) => ({slot: m.slot, action: 'node' as const, nodeId: to}))
    const rs = await admin.setSlots(from, okOps)
    const srcErr = rs.find((e) => e !== undefined)
    if (srcErr !== undefined) {
      // After its last slot leaves, a primary may have turned into a replica of the new owner
      // (cluster-allow-replica-migration): "Please use SETSLOT only with masters" then means
      // success. Anything else is left to gossip (the target's epoch is higher) and to the verify.
      if (!/only with masters/i.test(srcErr)) bus.emit({type: 'warning', message: `SETSLOT NODE on ${this.ctx.fromLabel}: ${srcErr}; gossip will carry the new owner`})
    }
    const others = otherPrimaries(this.ctx.topology(), from, to)
    await Promise.all(
      others.map(async (id) => {
        try {
          const r = await admin.setSlots(id, okOps)
          const e = r.find((x) => x !== undefined)
          if (e && !/only with masters/i.test(e)) bus.emit({type: 'warning', message: `SETSLOT NODE on ${id.slice(0, 8)}: ${e}`})
        } catch (e) {
          bus.emit({type: 'warning', message: `could not tell ${id.slice(0, 8)} about the new owner: ${(e as Error).message}`})
        }
      }),
    )
    for (const m of okMoves) {
      this.setState(m.slot, 'complete', this.results.get(m.slot)!.keys)
      bus.emit({type: 'slot-done', slot: m.slot, from, to, keys: this.results.get(m.slot)!.keys, ms: 0})
    }
  }
}
