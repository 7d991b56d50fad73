// PURE. Repair as data: what `reshard recover` does to one slot, as a list of steps computed from
// the diagnosis (recovery-cases.ts) and the topology alone. The real run and --dry-run execute
// the same list through one runner (repair-runner.ts); the words printed for a step are rendered
// from the step itself (describeStep), so the preview is exactly what the run does.
import type {SetSlotAction} from '../cluster/cluster-admin.js'
import {formatSlots} from '../topology/slot-set.js'
import {nodeById, primaries, type Topology} from '../topology/topology.js'
import {finalOwner, type SlotDiagnosis} from './recovery-cases.js'

export type RepairStep =
  /** CLUSTER SETSLOT on one node; an error stops the slot's repair. */
  | {kind: 'setslot'; node: string; slot: number; action: SetSlotAction; peer?: string; why: string}
  /** SETSLOT <slot> NODE <owner> on each node; errors are warnings (a node holding keys refuses, gossip teaches it). */
  | {kind: 'announce-owner'; slot: number; owner: string; nodes: string[]}
  /** Poll the cluster until every node names `owner` for the slot and none has it open. */
  | {kind: 'wait-owner'; slot: number; owner: string}
  /** Before any key moves: a key on a holder and on the keeper with different values stops the repair
   *  (undecidable), unless the holder serves the slot (`served`): its copies are the ones clients wrote. */
  | {kind: 'compare-copies'; slot: number; keeper: string; holders: string[]; served?: string}
  /** MIGRATE every key of the slot from `from` to `to` (ASKING when `from` only imports the slot);
   *  `keepServed`: keys found on both sides with different values go with REPLACE (compare-copies). */
  | {kind: 'migrate-keys'; slot: number; from: string; to: string; keys: number; asking: boolean; keepServed: boolean}
  /** Never finalize while a node other than the owner holds keys of the slot. `reopen`: if the
   *  migration's target got a key meanwhile, make it IMPORTING again so the key stays readable. */
  | {kind: 'expect-no-keys'; slot: number; owner: string; nodes: string[]; reopen?: {node: string; peer: string}}
  /** A normal move of the slot (the executor: IMPORTING, MIGRATING, MIGRATE, SETSLOT NODE). */
  | {kind: 'move-slot'; slot: number; from: string; to: string}
  /** Cancel an atomic slot migration task at the node that can (Valkey: the source; Redis: the target). */
  | {kind: 'cancel-asm-task'; flavour: 'valkey' | 'redis'; node: string; id: string; slots: number[]; source: string; target: string; why: string}
  /** At the end of the run: every node names `owner` for the slot, none has it open (one poll for all slots). */
  | {kind: 'verify'; slot: number; owner: string}

export interface RepairOptions {
  rollback?: boolean
}

export interface RepairPlan {
  slot: number
  direction: 'forward' | 'rollback' | 'none'
  /** The node the slot ends on; absent when undecidable. */
  owner?: string
  /** Why the slot cannot be repaired safely (no steps then). */
  undecidable?: string
  steps: RepairStep[]
}

/**
 * Rollback keeps every key readable only as a round trip when keys (or the ownership) already
 * sit on the target. Redis offers no order in which the source takes keys back while it still
 * redirects to the target the ones it lacks: a MIGRATING node answers ASK even to the RESTORE
 * that would bring a key back, and a STABLE (or IMPORTING) owner answers nil for a key it lacks,
 * while clients' writes of it fork a second copy (issue 11: rollback under live writes). So the
 * slot is finished forward (every step serves every key), then moved back by a normal move.
 */
export function needsRoundTrip(t: Topology, d: SlotDiagnosis): boolean {
  if (!d.source || !d.target || d.case === 'undecidable') return false
  const target = nodeById(t, d.target)
  return d.holders.some((h) => h.id === d.target) || Boolean(target?.claims.includes(d.slot)) || d.claimant === d.target
}

/** The steps that repair one slot (see RepairPlan). */
export function repairSteps(d: SlotDiagnosis, t: Topology, o: RepairOptions = {}): RepairPlan {
  const rollback = Boolean(o.rollback)
  const direction: RepairPlan['direction'] = d.source && d.target ? (rollback ? 'rollback' : 'forward') : 'none'
  if (rollback && needsRoundTrip(t, d)) {
    const fwd = repairSteps(d, t, {rollback: false})
    if (fwd.undecidable || !fwd.owner) return {...fwd, direction}
    const steps: RepairStep[] = [...fwd.steps.filter((s) => s.kind !== 'verify'), {kind: 'wait-owner', slot: d.slot, owner: d.target!}]
    steps.push({kind: 'move-slot', slot: d.slot, from: d.target!, to: d.source!}, {kind: 'verify', slot: d.slot, owner: d.source!})
    return {slot: d.slot, direction, owner: d.source, steps}
  }
  const T = finalOwner(t, d, rollback)
  if (d.case === 'undecidable' || !T) return {slot: d.slot, direction, undecidable: d.reason ?? 'no node can take the slot', steps: []}
  return {slot: d.slot, direction, owner: T, steps: stepsTowards(d, t, T, rollback)}
}

/**
 * The order of a repair towards owner T (why each step comes where it does is said inline).
 * Long because it is one sequence whose later steps depend on what the earlier ones changed.
 */
function stepsTowards(d: SlotDiagnosis, t: Topology, T: string, rollback: boolean): RepairStep[] {
  const slot = d.slot
  const steps: RepairStep[] = []
  const setslot = (node: string, action: SetSlotAction, why: string, peer?: string) => steps.push({kind: 'setslot', node, slot, action, peer, why})
  const claimant = d.claimant
  const holders = d.holders.filter((h) => h.id !== T)
  const holderIds = new Set(holders.map((h) => h.id))
  const others = primaries(t)
    .filter((p) => p.reachable && p.id !== T)
    .map((p) => p.id)
  const marks = t.open.filter((m) => m.slot === slot)
  const tMarks = marks.filter((m) => m.nodeId === T)

  // 0. An unowned slot gets its owner first: no node serves (or even DUMPs) a key of a slot
  //    nobody owns. Assigning it is the first step of any repair, so it is safe to do now.
  if (d.case === 'unowned') {
    setslot(T, 'node', 'assign the slot', T)
    steps.push({kind: 'announce-owner', slot, owner: T, nodes: others})
    if (holders.length > 0) steps.push({kind: 'wait-owner', slot, owner: T})
  }
  // 1. Before any other change: a key present on two nodes with different values cannot be decided.
  if (holders.length > 0) steps.push({kind: 'compare-copies', slot, keeper: T, holders: holders.map((h) => h.id), served: claimant})
  // 2. Marks on nodes that hold no key go first (a node MIGRATING to T keeps redirecting to T:
  //    that is what we want until the end), so no new key lands anywhere but on the owner or T.
  for (const m of marks.filter((x) => x.nodeId !== T && !holderIds.has(x.nodeId) && !(x.state === 'migrating' && x.peerId === T))) {
    setslot(m.nodeId, 'stable', `clear ${m.state.toUpperCase()}`)
  }
  // 3. Make T able to take the keys: owner already, importing from the claimant, or the new owner.
  let tClaims = Boolean(nodeById(t, T)?.claims.includes(slot)) || d.case === 'unowned'
  if (tClaims && claimant && claimant !== T) {
    // T still claims the slot but another node's claim wins (higher config epoch: a half-finalised
    // move). Keys moved to T now would be dropped when that claim reaches it: T first adopts the
    // winner as owner (it holds no key of the slot, or Redis refuses), then imports from it.
    setslot(T, 'node', 'accept the winning claim as the owner', claimant)
    tClaims = false
  }
  let tMigrating = tMarks.some((m) => m.state === 'migrating')
  if (tClaims && tMigrating && holders.length > 0) {
    // A MIGRATING node answers ASK for keys it lacks, even to RESTORE: close it so the keys can come back.
    setslot(T, 'stable', 'close MIGRATING so it takes its keys back')
    tMigrating = false
  }
  if (!tClaims) {
    if (claimant && claimant !== T) {
      if (!tMarks.some((m) => m.state === 'importing' && m.peerId === claimant)) {
        if (tMarks.length > 0) setslot(T, 'stable', `clear ${tMarks[0]!.state.toUpperCase()}`)
        setslot(T, 'importing', 'import from the owner', claimant)
      }
    } else {
      setslot(T, 'node', 'nobody claims the slot: take it now, keys follow', T)
      tClaims = true
    }
  }
  // 4. The claimant redirects writes of keys it lacks to T while its keys move.
  if (claimant && claimant !== T && !marks.some((m) => m.nodeId === claimant && m.state === 'migrating' && m.peerId === T)) {
    setslot(claimant, 'migrating', 'redirect keys it lacks to the new owner', T)
  }
  // 5. Every key of the slot held elsewhere goes to T. MIGRATE runs only where the slot is served:
  //    a holder that neither owns nor imports it is made IMPORTING for the move (ASKING).
  for (const h of holders) {
    const isClaimant = h.id === claimant
    const importing = marks.some((m) => m.nodeId === h.id && m.state === 'importing')
    if (!isClaimant && !importing) setslot(h.id, 'importing', 'so its stray keys can be moved', T)
    steps.push({kind: 'migrate-keys', slot, from: h.id, to: T, keys: h.keys, asking: !isClaimant, keepServed: isClaimant})
    if (!isClaimant) setslot(h.id, 'stable', 'close the slot after its keys left')
  }
  // 6. Never finalize while another node still holds keys of the slot.
  const reopen = rollback && d.target && tMigrating ? {node: d.target, peer: T} : undefined
  steps.push({kind: 'expect-no-keys', slot, owner: T, nodes: others, ...(reopen ? {reopen} : {})})
  // 7. Finalize: T first (it bumps its epoch when it was importing), then every other primary.
  if (tClaims && tMigrating) setslot(T, 'stable', 'close the slot on the owner')
  else if (!tClaims && ((claimant && claimant !== T) || tMarks.length > 0)) setslot(T, 'node', 'make it the owner', T)
  steps.push({kind: 'announce-owner', slot, owner: T, nodes: others}, {kind: 'verify', slot, owner: T})
  return steps
}

/** The steps that cancel atomic migration tasks, one per task. */
export function cancelTaskSteps(
  tasks: ReadonlyArray<{flavour: 'valkey' | 'redis'; driver: string; id: string; slots: number[]; source: string; target: string; why: string}>,
): RepairStep[] {
  return tasks.map((x) => ({kind: 'cancel-asm-task', flavour: x.flavour, node: x.driver, id: x.id, slots: x.slots, source: x.source, target: x.target, why: x.why}))
}

/** A step in words, for people and the event stream: rendered from the step alone. */
export function describeStep(s: RepairStep, name: (id: string) => string): string {
  switch (s.kind) {
    case 'setslot':
      return `${s.why}: CLUSTER SETSLOT ${s.slot} ${s.action.toUpperCase()}${s.peer ? ` ${name(s.peer)}` : ''} on ${name(s.node)}`
    case 'announce-owner':
      return `tell ${s.nodes.length ? s.nodes.map(name).join(', ') : 'no other primary'} that ${name(s.owner)} owns the slot (CLUSTER SETSLOT ${s.slot} NODE)`
    case 'wait-owner':
      return `wait until every node names ${name(s.owner)} as the owner of slot ${s.slot}`
    case 'compare-copies':
      return `compare the keys of ${s.holders.map(name).join(', ')} with their copies on ${name(s.keeper)} (different values stop the repair${s.served && s.holders.includes(s.served) ? `, except the copies on ${name(s.served)}, which serves the slot` : ''})`
    case 'migrate-keys':
      return `move ${s.keys} key(s) from ${name(s.from)} to ${name(s.to)} (MIGRATE${s.asking ? ' after ASKING' : ''}${s.keepServed ? `; where both differ, the copy on ${name(s.from)} is kept` : ''})`
    case 'expect-no-keys':
      return `check that no node but ${name(s.owner)} holds keys of slot ${s.slot}`
    case 'move-slot':
      return `move the slot back to ${name(s.to)} by a normal move (IMPORTING, MIGRATING, MIGRATE, SETSLOT NODE)`
    case 'cancel-asm-task':
      return `cancel the atomic slot migration ${s.id} of slot(s) ${formatSlots(s.slots)} ${name(s.source)} -> ${name(s.target)} on ${name(s.node)} (${s.flavour === 'redis' ? `CLUSTER MIGRATION CANCEL ID ${s.id}` : 'CLUSTER CANCELSLOTMIGRATIONS'}): ${s.why}`
    case 'verify':
      return `check that every node names ${name(s.owner)} as the owner of slot ${s.slot}`
  }
}
