// PURE. `move SLOTS --to NODE [--from NODE]` as a plan.
// Slots the target already owns need no move: they are listed in plan.skipped (so re-running a
// half-done move is idempotent, docs/architecture.md "Safety rules"). A slot nobody owns, or (with --from) a slot the
// source does not own, is refused: the cluster is not in the state the operator expects.
import {PreconditionError, UsageError} from '../errors.js'
import {formatSlots, MAX_SLOT} from '../topology/slot-set.js'
import {labelOf, type Topology} from '../topology/topology.js'
import {checkSlotKeys, finishPlan, planningContext, requirePrimary, slotsOf, type Plan, type SkippedSlot} from './plan.js'

export interface MoveOptions {
  /** Node id of the expected source: every slot must be owned by it (or already by the target). */
  from?: string
  /** Keys per slot (length 16384), optional: fills key totals. */
  slotKeys?: ReadonlyArray<number>
}

const SHOW = 10

function listSome(slots: number[]): string {
  return formatSlots(slots.slice(0, SHOW)) + (slots.length > SHOW ? ` and ${slots.length - SHOW} more` : '')
}

/** A node as people read it in a message: "nodeB (ba579b99, 127.0.0.1:30002)". */
const label = labelOf

export function planMove(t: Topology, slots: readonly number[], toId: string, o: MoveOptions = {}): Plan {
  if (!Array.isArray(slots) || slots.length === 0) throw new UsageError('no slots given', 'give slots as 100, 100-200 or 0-99,200,300-310')
  for (const s of slots) {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > MAX_SLOT) throw new UsageError(`slot ${String(s)} is out of range`, `slots are 0-${MAX_SLOT}`)
  }
  const slotKeys = checkSlotKeys(o.slotKeys, undefined)
  const ctx = planningContext(t, slotKeys)
  requirePrimary(ctx, toId, 'target')
  if (o.from !== undefined) {
    requirePrimary(ctx, o.from, 'source')
    if (o.from === toId) throw new UsageError(`source and target are the same node (${label(t, toId)})`)
  }

  const wanted = [...new Set(slots)].sort((a, b) => a - b)
  const owners = t.owners
  const moves: Array<{slot: number; from: string; to: string}> = []
  const skipped: SkippedSlot[] = []
  const uncovered: number[] = []
  const elsewhere = new Map<string, number[]>()
  for (const s of wanted) {
    const owner = owners[s] ?? null
    if (owner === toId) skipped.push({slot: s, reason: 'already-owned-by-target'})
    else if (owner === null) uncovered.push(s)
    else if (o.from !== undefined && owner !== o.from) {
      let list = elsewhere.get(owner)
      if (!list) elsewhere.set(owner, (list = []))
      list.push(s)
    } else moves.push({slot: s, from: owner, to: toId})
  }
  if (uncovered.length > 0) {
    throw new PreconditionError(
      'uncovered_slot',
      `slot${uncovered.length > 1 ? 's' : ''} ${listSome(uncovered)} ${uncovered.length > 1 ? 'have' : 'has'} no owner, so there is nothing to move`,
      'run `reshard check`; assign uncovered slots with CLUSTER ADDSLOTS before moving them',
      {slots: uncovered},
    )
  }
  if (elsewhere.size > 0) {
    const parts = [...elsewhere.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([id, ss]) => `slot${ss.length > 1 ? 's' : ''} ${listSome(ss)} ${ss.length > 1 ? 'are' : 'is'} owned by ${label(t, id)}`)
    throw new PreconditionError(
      'source_not_owner',
      `${parts.join('; ')}, not by ${label(t, o.from!)}`,
      'check the owners with `reshard status`, or leave out --from',
    )
  }
  for (const m of moves) {
    if (!ctx.slotsOf.has(m.from)) {
      throw new PreconditionError('source_not_owner', `slot ${m.slot} is owned by ${label(t, m.from)}, which is not a primary that is up`, 'run `reshard check`')
    }
  }

  const weights = new Map<string, number>()
  for (const p of ctx.primaries) if (slotsOf(ctx, p.id).length > 0 || p.id === toId) weights.set(p.id, 1)
  const options: Record<string, unknown> = {slots: formatSlots(wanted), to: toId}
  if (o.from !== undefined) options.from = o.from
  return finishPlan(ctx, {kind: 'move', options, moves, weights, skipped})
}

/** An explicit list of moves (any pairs) as a plan, each slot from its current owner as given. */
export function planMoves(t: Topology, moves: ReadonlyArray<{slot: number; from: string; to: string}>): Plan {
  const ctx = planningContext(t)
  const weights = new Map<string, number>()
  for (const m of moves) for (const id of [m.from, m.to]) weights.set(id, 1)
  return finishPlan(ctx, {kind: 'move', options: {slots: formatSlots(moves.map((m) => m.slot).sort((a, b) => a - b))}, moves: [...moves], weights})
}
