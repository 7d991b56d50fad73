// `reshard rebalance --check`: whether moves are needed (exit 10) or not (exit 0), with the moves
// it would make and the primaries an empty-primary-blind check left out.
import {EXIT} from '../../errors.js'
import {pairsOf, type Plan} from '../../planner/index.js'
import {formatSlots} from '../../topology/slot-set.js'
import {nameWithAddress} from '../../topology/topology.js'
import {paint} from '../colour.js'
import {nameOf, renderPlanMoves, renderPlanSummary} from '../plan-render.js'
import {lines, type View} from './view.js'

export interface EmptyPrimary {
  id: string
  name: string
  address: string
}

export interface RebalanceCheckDocument {
  ok: boolean
  movesNeeded: boolean
  /** Slots the rebalance would move. */
  moves: number
  keys?: number
  pairs: Array<{from: string; to: string; slots: string; count: number; keys?: number}>
  spread: Plan['spread']
  threshold: number
  emptyPrimaries: EmptyPrimary[]
}

/** The plan a check made, and the empty primaries it did not count (none with --use-empty-primaries). */
export interface RebalanceCheck {
  plan: Plan
  emptyPrimaries: EmptyPrimary[]
}

export function rebalanceCheckDocument({plan, emptyPrimaries}: RebalanceCheck): RebalanceCheckDocument {
  const name = nameOf(plan)
  return {
    ok: plan.moves.length === 0,
    movesNeeded: plan.moves.length > 0,
    moves: plan.moves.length,
    ...(plan.totals.keys === undefined ? {} : {keys: plan.totals.keys}),
    pairs: pairsOf(plan).map((p) => {
      const e: RebalanceCheckDocument['pairs'][number] = {from: name(p.from), to: name(p.to), slots: formatSlots(p.slots), count: p.slots.length}
      if (plan.totals.keys !== undefined) e.keys = plan.moves.filter((m) => m.from === p.from && m.to === p.to).reduce((a, m) => a + (m.keys ?? 0), 0)
      return e
    }),
    spread: plan.spread,
    threshold: Number(plan.options.threshold),
    emptyPrimaries,
  }
}

export function renderRebalanceCheck(plan: Plan): string {
  if (plan.moves.length === 0) {
    return paint.green(`OK: the primaries are within the ${String(plan.options.threshold)}% threshold (spread ${plan.spread.before.slots}); no move needed`)
  }
  const keys = plan.totals.keys === undefined ? '' : ` (${plan.totals.keys} keys)`
  return [
    paint.yellow(`Moves needed: ${plan.moves.length} slot(s)${keys} in ${pairsOf(plan).length} pair(s); spread ${plan.spread.before.slots} -> ${plan.spread.after.slots}`),
    '',
    renderPlanMoves(plan),
    '',
    renderPlanSummary(plan),
  ].join('\n')
}

/** The note that a "balanced" verdict left empty primaries out, so a CI step after a scale-out does not read as done. */
function emptyPrimariesNote(idle: readonly EmptyPrimary[]): string | undefined {
  if (idle.length === 0) return undefined
  const one = idle.length === 1
  return paint.yellow(`note: ${idle.map((n) => nameWithAddress(n.name, n.address)).join(', ')} ${one ? 'is an empty primary' : 'are empty primaries'} and took no part; add --use-empty-primaries to give ${one ? 'it' : 'them'} slots`)
}

export const rebalanceCheckView: View<RebalanceCheck, RebalanceCheckDocument> = {
  human: (c) => lines(renderRebalanceCheck(c.plan), emptyPrimariesNote(c.emptyPrimaries)),
  exitCode: (c) => (c.plan.moves.length > 0 ? EXIT.MOVES_NEEDED : 0),
  document: rebalanceCheckDocument,
}
