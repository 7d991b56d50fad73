// Streams every key of one slot from a node to another with MIGRATE, keeping the rules of
// docs/architecture.md "Safety rules": binary keys as Buffers, +NOKEY is success, a failed batch may have half
// succeeded (so every error is followed by a fresh listing), BUSYKEY is never overwritten
// silently, IOERR/timeouts shrink the batch and raise the timeout before giving up.
import type {ClusterAdmin, MigrateBatch} from '../cluster/cluster-admin.js'
import {ReshardError, TargetUnreachableError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {printable} from '../cluster/migrate-args.js'
import {compareValues} from './value-compare.js'
import type {EngineOptions} from './options.js'
import type {StopControl} from './stop-control.js'

/** A failure that stops one slot; the slot stays open for `recover`. */
export class SlotError extends ReshardError {
  constructor(kind: string, message: string, hint?: string, details?: Record<string, unknown>) {
    super(kind, message, 5, hint, details)
  }
}

export interface KeyMoverCtx {
  admin: ClusterAdmin
  from: string
  to: string
  toLabel: string
  opts: EngineOptions
  bus: EventBus
  stop: StopControl
  throttle: (keys: number) => Promise<void>
  /** The source only imports the slot (stray keys): MIGRATE needs ASKING. */
  asking?: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function firstWord(err: string): string {
  const m = /^(?:ERR Target instance replied with error: )?(\S+)/.exec(err)
  return m ? m[1]! : ''
}

/**
 * Batch size from measured cost (issue: performance): each MIGRATE blocks the source, so a batch
 * holds as many keys as fit in the pause budget at the measured time per key. A fixed
 * --batch-size turns this off.
 */
export class BatchSizer {
  private size: number
  private perKey?: number
  private readonly fixed: boolean
  constructor(private readonly opts: EngineOptions) {
    this.fixed = opts.batchKeys !== undefined
    this.size = opts.batchKeys ?? opts.initialBatchKeys
  }
  get keys(): number {
    return this.size
  }
  /** `batches` MIGRATEs that ran as one pause of the source moved `keys` keys in `ms`. */
  observe(keys: number, batches: number, ms: number): void {
    if (this.fixed || keys < 8 || batches === 0 || ms <= 0) return
    const sample = ms / keys
    // A running estimate of the cost per key: one batch's time varies a lot on a busy machine,
    // and a small batch (a slot's last keys) carries the fixed cost of a MIGRATE over few keys,
    // so it weighs in proportion to its size.
    const weight = 0.3 * Math.min(1, keys / (this.size * batches))
    this.perKey = this.perKey === undefined ? sample : this.perKey + weight * (sample - this.perKey)
    // Aim at the budget: what we time from here (write to reply, or reply to reply) includes
    // the round trip and our own delays, and is about 1.3x what the server reports for the
    // MIGRATE (INFO commandstats), so the source's real pauses stay under it. A group of batches
    // that ran without a break shares it. Never more than 4x at a time.
    const wanted = Math.floor(this.opts.maxPauseMs / this.perKey / batches)
    this.size = Math.max(this.opts.minBatchKeys, Math.min(this.opts.maxBatchKeys, wanted, this.size * 4))
  }
  /**
   * Keys for the next batch when `remaining` are left to send: a full batch, or (sized batches)
   * all of them when they exceed it by little (a 1000-key slot goes in one MIGRATE rather than 900 + 100: every
   * MIGRATE has a fixed cost on the source of about half a millisecond).
   */
  next(remaining: number): number {
    // a fixed --batch-size is a promise: never more
    if (this.fixed) return Math.min(remaining, this.size)
    return remaining <= Math.floor(this.size * 1.2) ? remaining : this.size
  }
  shrink(): boolean {
    if (this.size <= 1) return false
    this.size = Math.max(1, Math.floor(this.size / 2))
    return true
  }
}

/** Moves every key of the slot; returns the keys moved, or false when stopped (hard) first.
 *  (About 80 lines: one loop over the MIGRATE error cases of DESIGN's safety rules - NOKEY, BUSYKEY,
 *  IOERR and timeouts that shrink the batch, a half-applied batch that is re-listed - which share
 *  the batch size and the keys left; each case is commented inline.) */
export async function moveSlotKeys(ctx: KeyMoverCtx, slot: number, total: number, alreadyMoved = 0, sizer = new BatchSizer(ctx.opts)): Promise<number | false> {
  const {admin, from, to, opts, bus, stop} = ctx
  const r = {keys: alreadyMoved}
  let timeout = opts.migrateTimeoutMs
  let forceReplace = new Set<string>()
  const timedOut = new Set<string>()
  const depth = Math.max(1, opts.pipeline)
  let keys = await admin.getKeys(from, slot, sizer.keys * depth)
  while (keys.length > 0) {
    if (stop.hard) return false
    // keys whose copies proved identical go again with REPLACE (BUSYKEY rule)
    const batches: MigrateBatch[] = []
    const plain: Buffer[] = []
    const again: Buffer[] = []
    for (const k of keys) (forceReplace.size > 0 && forceReplace.has(k.toString('latin1')) ? again : plain).push(k)
    const size = sizer.keys
    for (let i = 0; i < plain.length; i += size) batches.push({keys: plain.slice(i, i + size), replace: opts.replace})
    if (again.length > 0) batches.push({keys: again, replace: true})
    forceReplace = new Set()
    const started = performance.now()
    // The next listing rides behind the MIGRATEs: it runs after them on the server, so it is
    // also the fresh listing that must follow any error (a batch can half-succeed).
    const {outcomes, listed} = await admin.migrate(from, to, batches, {timeoutMs: timeout, asking: ctx.asking, listAfter: {slot, count: sizer.keys * depth}})
    const ms = performance.now() - started
    let firstError: {error: string; keys: Buffer[]} | undefined
    let movedNow = 0
    outcomes.forEach((o, i) => {
      if (o.ok) movedNow += batches[i]!.keys.length
      else {
        firstError ??= {error: o.error, keys: batches[i]!.keys}
        // a batch that timed out may still be applied by the target later (its RESTOREs sit in
        // the target's socket buffer): its keys may come to exist on both sides
        if (/timeout|timed out|IOERR/i.test(o.error)) for (const k of batches[i]!.keys) timedOut.add(k.toString('latin1'))
      }
    })
    keys = listed ?? []
    if (movedNow > 0) {
      r.keys += movedNow
      bus.emit({type: 'keys-moved', slot, from, to, count: movedNow, slotMoved: r.keys, slotTotal: Math.max(total, r.keys)})
      if (!firstError) sizer.observe(movedNow, batches.length, ms)
      await ctx.throttle(movedNow)
    }
    if (opts.batchDelayMs > 0) await sleep(opts.batchDelayMs)
    if (!firstError) continue
    const {error, keys: errKeys} = firstError as {error: string; keys: Buffer[]}
    const word = firstWord(error)
    if (word === 'BUSYKEY') {
      forceReplace = await resolveBusyKeys(ctx, slot, errKeys, timedOut)
      continue
    }
    if (word === 'IOERR' || /timeout|timed out/i.test(error)) {
      if (!(await admin.ping(to))) {
        throw new TargetUnreachableError(`target ${ctx.toLabel} stopped answering while slot ${slot} was moving`)
      }
      // a value may be large: shrink the batch down to one key, then raise the timeout
      if (sizer.shrink()) {
        bus.emit({type: 'batch-retry', slot, reason: error, batchSize: sizer.keys, timeoutMs: timeout})
        keys = keys.slice(0, sizer.keys * depth)
        continue
      }
      if (timeout < opts.migrationTimeoutMs) {
        timeout = Math.min(timeout * 4, opts.migrationTimeoutMs)
        bus.emit({type: 'large-key', slot, key: printable(errKeys[0]!), timeoutMs: timeout})
        continue
      }
      throw new SlotError(
        'key_too_large',
        `key ${printable(errKeys[0]!)} of slot ${slot} could not be moved within ${timeout} ms (${error})`,
        'raise --migration-timeout',
        {slot, key: printable(errKeys[0]!)},
      )
    }
    throw new SlotError('migrate_failed', `MIGRATE of slot ${slot} failed: ${error}`, 'run `reshard check` to see the slot states', {slot})
  }
  if (stop.hard) return false
  // Never finalize a slot while the source still holds keys of it (checked again at finalize).
  if (r.keys < total) {
    // keys that expired, or moved by a half-successful batch, count as moved: the slot is empty
    bus.emit({type: 'keys-moved', slot, from, to, count: total - r.keys, slotMoved: total, slotTotal: total})
    r.keys = total
  }
  return r.keys
}

/** BUSYKEY: never overwrite silently. Equal DUMP -> retry with REPLACE; different -> stop. */
async function resolveBusyKeys(ctx: KeyMoverCtx, slot: number, batchKeys: Buffer[], timedOut: ReadonlySet<string> = new Set()): Promise<Set<string>> {
  const {admin, from, to, opts} = ctx
  const onTarget = await admin.dump(to, batchKeys)
  const unreadable = batchKeys.filter((_, i) => onTarget[i] === undefined)
  if (unreadable.length > 0 && !opts.replace) {
    // never retry blindly: a BUSYKEY we cannot look at would come back forever
    const names = unreadable.slice(0, 10).map(printable)
    throw new SlotError(
      'busykey',
      `slot ${slot}: the target answered BUSYKEY but its copies cannot be read to compare: ${names.join(', ')}`,
      'the user needs +dump and +asking; or re-run with --replace to keep the source copies',
      {slot, keys: names},
    )
  }
  const busy = batchKeys.filter((_, i) => onTarget[i] !== null)
  if (busy.length === 0) return new Set()
  const onSource = await admin.dump(from, busy)
  const targetDump = busy.map((k) => onTarget[batchKeys.indexOf(k)])
  if (opts.replace) return new Set(busy.map((k) => k.toString('latin1')))
  const verdicts = await compareValues(admin, from, to, busy, onSource, targetDump)
  const same: Buffer[] = []
  const different: Buffer[] = []
  busy.forEach((k, i) => {
    const v = verdicts[i]
    if (onSource[i] === null) return // gone from the source meanwhile
    // 'unreadable': the source will not show its copy, so equality cannot be proven
    if (opts.replace || v === 'same') same.push(k)
    // our own batch that timed out, applied late by the target: the source still holds the key
    // and serves it to clients (MIGRATING answers every key it holds), so its copy is the newest
    else if (v === 'different' && timedOut.has(k.toString('latin1'))) same.push(k)
    else different.push(k)
  })
  if (different.length > 0) {
    const names = different.slice(0, 10).map(printable)
    throw new SlotError(
      'busykey',
      `slot ${slot}: ${different.length} key(s) exist on the target with a different value: ${names.join(', ')}${different.length > 10 ? ', ...' : ''}`,
      'compare the two copies; to keep the source copy re-run with --replace, or delete the target copy',
      {slot, keys: names},
    )
  }
  ctx.bus.emit({type: 'batch-retry', slot, reason: `BUSYKEY: ${same.length} identical key(s) on the target, retrying with REPLACE`, batchSize: same.length, timeoutMs: opts.migrateTimeoutMs})
  return new Set(same.map((k) => k.toString('latin1')))
}
