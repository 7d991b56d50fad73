// `reshard plan move SLOTS --to NODE`: the plan `reshard move` would run, as a plan file.
import {Args, Flags} from '../../cli/oclif.js'
import {engineFlags} from '../../cli/engine-flags.js'
import {BaseCommand} from '../../cli/base-command.js'
import {EXIT_CODE_HELP} from '../../errors.js'
import {planFromCluster, writePlanFile} from '../../operations/plan.js'
import {planView} from '../../output/views/plan.js'
import type {Plan} from '../../planner/index.js'
import {planCount} from '../../operations/move.js'
import {openSession} from '../../operations/session.js'
import {checkMoveArgs} from '../../cli/move-args.js'
import {outputFlag} from '../../cli/plan-flags.js'
import {parseSlots} from '../../topology/slot-set.js'

export default class PlanMove extends BaseCommand<typeof PlanMove> {
  static override summary = 'Plan moving given slots to a primary'
  static override description = `Each slot comes from its current owner (with --from, every slot must be owned by that node). Slots the target already owns are listed as skipped. Changes nothing: prints the plan as tables, or the plan document with --json; -o writes the document for \`reshard apply\`.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> plan move 0-99 --to nodeB',
    '<%= config.bin %> plan move 0-99,200 --to nodeB --from nodeA -o move.json',
    '<%= config.bin %> plan move --count 500 --from all --to nodeD -o scale-out.json',
  ]
  static override args = {
    slots: Args.string({description: 'slots: 100, 100-200 or 0-99,200,300-310 (or use --count)'}),
  }
  static override flags = {
    to: Flags.string({char: 't', description: 'target primary: id, id prefix, host:port or hostname (required)'}),
    from: Flags.string({char: 'f', description: 'source primary (default: the current owner of each slot); with --count: sources separated by commas, or all (the default)'}),
    count: Flags.integer({char: 'n', description: 'plan moving this many slots, picked like `reshard move --count` picks them', min: 1}),
    output: outputFlag,
    mechanism: engineFlags.mechanism,
  }

  async run(): Promise<Plan> {
    const {slotsText, count, to} = checkMoveArgs(this.args.slots, this.flags)
    let plan
    if (count === undefined) {
      plan = await planFromCluster(await this.connection(), {kind: 'move', slots: parseSlots(slotsText!), to, from: this.flags.from}, this.flags.mechanism)
    } else {
      const session = await openSession(await this.connection())
      try {
        ;({plan} = await planCount(session.reader, session.topology, {count, to, from: this.flags.from ?? 'all'}))
      } finally {
        await session.close()
      }
    }
    if (this.flags.output) await writePlanFile(this.flags.output, plan)
    return this.present({plan, output: this.flags.output}, planView)
  }
}
