// `reshard move SLOTS --to NODE [--from NODE]`: explicit slots to one target, and
// `reshard move --count N --from A,B|all --to NODE`: N slots picked by the planner's rule.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import {UsageError} from '../errors.js'
import type {MoveSpec} from '../migration/preflight.js'
import {pickSlotsByCount, type Donor} from '../planner/index.js'
import {selectNode} from '../topology/node-selector.js'
import {nodeLabel, type TopoNode, type Topology} from '../topology/topology.js'

export interface MoveGoal {
  slots: number[]
  to: string
  from?: string
}

/** Resolve names into moves; each slot comes from its current owner (or the given --from). */
export function movesFor(t: Topology, goal: MoveGoal): MoveSpec[] {
  const target = selectNode(t, goal.to, 'target')
  const source = goal.from ? selectNode(t, goal.from, 'source') : undefined
  if (source && source.id === target.id) throw new UsageError('--from and --to name the same node')
  return goal.slots.map((slot) => {
    const owner = t.owners[slot]
    const from = source?.id ?? owner ?? undefined
    if (!from) throw new UsageError(`slot ${slot} has no owner`, `run \`reshard recover --slot ${slot}\` first`)
    return {slot, from, to: target.id}
  })
}

export interface CountGoal {
  count: number
  to: string
  /** "all", or node names separated by commas. */
  from: string
}

/** Donors named by --from (all = every other primary that owns slots), target excluded. */
export function donorsFor(t: Topology, goal: CountGoal): {target: TopoNode; donors: TopoNode[]} {
  const target = selectNode(t, goal.to, 'target')
  if (target.role !== 'primary') throw new UsageError(`target ${nodeLabel(target)} is a replica: only primaries own slots`, 'name a primary (see `reshard status`)')
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
      if (n.role !== 'primary') throw new UsageError(`source ${nodeLabel(n)} is a replica: only primaries own slots`, 'name a primary (see `reshard status`)')
      if (!donors.some((d) => d.id === n.id)) donors.push(n)
    }
  }
  return {target, donors}
}

/** Key counts of the donors' slots (COUNTKEYSINSLOT on each owner), then the pure pick. */
export async function countMoves(admin: ClusterAdmin, t: Topology, goal: CountGoal): Promise<{moves: MoveSpec[]; keys: number}> {
  const {target, donors} = donorsFor(t, goal)
  const slotKeys = new Array<number>(16384).fill(0)
  await Promise.all(
    donors.map(async (d) => {
      for (let i = 0; i < d.slots.length; i += 2048) {
        const chunk = d.slots.slice(i, i + 2048)
        const counts = await admin.countKeys(d.id, chunk)
        chunk.forEach((s, j) => (slotKeys[s] = counts[j]!))
      }
    }),
  )
  const picked = pickSlotsByCount(donors.map((d): Donor => ({id: d.id, slots: d.slots})), goal.count, slotKeys)
  return {moves: picked.map((p) => ({slot: p.slot, from: p.from, to: target.id})), keys: picked.reduce((a, p) => a + slotKeys[p.slot]!, 0)}
}
