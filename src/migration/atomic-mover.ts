// Moves one pair by the servers' atomic slot migration (servers/ASM.md): every slot range of the
// pair in one task, polled to its end. The server snapshots the slots, streams their writes,
// pauses writes briefly and hands ownership over in one step; on failure or cancel it rolls back
// (the source keeps every key). Writes the same slot states to the run's SlotLedger as the legacy
// PairMover, and so reports the same events.
import type {AsmFlavour, AsmTask} from '../cluster/cluster-admin.js'
import {AsmError} from '../errors.js'
import {startRedis, startValkey, taskFailure, toRanges, phaseOf, type AsmHandle} from './asm-task.js'
import type {EngineOptions} from './options.js'
import type {ClassifiedMove} from './preflight.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {SlotLedger, type SlotResult} from './slot-ledger.js'
import type {SlotState} from './slot-state.js'
import type {PairContext, PairStrategy} from './strategy.js'

export interface AtomicCtx extends PairContext {
  opts: EngineOptions
  flavour: AsmFlavour
  /** Poll interval in ms while the snapshot is copied (default POLL_MS); see pollDelay. */
  pollMs?: number
  /** The run's ledger (the mover registers its slots when they are not yet); its own when absent. */
  ledger?: SlotLedger
}

/** Poll interval while the snapshot is copied (valkey-cli polls every 100 ms). */
export const POLL_MS = 50
/** Poll interval in the first second (a small task ends within it) and near the end. */
const FAST_POLL_MS = 20
const FAST_START_MS = 1000

/**
 * PURE. How long to wait before the next poll. The run ends when a poll sees the task end, so
 * each poll interval costs half of it on average: poll fast while a small task may end any
 * moment (the first second) and once the snapshot is across (streaming / handover: milliseconds
 * from the end); in between, while the snapshot is copied, every `base` ms. A poll is one
 * status command to one node.
 */
export function pollDelay(base: number, elapsedMs: number, phase: string | undefined): number {
  if (phase === 'streaming' || phase === 'finalizing' || elapsedMs < FAST_START_MS) return Math.min(base, FAST_POLL_MS)
  return base
}

/** A Redis import that failed this often is failed for us (it would retry forever). */
export const MAX_IMPORT_RETRIES = 3
/** How long the server may take to roll back after a cancel, or to list a task it accepted. */
const SETTLE_MS = 15_000
/** How often the target's key counts are read for progress (Valkey). */
const COUNT_EVERY_MS = 400

const ORDER: SlotState[] = ['pending', 'importing', 'migrating', 'streaming', 'finalizing', 'complete']
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class AtomicMover implements PairStrategy {
  private readonly ledger: SlotLedger
  private readonly slots: number[]
  private readonly totals = new Map<number, number>()
  private lastCount = 0

  constructor(
    private readonly ctx: AtomicCtx,
    moves: readonly ClassifiedMove[],
  ) {
    this.ledger = ctx.ledger ?? new SlotLedger(ctx.bus)
    this.ledger.add(moves, 'atomic')
    this.slots = moves.map((m) => m.slot).sort((a, b) => a - b)
    for (const m of moves) this.totals.set(m.slot, m.keys ?? 0)
  }

  resultOf(slot: number): SlotResult {
    return this.ledger.result(slot)
  }

  private results(): SlotResult[] {
    return this.ledger.results(this.slots)
  }

  private total(slot: number): number {
    return this.totals.get(slot) ?? 0
  }

  /** Walk every slot forward to `state` through the states between (the server may skip some). */
  private advance(state: SlotState): void {
    for (const slot of this.slots) {
      const at = () => ORDER.indexOf(this.ledger.state(slot))
      while (at() >= 0 && at() < ORDER.indexOf(state)) this.ledger.to(slot, ORDER[at() + 1]!, this.total(slot))
    }
  }

  /**
   * End every unfinished slot as aborted or failed. Either way the server rolled back: the source
   * still owns the slot and all its keys, nothing is open (the ledger counts no key as moved).
   */
  private end(state: 'aborted' | 'failed', error?: string): void {
    for (const slot of this.slots) {
      const now = this.ledger.state(slot)
      if (now === 'complete' || now === 'aborted' || now === 'failed') continue
      // no abort once the server began the handover: it is a failed (rolled back) slot
      if (state === 'aborted' && now !== 'finalizing') this.ledger.to(slot, 'aborted', this.total(slot))
      else this.ledger.fail(slot, error ?? 'failed', 'rolled-back', this.total(slot))
    }
  }

  async run(): Promise<SlotResult[]> {
    const {admin, from, to, fromLabel, toLabel, flavour, stop} = this.ctx
    if (this.slots.length === 0 || stop.hard) return this.results()
    const ranges = toRanges(this.slots)
    let handle: AsmHandle
    try {
      handle = flavour === 'valkey' ? await startValkey(admin, from, to, ranges, fromLabel) : await startRedis(admin, to, ranges, toLabel)
    } catch (e) {
      this.end('failed', e instanceof Error ? e.message : String(e))
      throw e
    }
    this.advance('importing')
    let last: AsmTask | undefined
    try {
      last = await this.watch(handle)
    } catch (e) {
      await this.settleAfter(handle, e)
      throw e
    }
    const phase = last ? phaseOf(flavour, last.state) : undefined
    if (phase === 'success') {
      await this.verify()
      return this.results()
    }
    if (stop.hard && phase === 'cancelled') {
      await this.waitRollback()
      this.end('aborted')
      return this.results()
    }
    const err = last ? taskFailure(flavour, last, fromLabel, toLabel) : new AsmError(`the atomic slot migration ${fromLabel} -> ${toLabel} is no longer listed by ${flavour === 'valkey' ? fromLabel : toLabel}`)
    if (phase === 'cancelled' || phase === 'failed') await this.waitRollback()
    this.end('failed', err.message)
    throw err
  }

  /**
   * Poll the task until it ends. Ctrl-C or --migration-timeout (stop.hard) cancels it at the node
   * that can; a Redis import that keeps failing is cancelled too (it would retry forever).
   * Returns the last report; the task is cancelled, failed or succeeded by then.
   */
  private async watch(h: AsmHandle): Promise<AsmTask | undefined> {
    const {stop, flavour} = this.ctx
    const pollMs = this.ctx.pollMs ?? POLL_MS
    let cancelledAt: number | undefined
    let failure: AsmTask | undefined
    const startedAt = Date.now()
    const listedBy = startedAt + SETTLE_MS
    let phase: string | undefined
    for (;;) {
      if (stop.hard && cancelledAt === undefined) {
        cancelledAt = Date.now()
        await this.cancel(h)
      }
      const task = await h.poll()
      if (!task) {
        if (Date.now() > listedBy) return undefined
      } else {
        phase = phaseOf(flavour, task.state)
        if (phase === 'success' || phase === 'failed' || phase === 'cancelled') return failure && phase === 'cancelled' ? {...task, error: failure.error || task.error} : task
        if (phase === 'retrying' && !failure && task.retries >= MAX_IMPORT_RETRIES) {
          failure = task
          cancelledAt ??= Date.now()
          await this.cancel(h)
        } else if (phase && phase !== 'retrying' && cancelledAt === undefined) {
          this.advance(phase as SlotState)
          if (flavour === 'valkey' && phase !== 'importing') await this.progress()
        }
      }
      if (cancelledAt !== undefined && Date.now() - cancelledAt > SETTLE_MS) {
        throw new AsmError(`the atomic slot migration was cancelled but is still running after ${SETTLE_MS / 1000} s (state ${task?.state ?? 'unknown'})`, 'run `reshard status` to see it, and `reshard recover` to cancel it again')
      }
      await sleep(cancelledAt === undefined ? pollDelay(pollMs, Date.now() - startedAt, phase) : pollMs)
    }
  }

  /** Cancel; an error (e.g. "No migrations ongoing": it ended just before) is left to the next poll. */
  private async cancel(h: AsmHandle): Promise<void> {
    try {
      await h.cancel()
    } catch (e) {
      this.ctx.bus.emit({type: 'warning', message: `cancelling the atomic slot migration: ${(e as Error).message}`})
    }
  }

  /** Valkey: the target's COUNTKEYSINSLOT rises during the import; report the rise as moved keys. */
  private async progress(force = false): Promise<void> {
    if (!force && Date.now() - this.lastCount < COUNT_EVERY_MS) return
    this.lastCount = Date.now()
    const {admin, to, from, bus} = this.ctx
    let counts: number[]
    try {
      counts = await admin.countKeys(to, this.slots)
    } catch {
      return // progress only: the task's state decides
    }
    this.slots.forEach((slot, i) => {
      const had = this.ledger.keys(slot)
      const n = counts[i]!
      if (n > had) {
        bus.emit({type: 'keys-moved', slot, from, to, count: n - had, slotMoved: n, slotTotal: Math.max(n, this.total(slot))})
        this.ledger.setKeys(slot, n)
      }
    })
  }

  /**
   * After success: the source holds no key of the slots any more (it may trim a moment after)
   * and the target holds them. Ownership on every node is verified by the executor.
   */
  private async verify(): Promise<void> {
    const {admin, from, bus, to, opts} = this.ctx
    this.advance('finalizing')
    if (!admin.dryRun) {
      const deadline = Date.now() + opts.verifyDeadlineMs
      for (;;) {
        const left = (await admin.countKeys(from, this.slots)).reduce((a, n) => a + n, 0)
        if (left === 0) break
        // a source whose last slots left may have turned into a replica of the new owner
        // (cluster-allow-replica-migration, e.g. a drain): its keys are then its primary's copies
        if (await this.sourceIsReplica()) break
        if (Date.now() > deadline) {
          this.end('failed', `the server reported success, but the source still holds ${left} key(s) of the slots`)
          throw new AsmError(`atomic slot migration finished, but ${this.ctx.fromLabel} still holds ${left} key(s) of the moved slots`, 'run `reshard check` and `reshard recover`')
        }
        // the source trims its copy right after the handover: look again soon
        await sleep(FAST_POLL_MS)
      }
      await this.progress(true)
      const before = this.slots.reduce((a, s) => a + this.total(s), 0)
      const after = this.slots.reduce((a, s) => a + this.ledger.keys(s), 0)
      if (before > 0 && after === 0) {
        this.end('failed', 'the target holds none of the keys')
        throw new AsmError(`atomic slot migration finished, but ${this.ctx.toLabel} holds none of the ${before} key(s) of the moved slots`, 'run `reshard check`')
      }
    } else {
      for (const slot of this.slots) {
        const n = this.total(slot)
        this.ledger.setKeys(slot, n)
        if (n > 0) bus.emit({type: 'keys-moved', slot, from, to, count: n, slotMoved: n, slotTotal: n})
      }
    }
    // complete: the ledger emits slot-done with the keys and the time since the slot was opened
    this.advance('complete')
  }

  private async sourceIsReplica(): Promise<boolean> {
    try {
      const me = parseClusterNodes(await this.ctx.admin.clusterNodes(this.ctx.from)).find((l) => l.myself)
      return me?.role === 'replica'
    } catch {
      return false
    }
  }

  /** After an error while watching: a task that ended rolled back (nothing open); one still running stays open. */
  private async settleAfter(h: AsmHandle, e: unknown): Promise<void> {
    const msg = e instanceof Error ? e.message : String(e)
    const task = await h.poll().catch(() => undefined)
    const phase = task ? phaseOf(this.ctx.flavour, task.state) : undefined
    if (phase === 'success') return
    if (phase === 'failed' || phase === 'cancelled') this.end('failed', msg)
  }

  /** After a cancel or a failure: the target drops its partial copy (about 2 s for 1M keys). */
  private async waitRollback(): Promise<void> {
    const {admin, to} = this.ctx
    if (admin.dryRun) return
    const deadline = Date.now() + SETTLE_MS
    while (Date.now() < deadline) {
      try {
        const left = (await admin.countKeys(to, this.slots)).reduce((a, n) => a + n, 0)
        if (left === 0) return
      } catch {
        return
      }
      await sleep(100)
    }
    this.ctx.bus.emit({type: 'warning', message: `${this.ctx.toLabel} still holds keys of the cancelled slots after ${SETTLE_MS / 1000} s; the server drops them (they are not served: the source owns the slots)`})
  }
}
