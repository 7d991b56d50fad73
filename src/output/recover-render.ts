// What `reshard recover` found, for people: slots as ranges, grouped by kind and node pair.
import type {SlotDiagnosis} from '../migration/recovery-cases.js'
import {slotSummary} from './slot-list.js'

/** What recover found, one line per kind of problem and node pair (slots as ranges), keys summed per node. */
export function describeFound(found: readonly SlotDiagnosis[], name: (id?: string) => string): string[] {
  const groups = new Map<string, {slots: number[]; keys: Map<string, number>; reason?: string}>()
  for (const d of found) {
    const k = `${d.case}${d.source ? ` (${name(d.source)} -> ${name(d.target)})` : d.target ? ` (owner ${name(d.target)})` : ''}`
    const g = groups.get(k) ?? {slots: [], keys: new Map<string, number>(), reason: d.reason}
    groups.set(k, g)
    g.slots.push(d.slot)
    for (const h of d.holders) g.keys.set(name(h.id), (g.keys.get(name(h.id)) ?? 0) + h.keys)
    if (g.reason !== d.reason) g.reason = undefined
  }
  return [...groups.entries()].map(([k, g]) => {
    const keys = g.keys.size ? `, keys on ${[...g.keys].map(([n, c]) => `${n}: ${c}`).join(', ')}` : ''
    return `${g.slots.length === 1 ? `slot ${g.slots[0]}` : `slots ${slotSummary(g.slots)}`}: ${k}${keys}${g.reason ? ` - ${g.reason}` : ''}`
  })
}

/** The atomic migration tasks recover will cancel, one line each. */
export function describeTasks(tasks: ReadonlyArray<{id: string; slots: number[]; source: string; target: string; state: string; retries: number; error: string; stuck: boolean}>, name: (id?: string) => string): string[] {
  return tasks.map((x) => {
    const why = x.stuck ? `stuck: failed ${x.retries} times${x.error ? ` (${x.error})` : ''}, retries forever` : `running (${x.state}), --cancel-tasks`
    return `atomic migration ${x.id} of ${slotSummary(x.slots)} ${name(x.source)} -> ${name(x.target)}: ${why}; it will be cancelled`
  })
}
