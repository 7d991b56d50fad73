// What `apply`, `rebalance`, `drain` and `remove-node` share: print the plan, say what is already
// done, and run the rest (the result is printed by the command's view, output/views/run.ts) through the one path of every mover (MoverCommand.executePlan).
import type {Command} from '@oclif/core/command'
import {planSummary, doneDocument, type PlanRunDocument} from '../operations/apply.js'
import type {Session} from '../operations/session.js'
import type {Plan} from '../planner/index.js'
import {assertReconciled, reconcile} from '../planner/reconcile.js'
import {paint} from '../output/colour.js'
import {renderPlan, renderPlanSummary} from '../output/plan-render.js'
import {MoverCommand, type PlanRunOptions} from './mover-command.js'

export abstract class PlanRunnerCommand<T extends typeof Command> extends MoverCommand<T> {
  /**
   * Check the plan against the session's topology (stale: exit 4, nothing changed), then run
   * what is left of it. Prints the plan first (human mode), so a CI log shows what was about to
   * happen.
   */
  protected async runPlan(session: Session, plan: Plan, resumeCommand: string, o: PlanRunOptions = {}): Promise<PlanRunDocument> {
    const f = this.moverFlags
    const check = reconcile(plan, session.topology)
    // stale: exit 4 before anything is printed; another migration's mark is judged under the lease
    assertReconciled({...check, conflict: undefined}, o.staleHint)
    const pending = check.todo.length > 0 || check.conflict !== undefined
    // the plan's requested mechanism, unless --mechanism says otherwise; detected again per pair
    this.planMechanism = plan.mechanism?.requested
    const human = !this.json && !f.quiet
    const allDone = !pending && plan.moves.length > 0
    if (human && !allDone) {
      // Asking for confirmation shows the pairs table itself: show only the before/after then.
      const asks = this.interactive && !f.yes && !f['dry-run'] && pending
      this.log(asks ? renderPlanSummary(plan) : renderPlan(plan))
      if (check.done.length > 0) this.log(paint.dim(`already done: ${check.done.length} of ${plan.moves.length} move(s) (the target owns the slot); they are skipped`))
      this.log('')
    }
    // a plan already done says so in its view (output/views/run.ts planRunView)
    if (!pending) {
      return {...doneDocument(session.admin.dryRun, check.done), plan: planSummary(plan, check.done.length)}
    }
    const doneReported = new Set(check.done.map((m) => m.slot))
    const doc = await this.executePlan(session, plan, resumeCommand, {...o, doneReported})
    return {...doc, plan: planSummary(plan, check.done.length)}
  }
}
