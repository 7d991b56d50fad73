import {Args, Flags} from '../cli/oclif.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {checkMoveArgs} from '../cli/move-args.js'
import {countMoves, movesFor} from '../operations/move.js'
import type {MoveRunDocument} from '../operations/run-moves.js'
import {openSession} from '../operations/session.js'
import {formatSlots, parseSlots} from '../topology/slot-set.js'
import {nameOf, type Topology} from '../topology/topology.js'
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

  async run(): Promise<MoveRunDocument & {picked?: PickedDocument}> {
    const {slotsText, count, to} = checkMoveArgs(this.args.slots, this.flags)
    const conn = await this.connection()
    const session = await openSession(conn, {dryRun: this.flags['dry-run']})
    this.onCleanup(() => session.close())
    const from = this.flags.from
    if (count !== undefined) {
      const {moves, keys} = await countMoves(session.real, session.topology, {count, to, from: from ?? 'all'})
      const picked = pickedDocument(session.topology, moves, keys)
      if (!this.json) this.log(renderPicked(picked, nameOf(session.topology, moves[0]!.to)))
      const resume = `reshard move ${formatSlots(moves.map((m) => m.slot))} --to ${to} --yes`
      return {...(await this.executeMoves(session, moves, resume)), picked}
    }
    const moves = movesFor(session.topology, {slots: parseSlots(slotsText!), to, from})
    const doc = await this.executeMoves(session, moves, `reshard move ${slotsText} --to ${to}${from ? ` --from ${from}` : ''} --yes`)
    if (!this.json && doc.moved.length === 0 && doc.skipped.length > 0) {
      this.log(paint.dim(`nothing to do: ${doc.skipped.length} slot(s) already owned by the target`))
    }
    return doc
  }
}

export interface PickedDocument {
  count: number
  keys: number
  slots: string
  from: Array<{id: string; name: string; slots: string; count: number}>
}

function pickedDocument(t: Topology, moves: ReadonlyArray<{slot: number; from: string}>, keys: number): PickedDocument {
  const by = new Map<string, number[]>()
  for (const m of moves) {
    let a = by.get(m.from)
    if (!a) by.set(m.from, (a = []))
    a.push(m.slot)
  }
  const from = [...by].map(([id, slots]) => ({id, name: nameOf(t, id), slots: formatSlots(slots), count: slots.length}))
  return {count: moves.length, keys, slots: formatSlots(moves.map((m) => m.slot)), from}
}

function renderPicked(p: PickedDocument, target: string): string {
  const lines = [`picked ${p.count} slot(s) with ${p.keys} keys for ${target}:`]
  for (const f of p.from) lines.push(`  ${f.name}: ${f.slots} (${f.count} slot(s))`)
  return lines.join('\n')
}
