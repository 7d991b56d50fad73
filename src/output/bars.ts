// Progress bars for a terminal (cli-progress), redrawn in place: one overall line (keys moved of
// keys to move, slots beside, rate, ETA) and one line per source -> target pair with that pair's
// keys and the slot it works on. Every line is sized to the terminal so no bar is ever cut.
import {createRequire} from 'node:module'
import type cliProgress from 'cli-progress'
import type {EventBus} from '../events/events.js'
import {paint} from './colour.js'
import {EventLines, finishLine} from './event-lines.js'
import type {Reporter} from './reporter.js'
import {screenWidth, truncate} from './tables.js'
import {percent, short, shortOf, Tally, type PairTally} from './tally.js'

const STATE_WIDTH = 10 // "finalizing"

export interface BarLayout {
  overallBar: number
  pairLabel: number
  pairBar: number
}

/** Bar sizes and label width so that both kinds of line fit `width` columns. */
export function barLayout(width: number, keysTotal: number, slotsTotal: number, labels: string[]): BarLayout {
  const keysW = 2 * short(keysTotal).length + 1
  const slotsW = 2 * String(slotsTotal).length + 1
  // "100% " keys " keys, " slots " slots, " rate " keys/s, ETA " eta
  const overallText = 5 + keysW + 7 + slotsW + 8 + 5 + 13 + 6
  const overallBar = Math.max(10, Math.min(30, width - 1 - overallText))
  // "  " label " " bar " " "100% " keys " keys, slot " "16383 " state
  const pairText = 2 + 1 + 1 + 5 + keysW + 12 + 6 + STATE_WIDTH
  const widest = Math.max(0, ...labels.map((l) => l.length))
  const pairLabel = Math.min(widest, Math.max(12, width - pairText - 10))
  const pairBar = Math.max(6, Math.min(20, width - pairText - pairLabel))
  return {overallBar, pairLabel, pairBar}
}

// About 70 lines: one closure over the bars' mutable state (the multibar, its layout, one bar per
// pair, the redraw timer) that the listener, redraw() and stop() all share; split, each piece
// would take all of it as arguments.
export function attachBars(bus: EventBus, out: NodeJS.WritableStream, names: (id: string) => string): Reporter {
  // loaded only for bars (a terminal): start-up that quiet, plain and JSON runs skip
  const bars = createRequire(import.meta.url)('cli-progress') as typeof cliProgress
  const t = new Tally()
  let multi: cliProgress.MultiBar | undefined
  let overall: cliProgress.SingleBar | undefined
  let layout: BarLayout | undefined
  const pairBars = new Map<string, cliProgress.SingleBar>()
  let timer: NodeJS.Timeout | undefined
  const lines = new EventLines((s) => (multi ? multi.log(s + '\n') : out.write(s + '\n')))
  const label = (p: PairTally) => truncate(`${names(p.from)} -> ${names(p.to)}`, layout!.pairLabel).padEnd(layout!.pairLabel)
  const keysText = (keys: number, total: number) => shortOf(keys, total)
  const redraw = () => {
    if (!multi || !overall || !layout) return
    const rate = t.dryRun ? '-' : short(t.rate())
    overall.update(Math.round(t.fraction() * 1000), {pct: percent(t.fraction()).padStart(4), keysText: keysText(t.keys, t.keysTotal), slotsText: `${t.slotsDone}/${t.slotsTotal}`, rateText: rate, eta2: t.dryRun ? '-' : t.eta()})
    for (const [k, p] of t.pairs) {
      if (p.slot === undefined) continue
      let b = pairBars.get(k)
      if (!b) {
        b = multi.create(1000, 0, {}, {format: `  {pair} {bar} {pct} {keysText} keys, slot {slot} {state}`, barsize: layout.pairBar})
        pairBars.set(k, b)
      }
      const f = t.pairFraction(p)
      const state = p.slotsDone === p.slotsTotal ? (t.dryRun ? 'planned' : 'done') : p.state
      b.update(Math.round(f * 1000), {pair: label(p), pct: percent(f).padStart(4), keysText: keysText(p.keys, p.keysTotal), slot: p.slot, state})
    }
  }
  const off = bus.on((e) => {
    t.onEvent(e)
    if (e.type === 'run-started') {
      out.write(`${e.dryRun ? 'Planning' : 'Moving'} ${e.moves} slot(s), ${e.keys} keys${e.dryRun ? paint.yellow(' (dry run: nothing is sent)') : ''}\n`)
      layout = barLayout(screenWidth(out as NodeJS.WriteStream), e.keys, e.moves, e.pairs.map((p) => `${names(p.from)} -> ${names(p.to)}`))
      multi = new bars.MultiBar(
        {
          stream: out as NodeJS.WriteStream,
          clearOnComplete: false,
          hideCursor: true,
          format: `${paint.cyan('{bar}')} {pct} {keysText} keys, {slotsText} slots, {rateText} keys/s, ETA {eta2}`,
          barsize: layout.overallBar,
        },
        bars.Presets.shades_classic,
      )
      overall = multi.create(1000, 0, {pct: '  0%', keysText: keysText(0, e.keys), slotsText: `0/${e.moves}`, rateText: '0', eta2: '-'})
      timer = setInterval(redraw, 100)
      timer.unref()
    } else if (e.type === 'run-finished') {
      lines.flush()
      stopBars()
      out.write(finishLine(e) + '\n')
    } else {
      lines.handle(e)
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
      lines.flush()
      stopBars()
      off()
    },
  }
}
