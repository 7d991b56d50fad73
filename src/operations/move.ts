// `reshard move SLOTS --to NODE [--from NODE]`: explicit slots to one target.
import {UsageError} from '../errors.js'
import type {MoveSpec} from '../migration/preflight.js'
import {selectNode} from '../topology/node-selector.js'
import type {Topology} from '../topology/topology.js'

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
