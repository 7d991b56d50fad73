// Reporters: three listeners of the same engine events (DESIGN.md §3), chosen in one place.
//  - bars:  cli-progress, redrawn in place on a TTY (overall bar + one line per active pair)
//  - plain: steady progress lines for CI logs (no escape codes)
//  - json:  NDJSON events on stderr
//  - quiet: nothing
import {createRequire} from 'node:module'
import type cliProgress from 'cli-progress'
import type {EventBus, MigrationEvent} from '../events/events.js'
import {paint} from './colour.js'

export type ReporterMode = 'bars' | 'plain' | 'json' | 'quiet'

export interface Reporter {
  stop(): void
}

export function chooseReporterMode(f: {json?: boolean; quiet?: boolean}): ReporterMode {
  if (f.json) return 'json'
  if (f.quiet) return 'quiet'
  return process.stdout.isTTY ? 'bars' : 'plain'
}

export function attachReporter(bus: EventBus, mode: ReporterMode, out: NodeJS.WritableStream = process.stdout, names: (id: string) => string = (id) => id.slice(0, 8)): Reporter {
  switch (mode) {
    case 'json':
      return attachJson(bus)
    case 'quiet':
      // no progress: only the verdict line
      return {stop: bus.on((e) => e.type === 'run-finished' && out.write(finishLine(e) + '\n'))}
    case 'plain':
      return attachPlain(bus, out)
    case 'bars':
      return attachBars(bus, out, names)
  }
}

function attachJson(bus: EventBus): Reporter {
  const off = bus.on((e) => {
    process.stderr.write(JSON.stringify({ts: new Date().toISOString(), ...e}) + '\n')
  })
  return {stop: off}
}

class Tally {
  slotsTotal = 0
  slotsDone = 0
  keysTotal = 0
  keys = 0
  started = Date.now()
  /** active pair "from>to" -> {slot, state, moved, total} */
  active = new Map<string, {from: string; to: string; slot: number; state: string; moved: number; total: number; done: number; slots: number}>()
  onEvent(e: MigrationEvent): void {
    switch (e.type) {
      case 'run-started':
        this.slotsTotal = e.moves
        this.keysTotal = e.keys
        this.started = Date.now()
        break
      case 'slot-state': {
        const k = `${e.from}>${e.to}`
        const a = this.active.get(k) ?? {from: e.from, to: e.to, slot: e.slot, state: e.state, moved: 0, total: e.keysTotal, done: 0, slots: 0}
        if (e.state === 'streaming' || a.slot !== e.slot) {
          a.slot = e.slot
          a.moved = 0
          a.total = e.keysTotal
        }
        a.state = e.state
        this.active.set(k, a)
        break
      }
      case 'keys-moved': {
        this.keys += e.count
        const a = this.active.get(`${e.from}>${e.to}`)
        if (a && a.slot === e.slot) {
          a.moved = e.slotMoved
          a.total = e.slotTotal
        }
        break
      }
      case 'slot-done': {
        this.slotsDone++
        const a = this.active.get(`${e.from}>${e.to}`)
        if (a) a.done++
        break
      }
    }
  }
  rate(): number {
    const s = (Date.now() - this.started) / 1000
    return s > 0 ? Math.round(this.keys / s) : 0
  }
  eta(): string {
    const r = this.rate()
    if (this.keysTotal <= 0 || r <= 0) return '-'
    const left = Math.max(0, this.keysTotal - this.keys) / r
    return left < 1 ? '<1s' : left < 60 ? `${Math.round(left)}s` : `${Math.floor(left / 60)}m${Math.round(left % 60)}s`
  }
}

function describeEvent(e: MigrationEvent): string | undefined {
  switch (e.type) {
    case 'slot-skipped':
      return `skip slot ${e.slot}: ${e.reason}`
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
    case 'command':
      return `${paint.dim('would send to')} ${e.node}: ${e.command}`
    default:
      return undefined
  }
}

function finishLine(e: Extract<MigrationEvent, {type: 'run-finished'}>): string {
  if (e.dryRun) return `dry run: would move ${e.slotsDone} slot(s) with ${e.keys} keys; nothing was sent` + (e.slotsSkipped ? `, ${e.slotsSkipped} skipped` : '')
  const verdict = e.ok ? paint.green('done') : paint.red('stopped')
  return `${verdict}: ${e.slotsDone} slot(s) moved, ${e.keys} keys in ${(e.ms / 1000).toFixed(2)} s (${e.keysPerSecond} keys/s)` +
    (e.slotsSkipped ? `, ${e.slotsSkipped} skipped` : '') +
    (e.slotsFailed ? `, ${e.slotsFailed} not done` : '')
}

function attachPlain(bus: EventBus, out: NodeJS.WritableStream): Reporter {
  const t = new Tally()
  const line = (s: string) => out.write(s + '\n')
  let lastLine = ''
  const progress = () => {
    const s = `progress: ${t.slotsDone}/${t.slotsTotal} slots, ${t.keys}/${t.keysTotal} keys, ${t.rate()} keys/s, eta ${t.eta()}`
    if (s !== lastLine) line(s)
    lastLine = s
  }
  let timer: NodeJS.Timeout | undefined
  const off = bus.on((e) => {
    t.onEvent(e)
    if (e.type === 'run-started') {
      line(`moving ${e.moves} slot(s), ${e.keys} keys${e.dryRun ? ' (dry run: nothing is sent)' : ''}`)
      for (const p of e.pairs) line(`  ${e.nodes[p.from] ?? p.from} -> ${e.nodes[p.to] ?? p.to}: ${p.slots} slot(s), ${p.keys} keys${p.mechanism === 'atomic' ? ' (atomic slot migration)' : ''}`)
      timer = setInterval(progress, 1000)
      timer.unref()
    } else if (e.type === 'run-finished') {
      if (timer) clearInterval(timer)
      if (t.slotsTotal > 0) progress()
      line(finishLine(e))
    } else {
      const d = describeEvent(e)
      if (d) line(d)
    }
  })
  return {
    stop: () => {
      if (timer) clearInterval(timer)
      off()
    },
  }
}

function attachBars(bus: EventBus, out: NodeJS.WritableStream, names: (id: string) => string): Reporter {
  // loaded only for bars (a terminal): about 10 ms of start-up that quiet, plain and JSON runs skip
  const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress
  const t = new Tally()
  let multi: cliProgress.MultiBar | undefined
  let overall: cliProgress.SingleBar | undefined
  const pairBars = new Map<string, cliProgress.SingleBar>()
  let timer: NodeJS.Timeout | undefined
  const log = (s: string) => {
    if (multi) multi.log(s + '\n')
    else out.write(s + '\n')
  }
  const redraw = () => {
    if (!multi || !overall) return
    overall.update(t.slotsDone, {keys: t.keys, keysTotal: t.keysTotal, rate: t.rate(), eta2: t.eta()})
    for (const [k, a] of t.active) {
      let b = pairBars.get(k)
      if (!b) {
        b = multi.create(100, 0, {}, {format: '  {pair} {bar} {percentage}% slot {slot} {state} ({moved}/{total} keys)', barsize: 20})
        pairBars.set(k, b)
      }
      const pct = a.state === 'complete' ? 100 : a.total > 0 ? Math.min(100, Math.floor((a.moved * 100) / a.total)) : 0
      b.update(pct, {pair: `${names(a.from)} -> ${names(a.to)}`.padEnd(18), slot: a.slot, state: a.state, moved: a.state === 'complete' ? a.total : a.moved, total: a.total})
    }
  }
  const off = bus.on((e) => {
    t.onEvent(e)
    if (e.type === 'run-started') {
      out.write(`Moving ${e.moves} slot(s), ${e.keys} keys${e.dryRun ? paint.yellow(' (dry run: nothing is sent)') : ''}\n`)
      multi = new bars.MultiBar(
        {
          stream: out as NodeJS.WriteStream,
          clearOnComplete: false,
          hideCursor: true,
          autopadding: true,
          format: `${paint.cyan('{bar}')} {value}/{total} slots | {keys}/{keysTotal} keys | {rate} keys/s | ETA {eta2}`,
          barsize: 30,
        },
        bars.Presets.shades_classic,
      )
      overall = multi.create(Math.max(1, e.moves), 0, {keys: 0, keysTotal: e.keys, rate: 0, eta2: '-'})
      timer = setInterval(redraw, 100)
      timer.unref()
    } else if (e.type === 'run-finished') {
      redraw()
      stopBars()
      out.write(finishLine(e) + '\n')
    } else {
      const d = describeEvent(e)
      if (d) log(d)
    }
  })
  const stopBars = () => {
    if (timer) clearInterval(timer)
    timer = undefined
    if (multi) {
      redraw()
      multi.stop()
      multi = undefined
    }
  }
  return {
    stop: () => {
      stopBars()
      off()
    },
  }
}
