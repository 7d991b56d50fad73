// `reshard apply plan.json`: check a plan against the live cluster (stale → exit 4, nothing
// changed), skip what is already done, and run the rest with the engine of `move`.
import {Args} from '../cli/oclif.js'
import {engineFlags} from '../cli/engine-flags.js'
import {PlanRunnerCommand} from '../cli/plan-runner-command.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {readPlanFile, type PlanRunDocument} from '../operations/apply.js'
import {openSession} from '../operations/session.js'
import {planRunView} from '../output/views/run.js'

export default class Apply extends PlanRunnerCommand<typeof Apply> {
  static override summary = 'Run a plan made by `reshard plan`, after checking it still fits the cluster'
  static override description = `First checks the plan against the live cluster. A move whose slot the target already owns is done and skipped, so applying a finished or half-finished plan again is safe: it completes the rest. A move whose slot is now owned by a third node, or a plan made for another cluster, makes the plan stale: exit 4, every difference listed, nothing changed. Then the moves run with the engine of \`reshard move\` (pairs that share no node in parallel).

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> plan rebalance -o plan.json && <%= config.bin %> apply plan.json',
    '<%= config.bin %> apply plan.json --yes --json',
    '<%= config.bin %> apply plan.json --dry-run',
    'cat plan.json | <%= config.bin %> apply - --yes',
  ]
  static override args = {
    plan: Args.string({description: 'plan file made with `reshard plan ... -o FILE` (- reads stdin)', required: true}),
  }
  static override flags = {...engineFlags}

  async run(): Promise<PlanRunDocument> {
    const plan = await readPlanFile(this.args.plan)
    const session = await openSession(await this.connection(), {dryRun: this.flags['dry-run']})
    this.onCleanup(() => session.close())
    const resume = this.args.plan === '-' ? undefined : `reshard apply ${this.args.plan} --yes`
    return this.present(await this.runPlan(session, plan, resume ?? 'reshard apply PLAN --yes'), planRunView)
  }
}
