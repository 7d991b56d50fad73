import {Args, Flags} from '../cli/oclif.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {movesFor} from '../operations/move.js'
import type {MoveRunDocument} from '../operations/run-moves.js'
import {openSession} from '../operations/session.js'
import {parseSlots} from '../topology/slot-set.js'
import {paint} from '../output/colour.js'
import {engineFlags} from '../cli/engine-flags.js'
import {MoverCommand} from '../cli/mover-command.js'

export default class Move extends MoverCommand<typeof Move> {
  static override summary = 'Move hash slots to another primary, live'
  static override description = `Moves every key of the given slots to the target primary with MIGRATE, then makes it the owner on every node. Each slot is taken from its current owner (or --from). Slots the target already owns are skipped, and half-moved slots of the same move are finished, so re-running a command is safe.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> move 100 --to nodeB',
    '<%= config.bin %> move 0-99,200 --to 127.0.0.1:30002 --yes',
    '<%= config.bin %> move 5000-5100 --from nodeA --to 3f2a --dry-run',
    'REDISCLI_AUTH=secret <%= config.bin %> move 100 --to nodeB -c 10.0.0.1:6379 --yes --json',
  ]
  static override args = {
    slots: Args.string({description: 'slots: 100, 100-200 or 0-99,200,300-310', required: true}),
  }
  static override flags = {
    to: Flags.string({char: 't', description: 'target primary: id, id prefix, host:port or hostname', required: true}),
    from: Flags.string({char: 'f', description: 'source primary (default: the current owner of each slot)'}),
    ...engineFlags,
  }

  async run(): Promise<MoveRunDocument> {
    const slots = parseSlots(this.args.slots)
    const conn = await this.connection()
    const session = await openSession(conn, {dryRun: this.flags['dry-run']})
    this.onCleanup(() => session.close())
    const moves = movesFor(session.topology, {slots, to: this.flags.to, from: this.flags.from})
    const doc = await this.executeMoves(session, moves, `reshard move ${this.args.slots} --to ${this.flags.to}${this.flags.from ? ` --from ${this.flags.from}` : ''} --yes`)
    if (!this.json && doc.moved.length === 0 && doc.skipped.length > 0) {
      this.log(paint.dim(`nothing to do: ${doc.skipped.length} slot(s) already owned by the target`))
    }
    return doc
  }
}
