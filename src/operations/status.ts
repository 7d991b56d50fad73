// `reshard status` and `reshard check`: a document describing the cluster, and the problems
// that make `check` fail.
import type {ConnectionOptions} from '../cluster/connection.js'
import {RedisClusterAdmin} from '../cluster/redis-admin.js'
import {slotArgument, slotSummary} from '../output/slot-list.js'
import {formatSlots, SLOT_COUNT} from '../topology/slot-set.js'
import {nameOf, primaries, replicasOf, shortName, type Topology} from '../topology/topology.js'

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
  problems: string[]
}

export function statusOf(t: Topology): StatusDocument {
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
  const toRecover = [...new Set([...openSlots, ...t.uncovered])]
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
    problems,
  }
}

export async function readStatus(conn: ConnectionOptions): Promise<StatusDocument> {
  const {admin, topology} = await RedisClusterAdmin.connect(conn, {withKeys: true})
  try {
    return statusOf(topology)
  } finally {
    await admin.close()
  }
}

export {SLOT_COUNT}
