// Human renderings of plans (`reshard plan ...`, `rebalance`, `drain`, `apply`): one table of
// source -> target pairs (slots as compact ranges, counts, keys) and one table of slot counts per
// primary before and after. Plain text that reads the same in a terminal and in a CI log: no
// cursor movement, colour only on a TTY (colour.ts), nothing wider than it needs to be.
import {defaultParallel} from '../migration/executor.js'
import {pairsOf, type Plan} from '../planner/index.js'
import {formatSlots} from '../topology/slot-set.js'
import {paint} from './colour.js'
import {table} from './tables.js'

/** Widest SLOTS cell before it is cut at a range boundary ("… +N ranges"). */
const SLOTS_WIDTH = 56

/** How a plan names a node: its hostname, else its address (the ids a plan records). */
export function nameOf(plan: Plan): (id: string) => string {
  const byId = new Map(plan.cluster.nodes.map((n) => [n.id, n]))
  return (id) => {
    const n = byId.get(id)
    return n ? (n.hostname ?? n.address) : id.slice(0, 8)
  }
}

/** Compact ranges, cut at a range boundary when longer than `width`. */
export function compactSlots(slots: readonly number[], width = SLOTS_WIDTH): string {
  const full = formatSlots(slots)
  if (full.length <= width) return full
  const parts = full.split(',')
  let out = ''
  let used = 0
  for (const p of parts) {
    const next = out === '' ? p : `${out},${p}`
    if (next.length > width - 14 && out !== '') break
    out = next
    used++
  }
  return `${out},… +${parts.length - used} ranges`
}

function describeOptions(plan: Plan, name: (id: string) => string): string {
  const o = plan.options
  const weights = o.weights && typeof o.weights === 'object' ? Object.entries(o.weights as Record<string, number>) : []
  const w = weights.length > 0 ? `, weights ${weights.map(([id, v]) => `${name(id)}=${v}`).sort().join(' ')}` : ''
  switch (plan.kind) {
    case 'rebalance':
      return `rebalance by ${String(o.by ?? 'slots')}, threshold ${String(o.threshold)}%${o.useEmptyPrimaries ? ', using empty primaries' : ''}${w}`
    case 'drain': {
      const to = Array.isArray(o.to) ? ` into ${(o.to as string[]).map(name).join(', ')}` : ''
      return `drain ${name(String(o.node))}${to}${w}`
    }
    case 'move':
      return `move slots ${String(o.slots)} to ${name(String(o.to))}${o.from ? ` from ${name(String(o.from))}` : ''}`
  }
}

function compareAddress(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0
  if (a === undefined) return 1
  if (b === undefined) return -1
  const i = a.lastIndexOf(':')
  const j = b.lastIndexOf(':')
  const ha = a.slice(0, i)
  const hb = b.slice(0, j)
  if (ha !== hb) return ha < hb ? -1 : 1
  return Number(a.slice(i + 1)) - Number(b.slice(j + 1))
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `${n}` : '0'
}

/** The pairs table alone (what will move). */
export function renderPlanMoves(plan: Plan): string {
  const name = nameOf(plan)
  const keysKnown = plan.totals.keys !== undefined
  const rows = pairsOf(plan).map((p) => {
    const keys = keysKnown ? String(plan.moves.filter((m) => m.from === p.from && m.to === p.to).reduce((a, m) => a + (m.keys ?? 0), 0)) : '?'
    return [name(p.from), '->', name(p.to), compactSlots(p.slots), String(p.slots.length), keys]
  })
  return table(rows, ['FROM', '', 'TO', 'SLOTS', 'COUNT', 'KEYS'])
}

/** Slot (and key) counts per primary before and after. */
export function renderPlanSummary(plan: Plan): string {
  const name = nameOf(plan)
  const addr = new Map(plan.cluster.nodes.map((n) => [n.id, n.address]))
  const keysKnown = plan.summary.some((e) => e.keysBefore !== undefined)
  // People read nodes in address order (nodeA, nodeB, ...); the plan lists them by id.
  const byAddress = [...plan.summary].sort((a, b) => compareAddress(addr.get(a.id), addr.get(b.id)) || (a.id < b.id ? -1 : 1))
  const rows = byAddress.map((e) => {
    const change = e.slotsAfter - e.slotsBefore
    const row = [
      name(e.id),
      addr.get(e.id) ?? '-',
      e.id.slice(0, 8),
      e.weight === undefined ? '-' : String(e.weight),
      String(e.slotsBefore),
      String(e.slotsAfter),
      change === 0 ? '0' : change > 0 ? paint.green(signed(change)) : paint.yellow(signed(change)),
    ]
    if (keysKnown) row.push(String(e.keysBefore ?? '?'), String(e.keysAfter ?? '?'))
    return row
  })
  const header = ['PRIMARY', 'ADDRESS', 'ID', 'WEIGHT', 'SLOTS BEFORE', 'SLOTS AFTER', 'CHANGE']
  if (keysKnown) header.push('KEYS BEFORE', 'KEYS AFTER')
  const lines = [table(rows, header)]
  const sp = plan.spread
  let spread = `spread (max - min slots per unit of weight): ${sp.before.slots} before, ${sp.after.slots} after`
  if (sp.before.keys !== undefined && sp.after.keys !== undefined) spread += `; keys: ${sp.before.keys} before, ${sp.after.keys} after`
  lines.push(spread)
  return lines.join('\n')
}

/** The whole plan as people read it. */
export function renderPlan(plan: Plan): string {
  const name = nameOf(plan)
  const out: string[] = []
  out.push(paint.bold(`Plan: ${describeOptions(plan, name)}`) + paint.dim(` (cluster ${plan.cluster.id})`))
  out.push('')
  if (plan.moves.length === 0) {
    out.push(plan.kind === 'rebalance' ? paint.green('Nothing to move: the primaries are within the threshold.') : paint.green('Nothing to move.'))
  } else {
    out.push(renderPlanMoves(plan))
    const pairs = pairsOf(plan).length
    const keys = plan.totals.keys === undefined ? '' : `, ${plan.totals.keys} keys`
    const parallel = defaultParallel(plan.moves)
    out.push(
      `total: ${plan.totals.slots} slot(s)${keys} in ${pairs} pair(s)` +
        (pairs > 1 ? `; ${parallel === 1 ? 'pairs share nodes, so they run one after another' : `up to ${parallel} pairs run at once`}` : ''),
    )
  }
  if (plan.skipped && plan.skipped.length > 0) {
    out.push(paint.dim(`skipped: slot(s) ${compactSlots(plan.skipped.map((s) => s.slot))} (the target already owns them)`))
  }
  out.push('')
  out.push(renderPlanSummary(plan))
  return out.join('\n')
}
