// Lines for people from engine events, shared by the plain and the bar reporters: per-slot
// events (skips, recovery steps) with long slot lists made into ranges, the progress line and the
// verdict line.
import type {MigrationEvent} from '../events/events.js'
import {paint} from './colour.js'
import {CommandDigest} from './command-digest.js'
import {groupedSlots} from './slot-list.js'
import {percent, type Tally} from './tally.js'

/** Per-slot event lines, with the slot lists that would be hundreds of lines made into ranges. */
export class EventLines {
  private skipped: Array<{slot: number; reason: string}> = []
  private recoverSlots = new Set<number>()
  private recoverCut = false
  private commands = new CommandDigest()
  static readonly RECOVER_DETAIL = 3

  constructor(private readonly line: (s: string) => void) {}

  /** At the end: what is still held back (skips, a dry run's commands: see command-digest.ts). */
  flush(): void {
    this.flushSkipped()
    const c = this.commands.lines()
    if (!c.verbatim) this.line(paint.dim(`would send ${c.total} commands (--json lists each):`))
    for (const l of c.lines) this.line(c.verbatim ? `${paint.dim('would send to')} ${l}` : `  ${l}`)
  }

  /** Skipped slots come as one event each: printed as one line per reason, before anything else. */
  private flushSkipped(): void {
    if (this.skipped.length === 0) return
    for (const g of groupedSlots(this.skipped, (s) => s.slot, (s) => s.reason)) this.line(`skipped ${g}`)
    this.skipped = []
  }

  handle(e: MigrationEvent): void {
    if (e.type === 'slot-skipped') {
      this.skipped.push({slot: e.slot, reason: e.reason})
      return
    }
    if (e.type === 'command') {
      this.commands.add(e.node, e.command)
      return
    }
    this.flushSkipped()
    if (e.type === 'recover-step' || e.type === 'recover-slot') {
      // every step of the first slots; past those, failures only (--json has every step)
      this.recoverSlots.add(e.slot)
      if (this.recoverSlots.size > EventLines.RECOVER_DETAIL && !(e.type === 'recover-slot' && (e.outcome === 'failed' || e.outcome === 'undecidable'))) {
        if (!this.recoverCut) this.line(paint.dim(`(steps of further slots are not printed; --json lists every step)`))
        this.recoverCut = true
        return
      }
    }
    const d = describeEvent(e)
    if (d) this.line(d)
  }
}

function describeEvent(e: MigrationEvent): string | undefined {
  switch (e.type) {
    case 'slot-failed':
      return paint.red(`slot ${e.slot} failed (${e.state}): ${e.error}`)
    case 'warning':
      return paint.yellow(`warning: ${e.message}`)
    case 'large-key':
      return paint.yellow(`large key ${e.key} in slot ${e.slot}: MIGRATE timeout raised to ${e.timeoutMs} ms`)
    case 'batch-retry':
      return paint.yellow(`slot ${e.slot}: ${e.reason.split('\n')[0]} (retrying, batch ${e.batchSize}, timeout ${e.timeoutMs} ms)`)
    case 'recover-step':
      return `slot ${e.slot} [${e.case}]: ${e.action}`
    case 'recover-slot':
      return `slot ${e.slot} [${e.case}]: ${e.outcome === 'fixed' ? paint.green('fixed') : e.outcome === 'dry-run' ? 'dry run' : paint.red(e.outcome)}${e.message ? ` - ${e.message}` : ''}`
    default:
      return undefined
  }
}

export function finishLine(e: Extract<MigrationEvent, {type: 'run-finished'}>): string {
  const skipped = e.slotsSkipped ? `, ${e.slotsSkipped} skipped` : ''
  if (e.dryRun) return `dry run: ${e.slotsDone} slot(s) with ${e.keys} keys planned; nothing was sent${skipped}`
  const verdict = e.ok ? paint.green('done') : paint.red('stopped')
  return `${verdict}: ${e.slotsDone} slot(s) moved, ${e.keys} keys in ${(e.ms / 1000).toFixed(2)} s (${e.keysPerSecond} keys/s)` + skipped + (e.slotsFailed ? `, ${e.slotsFailed} not done` : '')
}

/** "progress: 45%, 90000/200008 keys, 45/100 slots, 87340 keys/s, eta 2s" (a dry run: "planned: ..."). */
export function progressLine(t: Tally): string {
  const counts = `${percent(t.fraction())}, ${t.keys}/${Math.max(t.keysTotal, t.keys)} keys, ${t.slotsDone}/${t.slotsTotal} slots`
  return t.dryRun ? `planned: ${counts}` : `progress: ${counts}, ${t.rate()} keys/s, eta ${t.eta()}`
}

