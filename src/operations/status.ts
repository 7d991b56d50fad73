// `reshard status` and `reshard check`: a document describing the cluster, and the problems
// that make `check` fail.
import type {ConnectionOptions} from '../cluster/connection.js'
import {RedisClusterAdmin} from '../cluster/redis-admin.js'
import {runningAsmTasks, type RunningAsmTask} from './asm-tasks.js'
import {slotArgument, slotSummary} from '../output/slot-list.js'
import {formatSlots, SLOT_COUNT} from '../topology/slot-set.js'
import {nameOf, nodeById, primaries, replicasOf, shortName, type Topology} from '../topology/topology.js'

export interface StatusDocument {
  cluster: string
  healthy: boolean
  primaries: Array<{
    id: string
    hostname?: string
    address: string
    slots: number
    ranges: string
    keys?: number
    reachable: boolean
    replicas: Array<{id: string; hostname?: string; address: string; reachable: boolean}>
  }>
  replicas: Array<{id: string; hostname?: string; address: string; primary?: string; reachable: boolean}>
  open: Array<{slot: number; node: string; state: 'migrating' | 'importing'; peer: string}>
  uncovered: string
  uncoveredCount: number
  /** Copies of open-slot markers on replicas (Valkey 8+), with whether the primary shows the same. */
  replicaCopies: Array<{slot: number; node: string; state: 'migrating' | 'importing'; peer: string; matchesPrimary: boolean}>
  agree: boolean
  disagreements: Array<{node: string; slots: string}>
  unreachable: Array<{address: string; error?: string}>
  /** Atomic slot migration tasks not yet ended (servers/ASM.md). */
  asm: Array<{id: string; flavour: string; slots: string; source: string; target: string; state: string; error?: string; retries: number; stuck: boolean}>
  /** Slots that some node is named owner of, but no reachable node claims on its own line. */
  unserved: string
  /** Keys on a primary in a slot it neither owns nor imports (only `check` looks). */
  orphaned?: Array<{node: string; slots: string; keys: number}>
  problems: string[]
}

/**
 * Slots no node serves: the owner the views name does not itself claim the slot (every node
 * thinks another owns it: clients get MOVED back and forth). A slot whose named owner does not
 * answer is reported as unreachable instead, and an uncovered one as uncovered.
 */
export function unservedSlots(t: Topology): number[] {
  const claimed = new Uint8Array(SLOT_COUNT)
  for (const n of t.nodes) if (n.reachable && n.role === 'primary') for (const s of n.claims) claimed[s] = 1
  const reachable = new Set(t.nodes.filter((n) => n.reachable).map((n) => n.id))
  const out: number[] = []
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = t.owners[s]
    if (o && reachable.has(o) && !claimed[s]) out.push(s)
  }
  return out
}

/** The status document (a little over 60 lines: the list of problems is built in the order the
 *  human output prints them, next to the fields they come from). */
export function statusOf(t: Topology, tasks: readonly RunningAsmTask[] = []): StatusDocument {
  const name = (id: string) => nameOf(t, id)
  const prim = primaries(t)
  const problems: string[] = []
  const unreachable = t.nodes.filter((n) => !n.reachable).map((n) => ({address: n.address, error: n.error}))
  for (const u of t.nodes.filter((n) => !n.reachable)) problems.push(`node ${shortName(u)} (${u.address}) is unreachable${u.error ? `: ${u.error}` : ''}`)
  for (const f of t.nodes.filter((n) => n.failed && n.reachable)) problems.push(`node ${shortName(f)} is flagged as failing`)
  const openSlots = [...new Set(t.open.map((o) => o.slot))]
  // one line per node, state and peer, its slots as ranges: 203 open slots are 2 lines, not 406
  const openMark = (o: Topology['open'][number]) => `${o.state.toUpperCase()} on ${name(o.nodeId)} (${o.state === 'migrating' ? 'to' : 'from'} ${name(o.peerId)})`
  const byMark = new Map<string, number[]>()
  for (const o of t.open) {
    const k = openMark(o)
    byMark.set(k, byMark.get(k) ?? [])
    byMark.get(k)!.push(o.slot)
  }
  for (const [mark, slots] of byMark) problems.push(slots.length === 1 ? `slot ${slots[0]} is ${mark}` : `slots ${slotSummary(slots)} are ${mark}`)
  if (t.uncovered.length > 0) problems.push(`slots not covered by any primary: ${slotSummary(t.uncovered)}`)
  for (const d of t.disagreements) problems.push(`node ${name(d.nodeId)} disagrees on the owner of slots ${slotSummary(d.slots)}`)
  // A running atomic migration is a migration in progress: not healthy, and not orphaned keys.
  for (const x of tasks) {
    const what = `atomic slot migration in progress: slot(s) ${formatSlots(x.slots)} ${name(x.source)} -> ${name(x.target)} (state ${x.state})`
    problems.push(x.stuck ? `${what}, failing after ${x.retries} retries: ${x.error || 'no message'}; cancel it with: reshard recover` : what)
  }
  const unserved = unservedSlots(t)
  if (unserved.length > 0) problems.push(`slots served by no node (each node names another as owner): ${slotSummary(unserved)}`)
  const toRecover = [...new Set([...openSlots, ...t.uncovered, ...unserved])].sort((a, b) => a - b)
  const arg = slotArgument(toRecover)
  if (toRecover.length > 0) problems.push(`fix the ${openSlots.length > 0 ? 'open' : 'uncovered'} slots with: reshard recover${arg ? ` --slot ${arg}` : ''}`)
  return {
    cluster: t.clusterId,
    healthy: problems.length === 0,
    primaries: prim.map((p) => ({
      id: p.id,
      hostname: p.hostname,
      address: p.address,
      slots: p.slots.length,
      ranges: p.slots.length ? formatSlots(p.slots) : '',
      keys: p.keyCount,
      reachable: p.reachable,
      replicas: replicasOf(t, p.id).map((r) => ({id: r.id, hostname: r.hostname, address: r.address, reachable: r.reachable})),
    })),
    replicas: t.nodes
      .filter((n) => n.role === 'replica')
      .map((r) => ({id: r.id, hostname: r.hostname, address: r.address, primary: r.primaryId ? name(r.primaryId) : undefined, reachable: r.reachable})),
    open: t.open.map((o) => ({slot: o.slot, node: name(o.nodeId), state: o.state, peer: name(o.peerId)})),
    // Valkey 8+ replicas' copies of their primary's markers: shown, never counted as open slots
    replicaCopies: t.replicaCopies.map((o) => {
      const primary = t.nodes.find((n) => n.id === o.nodeId)?.primaryId
      const matches = t.open.some((p) => p.nodeId === primary && p.slot === o.slot && p.state === o.state && p.peerId === o.peerId)
      return {slot: o.slot, node: name(o.nodeId), state: o.state, peer: name(o.peerId), matchesPrimary: matches}
    }),
    uncovered: formatSlots(t.uncovered),
    uncoveredCount: t.uncovered.length,
    agree: t.disagreements.length === 0,
    disagreements: t.disagreements.map((d) => ({node: name(d.nodeId), slots: formatSlots(d.slots)})),
    unreachable,
    asm: tasks.map((x) => ({id: x.id, flavour: x.flavour, slots: formatSlots(x.slots), source: name(x.source), target: name(x.target), state: x.state, error: x.error || undefined, retries: x.retries, stuck: x.stuck})),
    unserved: formatSlots(unserved),
    problems,
  }
}

/** Keys on a primary in a slot it neither owns nor imports: COUNTKEYSINSLOT of every such slot
 *  (one small script per node over their ranges; cheap on the server). Adds them to the document's
 *  problems. `underAsm`: slots of running atomic migrations, whose keys on the target are the import in flight. */
export async function addOrphans(admin: {nonEmptySlots(nodeId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<Map<number, number>>}, t: Topology, doc: StatusDocument, underAsm: ReadonlySet<number> = new Set()): Promise<void> {
  const found: NonNullable<StatusDocument['orphaned']> = []
  await Promise.all(
    primaries(t)
      // a primary that answered DBSIZE 0 holds no key at all
      .filter((p) => p.reachable && p.keyCount !== 0)
      .map(async (p) => {
        const counts = await admin.nonEmptySlots(p.id, rangesOutside(p.id, t, underAsm))
        const slots = [...counts.keys()].sort((a, b) => a - b)
        if (slots.length > 0) found.push({node: nameOf(t, p.id), slots: formatSlots(slots), keys: [...counts.values()].reduce((a, n) => a + n, 0)})
      }),
  )
  doc.orphaned = found
  if (found.length === 0) return
  const fix = doc.problems.findIndex((p) => p.startsWith('fix the '))
  const lines = found.map((o) => `${o.keys} orphaned key(s) on ${o.node} in slot(s) it does not own: ${o.slots}; move them to the owner with: reshard recover --slot ${o.slots}`)
  doc.problems.splice(fix >= 0 ? fix : doc.problems.length, 0, ...lines)
  doc.healthy = false
}

/** The ranges of slots a primary neither claims nor has open, outside `skip` (a byte per slot, as
 *  this runs at every start of `check`: no set of 16384 numbers per node). */
export function rangesOutside(nodeId: string, t: Topology, skip: ReadonlySet<number>): Array<[number, number]> {
  const own = new Uint8Array(SLOT_COUNT)
  for (const s of nodeById(t, nodeId)?.claims ?? []) own[s] = 1
  for (const o of t.open) if (o.nodeId === nodeId) own[o.slot] = 1
  for (const s of skip) own[s] = 1
  const out: Array<[number, number]> = []
  for (let s = 0; s < SLOT_COUNT; s++) {
    if (own[s]) continue
    const lo = s
    while (s + 1 < SLOT_COUNT && !own[s + 1]) s++
    out.push([lo, s])
  }
  return out
}

export async function readStatus(conn: ConnectionOptions, o: {orphans?: boolean} = {}): Promise<StatusDocument> {
  const {admin, topology} = await RedisClusterAdmin.connect(conn, {withKeys: true})
  try {
    const tasks = await runningAsmTasks(admin, topology)
    const doc = statusOf(topology, tasks)
    if (o.orphans) await addOrphans(admin, topology, doc, new Set(tasks.flatMap((x) => x.slots)))
    return doc
  } finally {
    await admin.close()
  }
}

export {SLOT_COUNT}
