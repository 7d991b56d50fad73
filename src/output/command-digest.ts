// PURE. The commands a dry run would send, as people read them. A drain of 5461 slots records
// about 31,000 commands (per slot: SETSLOT IMPORTING, MIGRATING, NODE on every primary, and the
// MIGRATE batches); one line each buries what matters. Commands that differ only in their slot
// (or, for MIGRATE, their keys) become one line per node and shape, with the slots as ranges and
// a count: "nodeA: CLUSTER SETSLOT <slot> IMPORTING d5aae9cf… for 10923-13652 (2730 slots)".
// A short dry run is printed as it is, command by command. `--json` keeps every command (the
// `command` events).
import {slotSummary} from './slot-list.js'

/** Up to this many commands are printed one per line, exactly as they would be sent. */
export const VERBATIM_MAX = 20

interface Group {
  node: string
  shape: string
  count: number
  slots: number[]
  keys: number
}

const NODE_ID = /\b[0-9a-f]{40}\b/g
const SETSLOT = /^(CLUSTER SETSLOT) (\d+)\b(.*)$/
const MIGRATE = /^(MIGRATE .*? KEYS) (.*)$/

/** One command's shape (what is left once its slot or keys are taken out), slot and key count. */
export function commandShape(command: string): {shape: string; slots: number[]; keys: number} {
  const set = SETSLOT.exec(command)
  if (set) return {shape: `${set[1]} <slot>${set[3]}`.replace(NODE_ID, (id) => `${id.slice(0, 8)}…`), slots: [Number(set[2])], keys: 0}
  const mig = MIGRATE.exec(command)
  if (mig) {
    // describeMigrate shows three keys, then "... (N keys)"; a key's name may hold spaces, the
    // dry run's placeholders ("<key 3 of slot 7>") always do
    const cut = /\.\.\. \((\d+) keys\)$/.exec(mig[2]!)
    const keys = cut ? Number(cut[1]) : mig[2]!.split('<key ').length - 1 || mig[2]!.split(' ').length
    return {shape: `${mig[1]} …`, slots: [], keys}
  }
  return {shape: command, slots: [], keys: 0}
}

/** Collects `command` events; `lines()` gives them back verbatim when few, else as a digest. */
export class CommandDigest {
  private verbatim: string[] = []
  private groups = new Map<string, Group>()
  private total = 0

  add(node: string, command: string): void {
    this.total++
    if (this.verbatim.length <= VERBATIM_MAX) this.verbatim.push(`${node}: ${command}`)
    const {shape, slots, keys} = commandShape(command)
    const k = `${node}\n${shape}`
    let g = this.groups.get(k)
    if (!g) this.groups.set(k, (g = {node, shape, count: 0, slots: [], keys: 0}))
    g.count++
    g.keys += keys
    for (const s of slots) g.slots.push(s)
  }

  /** The lines to print, each without the "would send to" prefix, and forget them. */
  lines(): {verbatim: boolean; total: number; lines: string[]} {
    const total = this.total
    const verbatim = total <= VERBATIM_MAX
    const lines = verbatim ? this.verbatim : [...this.groups.values()].map(describeGroup)
    this.verbatim = []
    this.groups.clear()
    this.total = 0
    return {verbatim, total, lines}
  }
}

function describeGroup(g: Group): string {
  const times = g.count > 1 ? ` ×${g.count}` : ''
  if (g.shape.startsWith('MIGRATE ')) return `${g.node}: ${g.shape}${times}, ${g.keys} key${g.keys === 1 ? '' : 's'} in all`
  if (g.slots.length > 0) return `${g.node}: ${g.shape} for ${slotSummary(g.slots)}`
  return `${g.node}: ${g.shape}${times}`
}
