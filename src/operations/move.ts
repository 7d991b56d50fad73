// `reshard move --count N --from A,B|all --to NODE` (and `plan move --count`): N slots picked by
// the planner's rule, then planned like `move SLOTS --to NODE`. Explicit slots need nothing
// here: they go straight to makePlan({kind: 'move'}).
import type {ClusterReader} from '../cluster/cluster-admin.js'
import {PreconditionError, UsageError} from '../errors.js'
import {pickSlotsByCount, type Donor, type Plan} from '../planner/index.js'
import {selectNode} from '../topology/node-selector.js'
import {formatSlots} from '../topology/slot-set.js'
import {nameOf, nodeLabel, type TopoNode, type Topology} from '../topology/topology.js'
import {makePlan} from './plan.js'

export interface CountGoal {
  count: number
  to: string
  /** "all", or node names separated by commas. */
  from: string
}

/** Which slots `--count` picked, per source: part of `move --count`'s document. */
export interface PickedDocument {
  count: number
  keys: number
  slots: string
  from: Array<{id: string; name: string; slots: string; count: number}>
}

/**
 * A replica named where a primary is needed: the name is right, the node's role is not (roles
 * change with a failover), so it is a cluster precondition, exit 3, as everywhere (DESIGN.md §4).
 */
function replicaRefused(what: string, n: TopoNode): PreconditionError {
  return new PreconditionError('not_primary', `${what} ${nodeLabel(n)} is a replica: only primaries own slots`, 'name a primary (see `reshard status`)')
}

/** Donors named by --from (all = every other primary that owns slots), target excluded. */
export function donorsFor(t: Topology, goal: CountGoal): {target: TopoNode; donors: TopoNode[]} {
  const target = selectNode(t, goal.to, 'target')
  if (target.role !== 'primary') throw replicaRefused('target', target)
  const names = goal.from.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (names.length === 0) throw new UsageError('--from is empty', 'give --from all, or source names separated by commas')
  let donors: TopoNode[]
  if (names.length === 1 && names[0]!.toLowerCase() === 'all') {
    donors = t.nodes.filter((n) => n.role === 'primary' && n.id !== target.id && n.slots.length > 0)
  } else {
    donors = []
    for (const name of names) {
      const n = selectNode(t, name, 'source')
      if (n.id === target.id) throw new UsageError(`--from and --to both name ${nodeLabel(n)}`)
      if (n.role !== 'primary') throw replicaRefused('source', n)
      if (!donors.some((d) => d.id === n.id)) donors.push(n)
    }
  }
  return {target, donors}
}

/** Key counts of the donors' slots (COUNTKEYSINSLOT on each owner), then the pure pick. */
export async function countMoves(reader: Pick<ClusterReader, 'countKeys'>, t: Topology, goal: CountGoal): Promise<{moves: Array<{slot: number; from: string; to: string}>; keys: number}> {
  const {target, donors} = donorsFor(t, goal)
  const slotKeys = new Array<number>(16384).fill(0)
  await Promise.all(
    donors.map(async (d) => {
      for (let i = 0; i < d.slots.length; i += 2048) {
        const chunk = d.slots.slice(i, i + 2048)
        const counts = await reader.countKeys(d.id, chunk)
        chunk.forEach((s, j) => (slotKeys[s] = counts[j]!))
      }
    }),
  )
  const picked = pickSlotsByCount(donors.map((d): Donor => ({id: d.id, slots: d.slots})), goal.count, slotKeys)
  return {moves: picked.map((p) => ({slot: p.slot, from: p.from, to: target.id})), keys: picked.reduce((a, p) => a + slotKeys[p.slot]!, 0)}
}

/** `--count`: pick the slots, then the same plan as `move SLOTS --to NODE` (each from its owner). */
export async function planCount(reader: Pick<ClusterReader, 'countKeys'>, t: Topology, goal: CountGoal, o: {keys?: boolean} = {}): Promise<{plan: Plan; picked: PickedDocument}> {
  const {moves, keys} = await countMoves(reader, t, goal)
  const plan = await makePlan(reader, t, {kind: 'move', slots: moves.map((m) => m.slot), to: goal.to}, o)
  return {plan, picked: pickedDocument(t, moves, keys)}
}

function pickedDocument(t: Topology, moves: ReadonlyArray<{slot: number; from: string}>, keys: number): PickedDocument {
  const by = new Map<string, number[]>()
  for (const m of moves) {
    let a = by.get(m.from)
    if (!a) by.set(m.from, (a = []))
    a.push(m.slot)
  }
  const from = [...by].map(([id, slots]) => ({id, name: nameOf(t, id), slots: formatSlots(slots), count: slots.length}))
  return {count: moves.length, keys, slots: formatSlots(moves.map((m) => m.slot)), from}
}
