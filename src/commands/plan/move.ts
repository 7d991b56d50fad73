// `reshard plan move SLOTS --to NODE`: the plan `reshard move` would run, as a plan file.
import {Args, Flags} from '../../cli/oclif.js'
import {engineFlags} from '../../cli/engine-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {EXIT_CODE_HELP} from '../../errors.js'
import {planFromCluster} from '../../operations/plan.js'
import {parseSlots} from '../../topology/slot-set.js'
import {emitPlan, outputFlag} from './rebalance.js'

export default class PlanMove extends BaseCommand<typeof PlanMove> {
  static override summary = 'Plan moving given slots to a primary'
  static override description = `Each slot comes from its current owner (with --from, every slot must be owned by that node). Slots the target already owns are listed as skipped. Changes nothing: prints the plan as tables, or the plan document with --json; -o writes the document for \`reshard apply\`.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> plan move 0-99 --to nodeB',
    '<%= config.bin %> plan move 0-99,200 --to nodeB --from nodeA -o move.json',
  ]
  static override args = {
    slots: Args.string({description: 'slots: 100, 100-200 or 0-99,200,300-310', required: true}),
  }
  static override flags = {
    to: Flags.string({char: 't', description: 'target primary: id, id prefix, host:port or hostname', required: true}),
    from: Flags.string({char: 'f', description: 'source primary (default: the current owner of each slot)'}),
    output: outputFlag,
    mechanism: engineFlags.mechanism,
  }

  async run(): Promise<void> {
    const slots = parseSlots(this.args.slots)
    const plan = await planFromCluster(await this.connection(), {kind: 'move', slots, to: this.flags.to, from: this.flags.from}, this.flags.mechanism)
    await emitPlan(plan, {output: this.flags.output, json: this.json, log: (s) => this.log(s)})
  }
}
