// `reshard plan drain NODE`: the plan `reshard drain` would run, printed (or written with -o).
import {engineFlags} from '../../cli/engine-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {drainArgs, drainFlags, drainGoal, outputFlag} from '../../cli/plan-flags.js'
import {EXIT_CODE_HELP} from '../../errors.js'
import {planFromCluster, writePlanFile} from '../../operations/plan.js'
import {planView} from '../../output/views/plan.js'
import type {Plan} from '../../planner/index.js'

export default class PlanDrain extends BaseCommand<typeof PlanDrain> {
  static override summary = 'Plan emptying a primary: where each of its slots would go'
  static override description = `Every slot of NODE goes to the other primaries (or the --to targets), filling the emptiest first by weight; the targets never trade slots among themselves. Changes nothing: prints the plan as tables, or the plan document with --json; -o writes the document for \`reshard apply\`.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> plan drain nodeC',
    '<%= config.bin %> plan drain 127.0.0.1:30003 --to nodeA --to nodeB -o drain.json',
    '<%= config.bin %> plan drain nodeC --weight nodeA=2 --json',
  ]
  static override args = drainArgs
  static override flags = {
    ...drainFlags,
    output: outputFlag,
    mechanism: engineFlags.mechanism,
  }

  async run(): Promise<Plan> {
    const plan = await planFromCluster(await this.connection(), drainGoal(this.args.node, this.flags), this.flags.mechanism)
    if (this.flags.output) await writePlanFile(this.flags.output, plan)
    return this.present({plan, output: this.flags.output}, planView)
  }
}
