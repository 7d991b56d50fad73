// Reporters: listeners of the same engine events (docs/architecture.md "Layers"), chosen in one place.
//  - bars:   cli-progress, redrawn in place on a TTY (overall bar + one line per active pair)
//  - plain:  progress lines for CI logs (no escape codes), printed on change at most every few seconds
//  - json:   NDJSON events on stderr
//  - quiet:  only the verdict line
//  - silent: nothing (--json --quiet: the result document alone)
import type {EventBus} from '../events/events.js'
import {attachBars} from './bars.js'
import {EventLines, finishLine, progressLine} from './event-lines.js'
import type {Reporter} from './reporter.js'
import {Tally} from './tally.js'

export type {Reporter} from './reporter.js'

export type ReporterMode = 'bars' | 'plain' | 'json' | 'quiet' | 'silent'

export function chooseReporterMode(f: {json?: boolean; quiet?: boolean}): ReporterMode {
  if (f.json) return f.quiet ? 'silent' : 'json'
  if (f.quiet) return 'quiet'
  return process.stdout.isTTY ? 'bars' : 'plain'
}

export function attachReporter(bus: EventBus, mode: ReporterMode, out: NodeJS.WritableStream = process.stdout, names: (id: string) => string = (id) => id.slice(0, 8)): Reporter {
  switch (mode) {
    case 'json':
      return {stop: bus.on((e) => process.stderr.write(JSON.stringify({ts: new Date().toISOString(), ...e}) + '\n'))}
    case 'silent':
      return {stop: () => undefined}
    case 'quiet':
      return {stop: bus.on((e) => e.type === 'run-finished' && out.write(finishLine(e) + '\n'))}
    case 'plain':
      return attachPlain(bus, out)
    case 'bars':
      return attachBars(bus, out, names)
  }
}

/** Plain lines wait at least this long between two progress lines. */
export const PLAIN_INTERVAL_MS = 3000

function attachPlain(bus: EventBus, out: NodeJS.WritableStream): Reporter {
  const t = new Tally()
  const line = (s: string) => out.write(s + '\n')
  const lines = new EventLines(line)
  let printed = '0/0'
  let printedAt = 0
  const progress = (final: boolean) => {
    const now = Date.now()
    if (t.counts() === printed || (!final && now - printedAt < PLAIN_INTERVAL_MS)) return
    line(progressLine(t))
    printed = t.counts()
    printedAt = now
  }
  let timer: NodeJS.Timeout | undefined
  const off = bus.on((e) => {
    t.onEvent(e)
    if (e.type === 'run-started') {
      line(`${e.dryRun ? 'planning' : 'moving'} ${e.moves} slot(s), ${e.keys} keys${e.dryRun ? ' (dry run: nothing is sent)' : ''}`)
      for (const p of e.pairs) line(`  ${e.nodes[p.from] ?? p.from} -> ${e.nodes[p.to] ?? p.to}: ${p.slots} slot(s), ${p.keys} keys${p.mechanism === 'atomic' ? ' (atomic slot migration)' : ''}`)
      printedAt = Date.now()
      timer = setInterval(() => progress(false), 500)
      timer.unref()
    } else if (e.type === 'run-finished') {
      if (timer) clearInterval(timer)
      lines.flush()
      if (t.slotsTotal > 0) progress(true)
      line(finishLine(e))
    } else {
      lines.handle(e)
    }
  })
  return {
    stop: () => {
      if (timer) clearInterval(timer)
      lines.flush()
      off()
    },
  }
}
