// `reshard plan rebalance`: the plan `reshard rebalance` would run, printed (or written with -o).
import {engineFlags} from '../../cli/engine-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {outputFlag, rebalanceFlags, rebalanceGoal} from '../../cli/plan-flags.js'
import {EXIT_CODE_HELP} from '../../errors.js'
import {planFromCluster, writePlanFile} from '../../operations/plan.js'
import {planView} from '../../output/views/plan.js'
import type {Plan} from '../../planner/index.js'

export default class PlanRebalance extends BaseCommand<typeof PlanRebalance> {
  static override summary = 'Plan a rebalance: which slots would move where, and the slot counts before and after'
  static override description = `Spreads slots (or keys, with --by keys) over the primaries by weight, moving as few slots as possible. Changes nothing: prints the plan as tables, or the plan document with --json; -o writes the document for \`reshard apply\`.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> plan rebalance',
    '<%= config.bin %> plan rebalance --use-empty-primaries -o plan.json',
    '<%= config.bin %> plan rebalance --weight nodeA=2 --weight nodeC=0 --threshold 0',
    '<%= config.bin %> plan rebalance --by keys --json > plan.json',
  ]
  static override flags = {
    ...rebalanceFlags,
    output: outputFlag,
    mechanism: engineFlags.mechanism,
  }

  async run(): Promise<Plan> {
    const plan = await planFromCluster(await this.connection(), rebalanceGoal(this.flags), this.flags.mechanism)
    if (this.flags.output) await writePlanFile(this.flags.output, plan)
    return this.present({plan, output: this.flags.output}, planView)
  }
}
