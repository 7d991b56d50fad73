// Human renderings of result documents: status map, plans, move results.
import type {StatusDocument} from '../operations/status.js'
import {SLOT_COUNT} from '../topology/slot-set.js'
import {paint} from './colour.js'

export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows
  const widths: number[] = []
  for (const r of all) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(c))))
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('  ').trimEnd()
  const lines = all.map(fmt)
  if (header) lines[0] = paint.bold(lines[0]!)
  return lines.join('\n')
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length
}

export function shareBar(part: number, whole: number, width = 16): string {
  const n = whole > 0 ? Math.round((part / whole) * width) : 0
  return paint.cyan('█'.repeat(n)) + paint.dim('·'.repeat(Math.max(0, width - n)))
}

export function renderStatus(s: StatusDocument): string {
  const out: string[] = []
  const totalKeys = s.primaries.reduce((a, p) => a + (p.keys ?? 0), 0)
  const avgSlots = s.primaries.length ? SLOT_COUNT / s.primaries.length : 0
  out.push(paint.bold(`Cluster ${s.cluster}: ${s.primaries.length} primaries, ${s.replicas.length} replicas, ${totalKeys} keys`))
  out.push('')
  out.push(
    table(
      s.primaries.map((p) => [
        p.hostname ?? '-',
        p.id.slice(0, 8),
        p.address,
        String(p.slots),
        shareBar(p.slots, SLOT_COUNT),
        p.keys === undefined ? '?' : String(p.keys),
        shareBar(p.keys ?? 0, totalKeys),
        p.reachable ? truncate(p.ranges || '-', 40) : paint.red('unreachable'),
      ]),
      ['PRIMARY', 'ID', 'ADDRESS', 'SLOTS', 'SLOT SHARE', 'KEYS', 'KEY SHARE', 'RANGES'],
    ),
  )
  if (s.replicas.length > 0) {
    out.push('')
    out.push(table(s.replicas.map((r) => [r.hostname ?? '-', r.id.slice(0, 8), r.address, r.primary ?? '-', r.reachable ? '' : paint.red('unreachable')]), ['REPLICA', 'ID', 'ADDRESS', 'OF', '']))
  }
  out.push('')
  if (s.open.length > 0) {
    out.push(paint.yellow(paint.bold('Open slots:')))
    for (const o of s.open) out.push(paint.yellow(`  slot ${o.slot}: ${o.state.toUpperCase()} on ${o.node} ${o.state === 'migrating' ? 'to' : 'from'} ${o.peer}`))
  }
  if (s.asm.length > 0) {
    out.push(paint.yellow(paint.bold('Atomic slot migrations running:')))
    for (const x of s.asm) out.push(paint.yellow(`  slots ${x.slots}: ${x.source} -> ${x.target}, ${x.state}${x.retries > 0 ? ` (${x.retries} retries${x.error ? `: ${x.error}` : ''})` : ''} [${x.flavour} task ${x.id.slice(0, 12)}]`))
  }
  out.push(`Coverage: ${s.uncoveredCount === 0 ? paint.green(`all ${SLOT_COUNT} slots covered`) : paint.red(`${s.uncoveredCount} slot(s) uncovered: ${truncate(s.uncovered, 60)}`)}`)
  out.push(`Agreement: ${s.agree ? paint.green('every node agrees on the slot map') : paint.red(`${s.disagreements.length} node(s) disagree`)}`)
  const spread = s.primaries.length ? Math.max(...s.primaries.map((p) => p.slots)) - Math.min(...s.primaries.map((p) => p.slots)) : 0
  if (avgSlots > 0) out.push(`Balance: slot counts differ by ${spread} (${((spread / avgSlots) * 100).toFixed(1)}% of the average)`)
  out.push(`Health: ${s.healthy ? paint.green('OK') : paint.red(`${s.problems.length} problem(s), run \`reshard check\``)}`)
  return out.join('\n')
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…'
}
