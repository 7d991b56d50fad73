// The results of a run that moved slots (`move`, `apply`, `rebalance`, `drain`). What happened
// during the run is the reporters' (progress.ts, bars.ts, event-lines.ts: progress and the verdict
// line); these views add the closing line the document alone tells.
import type {PlanRunDocument} from '../../operations/apply.js'
import type {DrainedNode} from '../../operations/drain.js'
import type {PickedDocument} from '../../operations/move.js'
import type {MoveRunDocument} from '../../operations/run-moves.js'
import {paint} from '../colour.js'
import {lines, type View} from './view.js'

export type MoveCommandDocument = MoveRunDocument & {picked?: PickedDocument}
export type DrainDocument = PlanRunDocument & {drained: DrainedNode}

/** `move SLOTS`: nothing moved because the target owns every slot already (`--count` picks none it owns). */
export const moveRunView: View<MoveCommandDocument> = {
  human: (d) => (d.picked === undefined && d.moved.length === 0 && d.skipped.length > 0 ? paint.dim(`nothing to do: ${d.skipped.length} slot(s) already owned by the target`) : ''),
}

/** A plan with moves, every one of them done before the run (each target owns its slot). */
export function allDone(d: PlanRunDocument): boolean {
  return d.plan.moves > 0 && d.plan.alreadyDone === d.plan.moves
}

/** `apply`, `rebalance`: the plan was printed before the run; a plan already done says so (not under --quiet). */
export const planRunView: View<PlanRunDocument> = {
  human: (d, o) => (!o.quiet && allDone(d) ? paint.green(`nothing to do: all ${d.plan.moves} move(s) of the ${d.plan.kind} plan are done (each target owns its slot)`) : ''),
}

/** `drain`: the plan run, then what became of the drained node. */
export const drainView: View<DrainDocument> = {
  human: (d, o) => lines(planRunView.human(d, o), d.drained.role === 'unknown' ? paint.yellow(d.drained.message) : paint.green(d.drained.message)),
}

/** `move --count`: the slots picked, before the run. */
export function renderPicked(p: PickedDocument, target: string): string {
  const out = [`picked ${p.count} slot(s) with ${p.keys} keys for ${target}:`]
  for (const f of p.from) out.push(`  ${f.name}: ${f.slots} (${f.count} slot(s))`)
  return out.join('\n')
}
