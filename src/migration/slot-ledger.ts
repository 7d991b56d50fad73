// The one record of what became of every slot of a run (issue 12 item 4; Cruise Control's
// executor task tracker is the model): per slot its state, kept by the transition table of
// slot-state.ts, the keys moved, the error and the mechanism. The movers (PairMover, AtomicMover)
// write to it and it emits the slot events (slot-state, slot-failed, slot-done); the run's
// outcome, the open slots and the Ctrl-C report are read from it, never rebuilt elsewhere.
import type {OpenSlot} from '../errors.js'
import type {EventBus, MigrationEvent} from '../events/events.js'
import type {Mechanism} from './mechanism.js'
import {assertTransition, type SlotState} from './slot-state.js'

export type SlotOutcome = 'done' | 'failed' | 'open' | 'not-started'

/** What became of one slot, as the run result and the JSON document show it. */
export interface SlotResult {
  slot: number
  from: string
  to: string
  outcome: SlotOutcome
  state: SlotState
  keys: number
  error?: string
}

/** A slot's result with the mechanism of its pair. */
export type RunSlotResult = SlotResult & {mechanism: Mechanism}

/**
 * How a failed slot stands in the cluster: `open` (it failed after it was opened: the IMPORTING/
 * MIGRATING marks stay for `recover` or a re-run), `unopened` (it failed before anything
 * changed), `rolled-back` (the server's atomic task undid it: the source keeps every key).
 */
export type FailedAs = 'open' | 'unopened' | 'rolled-back'

export interface LedgerEntry {
  readonly slot: number
  readonly from: string
  readonly to: string
  readonly mechanism: Mechanism
  state: SlotState
  /** Keys of the slot moved by this run. */
  keys: number
  error?: string
  /** The state the slot was in when it failed. */
  failedIn?: SlotState
  failedAs?: FailedAs
  /** When it left pending (opened), for slot-done.ms. */
  openedAt?: number
}

/** PURE. The outcome of an entry: done, open (in the cluster), failed, or not started. */
export function outcomeOf(e: Pick<LedgerEntry, 'state' | 'failedAs'>): SlotOutcome {
  switch (e.state) {
    case 'complete':
      return 'done'
    case 'pending':
    case 'aborted':
      return 'not-started'
    case 'failed':
      return e.failedAs === 'open' ? 'open' : e.failedAs === 'rolled-back' ? 'not-started' : 'failed'
    default:
      return 'open'
  }
}

/**
 * PURE. The state a result shows: where the slot stands. A slot that failed while open stays
 * open in the state it failed in (what `recover` and the open list name); one the server rolled
 * back shows failed.
 */
export function shownState(e: Pick<LedgerEntry, 'state' | 'failedIn' | 'failedAs'>): SlotState {
  if (e.state === 'failed' && e.failedAs !== 'rolled-back') return e.failedIn ?? 'failed'
  return e.state
}

export class SlotLedger {
  private readonly entries = new Map<number, LedgerEntry>()

  /** Without a bus the ledger is silent (a follower rebuilt from another ledger's events). */
  constructor(private readonly bus?: EventBus) {}

  /** Registers slots as pending; a slot already registered is left as it is. */
  add(moves: ReadonlyArray<{slot: number; from: string; to: string}>, mechanism: Mechanism): void {
    for (const m of moves) if (!this.entries.has(m.slot)) this.entries.set(m.slot, {slot: m.slot, from: m.from, to: m.to, mechanism, state: 'pending', keys: 0})
  }

  has(slot: number): boolean {
    return this.entries.has(slot)
  }

  get(slot: number): Readonly<LedgerEntry> {
    return this.entry(slot)
  }

  state(slot: number): SlotState {
    return this.entry(slot).state
  }

  keys(slot: number): number {
    return this.entry(slot).keys
  }

  addKeys(slot: number, n: number): void {
    this.entry(slot).keys += n
  }

  setKeys(slot: number, n: number): void {
    this.entry(slot).keys = n
  }

  /** One step of the transition table (an illegal one throws InvalidTransitionError); emits slot-state, and slot-done on complete. */
  to(slot: number, next: SlotState, keysTotal: number): void {
    const e = this.entry(slot)
    if (next === 'failed') throw new Error('use fail() to fail a slot: it needs the error')
    assertTransition(e.state, next)
    if (e.state === 'pending') e.openedAt = Date.now()
    if (next === 'aborted') e.keys = 0 // closed again before any key moved, or rolled back
    e.state = next
    this.emit({type: 'slot-state', slot, from: e.from, to: e.to, state: next, keysTotal})
    if (next === 'complete') this.emit({type: 'slot-done', slot, from: e.from, to: e.to, keys: e.keys, ms: Date.now() - (e.openedAt ?? Date.now())})
  }

  /** As `to`, but a slot already in `next` stays (movers report a state from several places). */
  enter(slot: number, next: SlotState, keysTotal: number): void {
    if (this.entry(slot).state !== next) this.to(slot, next, keysTotal)
  }

  /**
   * The slot failed: enters `failed` (from any state that is not final; failing twice throws)
   * and emits slot-failed with the state it failed in. A rolled-back slot also reports the state
   * failed (slot-state, with `keysTotal`) and counts no key as moved. `as` defaults to how the slot stands: open
   * once it left pending.
   */
  fail(slot: number, error: string, as?: FailedAs, keysTotal = 0): void {
    const e = this.entry(slot)
    const was = e.state
    assertTransition(was, 'failed')
    e.state = 'failed'
    e.failedIn = was
    e.failedAs = as ?? (was === 'pending' ? 'unopened' : 'open')
    e.error = error
    if (e.failedAs === 'rolled-back') {
      e.keys = 0
      this.emit({type: 'slot-state', slot, from: e.from, to: e.to, state: 'failed', keysTotal})
    }
    this.emit({type: 'slot-failed', slot, from: e.from, to: e.to, state: was, error})
  }

  result(slot: number): RunSlotResult {
    const e = this.entry(slot)
    const r: RunSlotResult = {slot, from: e.from, to: e.to, outcome: outcomeOf(e), state: shownState(e), keys: e.keys, mechanism: e.mechanism}
    if (e.error !== undefined) r.error = e.error
    return r
  }

  /** Every slot's result (or those listed), sorted by slot. */
  results(slots?: Iterable<number>): RunSlotResult[] {
    const which = slots ? [...slots] : [...this.entries.keys()]
    return which.sort((a, b) => a - b).map((s) => this.result(s))
  }

  /** The slots left open in the cluster now (the Ctrl-C report and LeftOpenError list them). */
  open(name: (id: string) => string = (x) => x): OpenSlot[] {
    return [...this.entries.values()]
      .filter((e) => outcomeOf(e) === 'open')
      .sort((a, b) => a.slot - b.slot)
      .map((e) => ({slot: e.slot, state: shownState(e), source: name(e.from), target: name(e.to)}))
  }

  private entry(slot: number): LedgerEntry {
    const e = this.entries.get(slot)
    if (!e) throw new Error(`slot ${slot} is not in the ledger`)
    return e
  }

  private emit(e: MigrationEvent): void {
    this.bus?.emit(e)
  }
}
