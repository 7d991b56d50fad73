// What the progress reporters show, counted from engine events: keys moved of keys to move
// (overall and per source -> target pair), slots done beside, the rate and the ETA from keys.
import type {MigrationEvent} from '../events/events.js'

export interface PairTally {
  from: string
  to: string
  keysTotal: number
  keys: number
  slotsTotal: number
  slotsDone: number
  /** The slot this pair works on now, and its state. */
  slot?: number
  state: string
}

export class Tally {
  slotsTotal = 0
  slotsDone = 0
  keysTotal = 0
  keys = 0
  dryRun = false
  started = Date.now()
  readonly pairs = new Map<string, PairTally>()

  onEvent(e: MigrationEvent): void {
    switch (e.type) {
      case 'run-started':
        this.slotsTotal = e.moves
        this.keysTotal = e.keys
        this.dryRun = e.dryRun
        this.started = Date.now()
        for (const p of e.pairs) this.pairs.set(`${p.from}>${p.to}`, {from: p.from, to: p.to, keysTotal: p.keys, keys: 0, slotsTotal: p.slots, slotsDone: 0, state: 'pending'})
        break
      case 'slot-state': {
        const p = this.pairs.get(`${e.from}>${e.to}`)
        if (p) {
          p.slot = e.slot
          p.state = e.state
        }
        break
      }
      case 'keys-moved': {
        this.keys += e.count
        const p = this.pairs.get(`${e.from}>${e.to}`)
        if (p) p.keys += e.count
        break
      }
      case 'slot-done': {
        this.slotsDone++
        const p = this.pairs.get(`${e.from}>${e.to}`)
        if (p) p.slotsDone++
        break
      }
    }
  }

  /** Share done, 0..1: by keys when there are keys to move, else by slots. */
  fraction(): number {
    return fractionOf(this.keys, this.keysTotal, this.slotsDone, this.slotsTotal)
  }

  pairFraction(p: PairTally): number {
    return fractionOf(p.keys, p.keysTotal, p.slotsDone, p.slotsTotal)
  }

  rate(): number {
    const s = (Date.now() - this.started) / 1000
    return s > 0 ? Math.round(this.keys / s) : 0
  }

  eta(): string {
    const elapsed = (Date.now() - this.started) / 1000
    const f = this.fraction()
    if (f <= 0 || elapsed <= 0) return '-'
    if (f >= 1) return '0s'
    return duration((elapsed / f) * (1 - f))
  }

  /** A fingerprint of the counts: the plain reporter prints a line only when it changed. */
  counts(): string {
    return `${this.keys}/${this.slotsDone}`
  }
}

function fractionOf(keys: number, keysTotal: number, slotsDone: number, slotsTotal: number): number {
  if (keysTotal > 0) return Math.min(1, keys / keysTotal)
  return slotsTotal > 0 ? slotsDone / slotsTotal : 1
}

export function percent(f: number): string {
  return `${Math.floor(f * 100)}%`
}

export function duration(seconds: number): string {
  if (seconds < 1) return '<1s'
  if (seconds < 60) return `${Math.round(seconds)}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`
}

/** A count in at most 5 characters: 9999, 12.3k, 200k, 1.20M. */
export function short(n: number): string {
  if (n < 10_000) return String(n)
  if (n < 100_000) return `${(n / 1000).toFixed(1)}k`
  if (n < 999_500) return `${Math.round(n / 1000)}k`
  return n < 10_000_000 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e6).toFixed(1)}M`
}

/** "3.5k/12.2k": a count and its total in the total's unit, so the two read alike. */
export function shortOf(n: number, total: number): string {
  const t = Math.max(n, total)
  if (t < 10_000) return `${n}/${t}`
  const [div, unit, digits] = t < 999_500 ? [1000, 'k', t < 100_000 ? 1 : 0] : [1e6, 'M', t < 10_000_000 ? 2 : 1]
  return `${n === 0 ? '0' : (n / div).toFixed(digits) + unit}/${short(t)}`
}
