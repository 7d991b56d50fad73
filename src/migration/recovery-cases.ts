// PURE. What is wrong with a slot, and which node should end up owning it.
// The five half-migrated states Redis' own cluster tests construct, plus orphaned keys and an
// unowned slot (issue: recover). Classification reads only the Topology and key counts.
import {nodeById, primaries, type Topology, shortId} from '../topology/topology.js'

export type RecoveryCase =
  | 'half-init-migrating-only' // source MIGRATING, target not importing
  | 'half-init-importing-only' // target IMPORTING, source not migrating
  | 'both-open' // initialised on both sides, keys partly moved
  | 'half-finalised-on-migrating' // source already gave the slot away, target still IMPORTING
  | 'half-finalised-on-importing' // target owns (NODE sent to it), source still MIGRATING
  | 'orphaned-keys' // keys of the slot on a primary that does not own it
  | 'unowned' // no primary owns the slot
  | 'undecidable'

export interface SlotDiagnosis {
  slot: number
  case: RecoveryCase
  /** The migration's source (rollback target) when the case is a migration. */
  source?: string
  /** The migration's target (forward target). */
  target?: string
  /** The node that believes it owns the slot now, if exactly one does. */
  claimant?: string
  /** Primaries holding keys of the slot, with counts. */
  holders: Array<{id: string; keys: number}>
  /** Why it is undecidable. */
  reason?: string
}

/** keyCounts: per primary id, keys of this slot on it. */
export function diagnoseSlot(t: Topology, slot: number, keyCounts: ReadonlyMap<string, number>): SlotDiagnosis | undefined {
  const marks = t.open.filter((o) => o.slot === slot)
  const prim = primaries(t).filter((n) => n.reachable)
  // Two nodes may claim a slot while gossip settles: the higher config epoch wins, as in Redis.
  const claimNodes = prim.filter((n) => n.claims.includes(slot)).sort((a, b) => b.configEpoch - a.configEpoch)
  const claimants =
    claimNodes.length > 1 && claimNodes[0]!.configEpoch > claimNodes[1]!.configEpoch ? [claimNodes[0]!.id] : claimNodes.map((n) => n.id)
  const holders = [...keyCounts].filter(([, k]) => k > 0).map(([id, keys]) => ({id, keys})).sort((a, b) => b.keys - a.keys || (a.id < b.id ? -1 : 1))
  const base = {slot, holders, claimant: claimants.length === 1 ? claimants[0] : undefined}

  if (marks.length === 0) {
    if (claimants.length > 1) return {...base, case: 'undecidable', reason: `${claimants.length} primaries claim the slot`}
    if (claimants.length === 0 && t.owners[slot] === null) return {...base, case: 'unowned'}
    const owner = claimants[0] ?? t.owners[slot]!
    if (holders.some((h) => h.id !== owner)) return {...base, case: 'orphaned-keys', target: owner}
    return undefined
  }
  // Every mark must describe the same source -> target pair.
  const pairs = new Set(marks.map((m) => (m.state === 'migrating' ? `${m.nodeId}>${m.peerId}` : `${m.peerId}>${m.nodeId}`)))
  if (pairs.size > 1) return {...base, case: 'undecidable', reason: `conflicting migrations: ${[...pairs].map((p) => p.split('>').map((x) => shortId(x)).join('->')).join(', ')}`}
  const [source, target] = [...pairs][0]!.split('>') as [string, string]
  if (!nodeById(t, source) || !nodeById(t, target)) return {...base, case: 'undecidable', reason: 'a node named by the open slot is not in the cluster'}
  if (claimants.length > 1) return {...base, case: 'undecidable', reason: `${claimants.length} primaries claim the slot`}
  const migrating = marks.some((m) => m.state === 'migrating' && m.nodeId === source)
  const importing = marks.some((m) => m.state === 'importing' && m.nodeId === target)
  const d = {...base, source, target}
  if (migrating && importing) return {...d, case: 'both-open'}
  if (migrating) return {...d, case: claimants.includes(target) ? 'half-finalised-on-importing' : 'half-init-migrating-only'}
  return {...d, case: claimants.includes(source) ? 'half-init-importing-only' : 'half-finalised-on-migrating'}
}

/** The node the slot should end with. Forward: the migration's target; rollback: its source. */
export function finalOwner(t: Topology, d: SlotDiagnosis, rollback: boolean): string | undefined {
  switch (d.case) {
    case 'undecidable':
      return undefined
    case 'orphaned-keys':
      return d.target
    case 'unowned': {
      if (d.holders.length > 0) return d.holders[0]!.id
      // nobody holds keys: the primary with the fewest slots takes it
      const p = primaries(t)
        .filter((n) => n.reachable)
        .sort((a, b) => a.slots.length - b.slots.length || (a.id < b.id ? -1 : 1))
      return p[0]?.id
    }
    default:
      return rollback ? d.source : d.target
  }
}
