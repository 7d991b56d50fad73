import {Args, Flags} from '../cli/oclif.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {checkMoveArgs} from '../cli/move-args.js'
import {planCount} from '../operations/move.js'
import {makePlan} from '../operations/plan.js'
import {openSession} from '../operations/session.js'
import {parseSlots} from '../topology/slot-set.js'
import {nameOf} from '../topology/topology.js'
import {moveRunView, renderPicked, type MoveCommandDocument} from '../output/views/run.js'
import {engineFlags} from '../cli/engine-flags.js'
import {MoverCommand, staleHint} from '../cli/mover-command.js'

export default class Move extends MoverCommand<typeof Move> {
  static override summary = 'Move hash slots to another primary, live'
  static override description = `Moves every key of the given slots to the target primary with MIGRATE, then makes it the owner on every node. Each slot is taken from its current owner (or --from). Slots the target already owns are skipped, and half-moved slots of the same move are finished, so re-running a command is safe.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> move 100 --to nodeB',
    '<%= config.bin %> move 0-99,200 --to 127.0.0.1:30002 --yes',
    '<%= config.bin %> move 5000-5100 --from nodeA --to 3f2a --dry-run',
    '<%= config.bin %> move --count 1000 --from all --to nodeD --yes',
    '<%= config.bin %> move --count 100 --from nodeA,nodeB --to nodeC --dry-run',
    'REDISCLI_AUTH=secret <%= config.bin %> move 100 --to nodeB -c 10.0.0.1:6379 --yes --json',
  ]
  static override args = {
    slots: Args.string({description: 'slots: 100, 100-200 or 0-99,200,300-310 (or use --count)'}),
  }
  static override flags = {
    to: Flags.string({char: 't', description: 'target primary: id, id prefix, host:port or hostname (required)'}),
    from: Flags.string({
      char: 'f',
      description: 'source primary (default: the current owner of each slot); with --count: sources separated by commas, or all (the default)',
    }),
    count: Flags.integer({char: 'n', description: 'move this many slots, picked like the planner picks: fewest keys first, contiguous ranges preferred, spread over the --from sources', min: 1}),
    ...engineFlags,
  }

  async run(): Promise<MoveCommandDocument> {
    const {slotsText, count, to} = checkMoveArgs(this.args.slots, this.flags)
    const conn = await this.connection()
    const session = await openSession(conn, {dryRun: this.flags['dry-run']})
    this.onCleanup(() => session.close())
    const from = this.flags.from
    if (count !== undefined) {
      const {plan, picked} = await planCount(session.reader, session.topology, {count, to, from: from ?? 'all'}, {keys: false})
      if (!this.json) this.log(renderPicked(picked, nameOf(session.topology, String(plan.options.to))))
      const resume = `reshard move ${picked.slots} --to ${to} --yes`
      return this.present({...(await this.executePlan(session, plan, resume, {staleHint: staleHint(resume), listAlreadyOwned: true})), picked}, moveRunView)
    }
    // the run counts the keys of its own slots: no need to read every slot's count for the plan
    const plan = await makePlan(session.reader, session.topology, {kind: 'move', slots: parseSlots(slotsText!), to, from}, {keys: false})
    const resume = `reshard move ${slotsText} --to ${to}${from ? ` --from ${from}` : ''} --yes`
    return this.present(await this.executePlan(session, plan, resume, {staleHint: staleHint(resume), listAlreadyOwned: true}), moveRunView)
  }
}
