// The fast path of step 3 of the protocol (docs/architecture.md "Safety rules") for the slots of one wave, all already MIGRATING (so
// the source gains no new key of them): each slot's keys are listed ahead, and MIGRATE batches
// are kept in flight back to back on the source connection, across slot boundaries, so the
// source never sits idle waiting for a round trip of ours. Behind each slot's last batch rides a
// listing of that slot: empty means the slot is proven empty.
//
// Anything unusual ends the fast path after the batches in flight: a batch error (it may have
// half succeeded), a timeout, or a stop. The slots not proven empty are then left to the careful
// per-slot loop (moveSlotKeys), which starts with a fresh listing and handles every error case.
import type {MigrationChannel} from '../cluster/cluster-admin.js'
import type {BatchSizer, KeyMoverCtx} from './key-mover.js'

/** Keys listed at once: a slot with more is listed again behind its batches (one round trip per chunk). */
export const LIST_CHUNK = 20_000

/** A listing costs the source ~0.04 us per key: keep it well inside the pause budget too. */
export function listChunk(maxPauseMs: number): number {
  return Math.max(1000, Math.min(LIST_CHUNK, Math.round(maxPauseMs * 2000)))
}

export interface StreamSlot {
  slot: number
  /** Keys counted when the slot was opened. */
  total: number
}

export interface StreamHooks {
  /** The slot's first batch is about to be sent. */
  onStart(slot: number): void
  /** Keys of the slot acknowledged by the target so far (for progress). */
  moved(slot: number): number
  addMoved(slot: number, count: number): void
}

/**
 * What each MIGRATE costs the source, for the batch size: a batch runs on the server from when
 * it was written or when the one before it ended, whichever is later, until its reply. (Replies
 * that the client reads together are not taken for one long pause: with a batch always queued,
 * the next one reaches the server while the current one runs, and the server reads it, and
 * serves its other clients, only after it.)
 */
export class PauseMeter {
  constructor(
    private readonly sizer: BatchSizer,
    private last = performance.now(),
  ) {}

  reply(sentAt: number, keys: number, now = performance.now()): void {
    const ms = now - Math.max(sentAt, this.last)
    this.last = now
    if (keys > 0) this.sizer.observe(keys, 1, ms)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Streams the slots in order; returns the slots proven empty on the source.
 *  (About 100 lines: one pipelined loop - MIGRATEs and listings in flight on one connection, the
 *  window, the batch sizer and the per-slot progress all change together per reply.) */
export async function streamSlots(ctx: KeyMoverCtx, slots: readonly StreamSlot[], sizer: BatchSizer, hooks: StreamHooks): Promise<Set<number>> {
  const {admin, from, to, opts, bus, stop} = ctx
  const proven = new Set<number>()
  if (slots.length === 0) return proven
  const depth = Math.max(1, opts.pipeline)
  const chunk = listChunk(opts.maxPauseMs)
  const ch: MigrationChannel = await admin.channel(from, to, {timeoutMs: opts.migrateTimeoutMs, asking: ctx.asking, inFlight: depth})
  const inflight = new Set<Promise<void>>()
  const pending: Array<Promise<unknown>> = []
  const troubled = new Set<number>()
  let halted = false
  let fatal: unknown
  const pause = new PauseMeter(sizer)
  const halt = (e?: unknown) => {
    halted = true
    if (e !== undefined) fatal ??= e
  }

  /** Sends one batch once the window has room; false when the fast path is over. */
  const send = async (slot: number, total: number, keys: Buffer[]): Promise<boolean> => {
    while (inflight.size >= depth) await Promise.race(inflight)
    if (opts.batchDelayMs > 0) await sleep(opts.batchDelayMs)
    await ctx.throttle(keys.length)
    if (halted || stop.hard) return false
    const sentAt = performance.now()
    const p: Promise<void> = ch
      .migrate({keys, replace: opts.replace})
      .then(
        (o) => {
          pause.reply(sentAt, o.ok ? keys.length : 0)
          if (!o.ok) {
            troubled.add(slot)
            halt()
            return
          }
          hooks.addMoved(slot, keys.length)
          const moved = hooks.moved(slot)
          bus.emit({type: 'keys-moved', slot, from, to, count: keys.length, slotMoved: moved, slotTotal: Math.max(total, moved)})
        },
        (e: unknown) => {
          troubled.add(slot)
          halt(e)
        },
      )
      .finally(() => inflight.delete(p))
    inflight.add(p)
    return true
  }

  // the listing of the next slot is written early: it waits behind the batches in flight
  let listing: Promise<Buffer[]> = ch.getKeys(slots[0]!.slot, chunk)
  try {
    for (let i = 0; i < slots.length && !halted && !stop.hard; i++) {
      const {slot, total} = slots[i]!
      let keys = await listing
      listing = i + 1 < slots.length ? ch.getKeys(slots[i + 1]!.slot, chunk) : Promise.resolve([])
      // the prefetched listing must never be left unobserved (a timeout would be unhandled)
      listing.catch(() => undefined)
      hooks.onStart(slot)
      for (;;) {
        for (let j = 0; j < keys.length; ) {
          const batch = keys.slice(j, j + sizer.next(keys.length - j))
          if (!(await send(slot, total, batch))) break
          j += batch.length
        }
        if (halted || stop.hard) break
        // what this slot's batches left: replies arrive in order, so every batch of the slot has
        // its outcome when this listing resolves
        const check = ch.getKeys(slot, chunk)
        if (keys.length < chunk) {
          pending.push(
            check.then(
              (left) => {
                if (left.length === 0 && !troubled.has(slot)) proven.add(slot)
              },
              (e: unknown) => halt(e),
            ),
          )
          break
        }
        // a slot larger than one listing: its next chunk
        keys = await check
        if (keys.length === 0) {
          if (!troubled.has(slot)) proven.add(slot)
          break
        }
      }
    }
  } catch (e) {
    halt(e)
  }
  await Promise.allSettled([...inflight, ...pending])
  if (fatal !== undefined) throw fatal
  for (const s of slots) {
    if (!proven.has(s.slot)) continue
    // keys that expired between the count and the move count as moved: the slot is empty
    const moved = hooks.moved(s.slot)
    if (moved < s.total) {
      hooks.addMoved(s.slot, s.total - moved)
      bus.emit({type: 'keys-moved', slot: s.slot, from, to, count: s.total - moved, slotMoved: s.total, slotTotal: s.total})
    }
  }
  return proven
}
