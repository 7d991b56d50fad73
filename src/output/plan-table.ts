// Tables for what is about to move: per source -> target pair, slots as compact ranges, counts, keys.
import type {MovePreview} from '../operations/run-moves.js'
import {formatSlots} from '../topology/slot-set.js'
import {nameOf, type Topology} from '../topology/topology.js'
import {table, truncate} from './tables.js'

export function renderPreview(p: MovePreview, t: Topology): string {
  const name = (id: string) => nameOf(t, id)
  const rows = p.pairs.map((x) => [name(x.from), name(x.to), truncate(formatSlots(x.slots), 48), String(x.slots.length), String(x.keys)])
  const lines = [table(rows, ['FROM', 'TO', 'SLOTS', 'COUNT', 'KEYS'])]
  if (p.skipped.length > 0) lines.push(`skipped: ${formatSlots(p.skipped.map((s) => s.slot))} (${p.skipped[0]!.reason})`)
  lines.push(`total: ${p.todo.length} slot(s), ${p.keys} keys`)
  return lines.join('\n')
}
