// Making a plan from the live cluster: resolve the names an operator typed into node ids, read
// the key count of every slot (CLUSTER COUNTKEYSINSLOT on its owner), and call the pure planner.
// Shared by `plan rebalance|drain|move`, `move`, `rebalance`, `drain`, `remove-node` and the
// wizard: every command that moves slots runs a Plan made here. Prints nothing.
import {writeFile} from 'node:fs/promises'
import type {ClusterAdmin, ClusterReader} from '../cluster/cluster-admin.js'
import type {ConnectionOptions} from '../cluster/connection.js'
import {PreconditionError, UsageError} from '../errors.js'
import {assertNoOpenSlots} from '../migration/preflight.js'
import {planDrain, planMove, planRebalance, serializePlan, type BalanceBy, type Plan} from '../planner/index.js'
import {selectNode} from '../topology/node-selector.js'
import {formatSlots, SLOT_COUNT} from '../topology/slot-set.js'
import {nodeById, nodeLabel, shortName, type TopoNode, type Topology} from '../topology/topology.js'
import {openSession} from './session.js'
import {chooseMechanisms, type MechanismChoice} from '../migration/mechanism.js'
import {groupPairs} from '../planner/pairs.js'

export interface RebalanceGoal {
  kind: 'rebalance'
  /** "NODE=N" as typed (NODE: id, id prefix, host:port or hostname). */
  weights?: readonly string[]
  threshold?: number
  useEmptyPrimaries?: boolean
  by?: BalanceBy
}

export interface DrainGoal {
  kind: 'drain'
  node: string
  to?: readonly string[]
  weights?: readonly string[]
}

export interface MoveGoal {
  kind: 'move'
  slots: readonly number[]
  to: string
  from?: string
}

export type PlanGoal = RebalanceGoal | DrainGoal | MoveGoal

/** Slots per COUNTKEYSINSLOT pipeline, so one owner's 16384 replies are never in flight at once. */
const COUNT_CHUNK = 2048

/**
 * Keys in every slot, read on the slot's owner (16384 entries; 0 for a slot nobody owns).
 * Owners are asked in parallel, each with pipelined COUNTKEYSINSLOT.
 */
export async function readSlotKeys(admin: Pick<ClusterReader, 'countKeys'>, t: Topology): Promise<number[]> {
  const out = new Array<number>(SLOT_COUNT).fill(0)
  const byOwner = new Map<string, number[]>()
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = t.owners[s]
    if (o === null || o === undefined) continue
    let a = byOwner.get(o)
    if (!a) byOwner.set(o, (a = []))
    a.push(s)
  }
  await Promise.all(
    [...byOwner].map(async ([id, slots]) => {
      for (let i = 0; i < slots.length; i += COUNT_CHUNK) {
        const chunk = slots.slice(i, i + COUNT_CHUNK)
        const counts = await admin.countKeys(id, chunk)
        chunk.forEach((s, j) => (out[s] = counts[j]!))
      }
    }),
  )
  return out
}

/** `--weight NODE=N` values → node id → weight. NODE is resolved like every node name. */
export function parseWeights(t: Topology, values: readonly string[] | undefined): Record<string, number> | undefined {
  if (!values || values.length === 0) return undefined
  const out: Record<string, number> = {}
  const givenAs = new Map<string, string>()
  for (const v of values) {
    const eq = v.lastIndexOf('=')
    const name = eq > 0 ? v.slice(0, eq).trim() : ''
    const text = eq > 0 ? v.slice(eq + 1).trim() : ''
    if (name === '' || text === '') throw new UsageError(`--weight ${JSON.stringify(v)} is not NODE=N`, 'e.g. --weight nodeA=2 --weight nodeB=0.5 (weight 0 empties a primary)')
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new UsageError(`--weight ${v}: ${JSON.stringify(text)} is not a number of 0 or more`)
    const node = primaryNamed(t, name, 'node in --weight')
    const before = givenAs.get(node.id)
    if (before !== undefined) throw new UsageError(`--weight names ${nodeLabel(node)} twice (${before} and ${name})`)
    givenAs.set(node.id, name)
    out[node.id] = Number(text)
  }
  return out
}

/**
 * Resolve the goal's names and make the plan. Reads key counts unless `slotKeys` is given, or
 * `keys: false` says a move plan needs none (`move` runs it at once; the run counts its slots).
 */
export async function makePlan(admin: Pick<ClusterReader, 'countKeys'>, t: Topology, goal: PlanGoal, o: {slotKeys?: number[]; keys?: boolean} = {}): Promise<Plan> {
  // Resolve names first: a typo is a usage error before anything is read.
  const resolved = resolveGoal(t, goal)
  if (goal.kind !== 'move') assertNoOpenSlots(t, `plan a ${goal.kind}`)
  if (goal.kind === 'move' && o.keys === false) return resolved(undefined)
  const slotKeys = o.slotKeys ?? (await readSlotKeys(admin, t))
  return resolved(slotKeys)
}

/** Connect, make the plan, disconnect: what `reshard plan ...` does. Changes nothing. */
export async function planFromCluster(conn: ConnectionOptions, goal: PlanGoal, mechanism: MechanismChoice = 'auto'): Promise<Plan> {
  const session = await openSession(conn)
  try {
    const plan = await makePlan(session.reader, session.topology, goal)
    return await withMechanism(session.admin, session.topology, plan, mechanism)
  } finally {
    await session.close()
  }
}

/** The plan with the mechanism each pair is expected to use (`--mechanism atomic` that cannot: exit 3). */
export async function withMechanism(admin: ClusterAdmin, t: Topology, plan: Plan, requested: MechanismChoice): Promise<Plan> {
  if (plan.moves.length === 0) return plan
  const chosen = await chooseMechanisms(admin, t, groupPairs(plan.moves), requested)
  return {...plan, mechanism: {requested, pairs: [...chosen.values()].map((m) => ({from: m.from, to: m.to, mechanism: m.mechanism}))}}
}

/** Write the canonical plan document (serializePlan) to a file. */
export async function writePlanFile(path: string, plan: Plan): Promise<void> {
  try {
    await writeFile(path, serializePlan(plan))
  } catch (e) {
    throw new UsageError(`cannot write the plan to ${path}: ${(e as Error).message}`, 'give -o a path in a directory you can write to')
  }
}

/** selectNode, then refuse a replica in words people read (the planner only knows ids). */
function primaryNamed(t: Topology, name: string, what: string): TopoNode {
  const n = selectNode(t, name, what)
  if (n.role !== 'primary') {
    const p = n.primaryId ? nodeById(t, n.primaryId) : undefined
    // the name is right, the node's role is not what the command needs: a precondition (exit 3),
    // as `move --to <replica>` says
    throw new PreconditionError(
      'not_primary',
      `${what} ${nodeLabel(n)} is a replica${p ? ` of ${shortName(p)}` : ''}: only primaries own slots`,
      'name a primary (see `reshard status`)',
    )
  }
  return n
}

/** Name resolution, split from key reading so errors come before any I/O. */
function resolveGoal(t: Topology, goal: PlanGoal): (slotKeys: number[] | undefined) => Plan {
  switch (goal.kind) {
    case 'rebalance': {
      const weights = parseWeights(t, goal.weights)
      return (slotKeys) => planRebalance(t, {weights, threshold: goal.threshold, useEmptyPrimaries: goal.useEmptyPrimaries, by: goal.by, slotKeys})
    }
    case 'drain': {
      const node = primaryNamed(t, goal.node, 'node to drain').id
      const to = goal.to && goal.to.length > 0 ? goal.to.map((n) => primaryNamed(t, n, 'drain target').id) : undefined
      const weights = parseWeights(t, goal.weights)
      return (slotKeys) => planDrain(t, node, {to, weights, slotKeys})
    }
    case 'move': {
      const to = primaryNamed(t, goal.to, 'target').id
      const from = goal.from ? primaryNamed(t, goal.from, 'source').id : undefined
      return (slotKeys) => planMove(t, goal.slots, to, {from, slotKeys})
    }
  }
}

/** The command line that makes the same plan again (for messages and resume hints). */
export function goalCommand(goal: PlanGoal, verb: string): string {
  const q = (s: string) => (/^[\w.:@/=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
  const parts = [`reshard ${verb}`]
  switch (goal.kind) {
    case 'rebalance':
      for (const w of goal.weights ?? []) parts.push(`--weight ${q(w)}`)
      if (goal.threshold !== undefined) parts.push(`--threshold ${goal.threshold}`)
      if (goal.useEmptyPrimaries) parts.push('--use-empty-primaries')
      if (goal.by && goal.by !== 'slots') parts.push(`--by ${goal.by}`)
      break
    case 'drain':
      parts.push(q(goal.node))
      for (const n of goal.to ?? []) parts.push(`--to ${q(n)}`)
      for (const w of goal.weights ?? []) parts.push(`--weight ${q(w)}`)
      break
    case 'move':
      parts.push(formatSlots([...goal.slots].sort((a, b) => a - b)), `--to ${q(goal.to)}`)
      if (goal.from) parts.push(`--from ${q(goal.from)}`)
      break
  }
  return parts.join(' ')
}
