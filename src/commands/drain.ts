// `reshard drain NODE`: `plan drain` + `apply`, then what became of the drained node.
import {engineFlags} from '../cli/engine-flags.js'
import {drainArgs, drainFlags, drainGoal, outputFlag} from '../cli/plan-flags.js'
import {staleHint} from '../cli/mover-command.js'
import {PlanRunnerCommand} from '../cli/plan-runner-command.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {drainedNode} from '../operations/drain.js'
import {goalCommand, makePlan, writePlanFile} from '../operations/plan.js'
import {openSession} from '../operations/session.js'
import {drainView, type DrainDocument} from '../output/views/run.js'

export default class Drain extends PlanRunnerCommand<typeof Drain> {
  static override summary = 'Empty a primary: move all its slots to the other primaries, live'
  static override description = `Makes the plan \`reshard plan drain\` would print and runs it like \`reshard apply\`, then reports what became of the node. By default Redis turns a primary that lost its last slot into a replica of the new owner (cluster-allow-replica-migration); otherwise it stays an empty primary. Either way \`reshard remove-node NODE\` takes it out of the cluster (it also drains, so it can replace this command when the node is to go).

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> drain nodeC --yes',
    '<%= config.bin %> drain 127.0.0.1:30003 --to nodeA --to nodeB --dry-run',
    '<%= config.bin %> drain nodeC --yes --json -o drain-plan.json',
  ]
  static override args = drainArgs
  static override flags = {
    ...drainFlags,
    output: outputFlag,
    ...engineFlags,
  }

  async run(): Promise<DrainDocument> {
    const goal = drainGoal(this.args.node, this.flags)
    const session = await openSession(await this.connection(), {dryRun: this.flags['dry-run'], withKeys: true})
    this.onCleanup(() => session.close())
    const plan = await makePlan(session.reader, session.topology, goal)
    if (this.flags.output) await writePlanFile(this.flags.output, plan)
    const nodeId = String(plan.options.node)
    const again = `${goalCommand(goal, 'drain')} --yes`
    const resume = this.flags.output ? `reshard apply ${this.flags.output} --yes` : again
    const doc = await this.runPlan(session, plan, resume, {staleHint: staleHint(again)})
    const drained = await drainedNode(session.reader, session.topology, nodeId, session.admin.dryRun)
    return this.present({...doc, drained}, drainView)
  }
}
