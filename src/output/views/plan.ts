// `reshard plan rebalance|drain|move`: the plan as tables for people; under --json exactly the
// bytes of the plan file (serializePlan), so `--json > plan.json` and `-o plan.json` are the same.
import {serializePlan, type Plan} from '../../planner/index.js'
import {paint} from '../colour.js'
import {renderPlan} from '../plan-render.js'
import {lines, type View} from './view.js'

/** A plan, and the file it was written to (-o). */
export interface PlanResult {
  plan: Plan
  output?: string
}

function written(plan: Plan, output: string): string {
  return plan.moves.length > 0 ? `Plan written to ${output}; run it with: reshard apply ${output}` : paint.dim(`Plan written to ${output} (it moves nothing)`)
}

export const planView: View<PlanResult, Plan> = {
  human: ({plan, output}) => lines(renderPlan(plan), output && '\n' + written(plan, output)),
  document: ({plan}) => plan,
  text: ({plan}) => serializePlan(plan),
}
