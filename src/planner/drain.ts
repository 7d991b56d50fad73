// PURE. `drain NODE`: every slot of NODE goes to the other primaries (or to the --to targets).
//
// Only NODE's slots move: the targets never trade slots among themselves. They are filled by
// weight from where they stand (water filling): targets already above the level get nothing, the
// rest end within 1 slot of their weighted share of what they hold together. Default targets:
// every other primary that is not failed, empty ones included. Each target takes a contiguous
// run of NODE's slots (targets in id order), so ranges stay compact.
import {PreconditionError, UsageError} from '../errors.js'
import type {Topology} from '../topology/topology.js'
import {checkSlotKeys, compareIds, finishPlan, planningContext, requirePrimary, slotsOf, type Plan} from './plan.js'
import {assignContiguous, resolveWeights, waterFill, weightSum} from './weights.js'

export interface DrainOptions {
  /** Node ids of the primaries that take the slots; default: every other primary that is up. */
  to?: readonly string[]
  /** Node id → weight (≥ 0) among the targets; default 1. */
  weights?: Readonly<Record<string, number>>
  /** Keys per slot (length 16384), optional: fills key totals. */
  slotKeys?: ReadonlyArray<number>
}

export function planDrain(t: Topology, nodeId: string, o: DrainOptions = {}): Plan {
  const slotKeys = checkSlotKeys(o.slotKeys, undefined)
  const ctx = planningContext(t, slotKeys)
  requirePrimary(ctx, nodeId, 'node to drain')

  let targetIds: string[]
  if (o.to !== undefined && o.to.length > 0) {
    targetIds = [...new Set(o.to)].sort(compareIds)
    for (const id of targetIds) {
      if (id === nodeId) throw new UsageError(`cannot drain ${nodeId} into itself`, 'leave the drained node out of --to')
      requirePrimary(ctx, id, 'drain target')
    }
  } else {
    targetIds = ctx.primaries.filter((p) => p.id !== nodeId && !p.failed).map((p) => p.id)
    // the cluster has no room for the slots: a precondition (exit 3), not bad input
    if (targetIds.length === 0) throw new PreconditionError('no_target', `no other primary can take the slots of ${nodeId}`, 'add a primary to the cluster first')
  }

  const explicit = resolveWeights(ctx, o.weights)
  const targetSet = new Set(targetIds)
  for (const [id, w] of explicit) {
    if (id === nodeId) {
      if (w !== 0) throw new UsageError(`the drained node ${nodeId} ends with no slots; its weight cannot be ${w}`, 'leave its weight out')
    } else if (!targetSet.has(id)) {
      throw new UsageError(`weight given for ${id}, which is not a drain target`, 'add it to --to or leave its weight out')
    }
  }
  const targets = targetIds.map((id) => ({id, count: slotsOf(ctx, id).length, weight: explicit.get(id) ?? 1}))
  if (weightSum(targets) === 0) {
    throw new UsageError(`every drain target has weight 0: there is nowhere to put the slots of ${nodeId}`, 'give a target a weight above 0')
  }

  const given = slotsOf(ctx, nodeId)
  const gains = waterFill(targets, given.length)
  const moves = assignContiguous(
    given.map((slot) => ({slot, from: nodeId})),
    targets.map((x) => ({id: x.id, gain: gains.get(x.id)!})),
  )
  const weights = new Map<string, number>(targets.map((x) => [x.id, x.weight]))
  weights.set(nodeId, 0)
  const options: Record<string, unknown> = {node: nodeId, weights: Object.fromEntries(explicit)}
  if (o.to !== undefined && o.to.length > 0) options.to = targetIds
  return finishPlan(ctx, {kind: 'drain', options, moves, weights})
}
