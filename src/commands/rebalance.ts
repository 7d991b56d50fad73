// `reshard rebalance`: `plan rebalance` + `apply` in one step; `--check` only tells (exit 10/0).
import {Flags} from '../cli/oclif.js'
import {engineFlags} from '../cli/engine-flags.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {goalCommand, makePlan, writePlanFile} from '../operations/plan.js'
import {openSession} from '../operations/session.js'
import {shortName, type TopoNode, type Topology} from '../topology/topology.js'
import {rebalanceCheckView, type RebalanceCheckDocument} from '../output/views/rebalance-check.js'
import {planRunView} from '../output/views/run.js'
import {staleHint} from '../cli/mover-command.js'
import {outputFlag, rebalanceFlags, rebalanceGoal} from '../cli/plan-flags.js'
import {PlanRunnerCommand} from '../cli/plan-runner-command.js'
import type {PlanRunDocument} from '../operations/apply.js'

export default class Rebalance extends PlanRunnerCommand<typeof Rebalance> {
  static override summary = 'Spread slots evenly (or by weight) over the primaries, live'
  static override description = `Makes the plan \`reshard plan rebalance\` would print and runs it like \`reshard apply\`: pairs that share no node move in parallel (--parallel). With --check nothing changes: exit 10 when moves are needed, 0 when every primary is within --threshold percent of its share. An empty primary (just added) counts as imbalance with --use-empty-primaries; without it the check names it in a note and its exit code ignores it.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> rebalance --check',
    '<%= config.bin %> rebalance --use-empty-primaries --yes',
    '<%= config.bin %> rebalance --weight nodeA=2 --threshold 0 --dry-run',
    '<%= config.bin %> rebalance --by keys --yes --json -o rebalance-plan.json',
  ]
  static override flags = {
    ...rebalanceFlags,
    check: Flags.boolean({description: 'change nothing: exit 10 when moves are needed, 0 when within the threshold'}),
    output: outputFlag,
    ...engineFlags,
  }

  async run(): Promise<PlanRunDocument | RebalanceCheckDocument> {
    const goal = rebalanceGoal(this.flags)
    const session = await openSession(await this.connection(), {dryRun: this.flags['dry-run'] && !this.flags.check})
    this.onCleanup(() => session.close())
    const plan = await makePlan(session.reader, session.topology, goal)
    if (this.flags.output) await writePlanFile(this.flags.output, plan)

    if (this.flags.check) {
      // Empty primaries take part only with --use-empty-primaries (then they are imbalance, exit
      // 10); otherwise a check that says "balanced" names them, so a CI step after a scale-out
      // does not read as done.
      const idle = goal.useEmptyPrimaries ? [] : emptyPrimaries(session.topology)
      // moves needed: exit 10
      return this.present({plan, emptyPrimaries: idle.map((n) => ({id: n.id, name: shortName(n), address: n.address}))}, rebalanceCheckView)
    }

    // Resuming: the saved plan finishes half-moved slots exactly; a new plan is made from the new layout.
    const again = `${goalCommand(goal, 'rebalance')} --yes`
    const resume = this.flags.output ? `reshard apply ${this.flags.output} --yes` : again
    return this.present(await this.runPlan(session, plan, resume, {staleHint: staleHint(again)}), planRunView)
  }
}

/** Primaries that are up and own no slot (a rebalance without --use-empty-primaries skips them). */
function emptyPrimaries(t: Topology): TopoNode[] {
  return t.nodes.filter((n) => n.role === 'primary' && n.reachable && !n.failed && n.slots.length === 0)
}
