import {Flags} from '../cli/oclif.js'
import {AbortedError, EXIT_CODE_HELP, UsageError} from '../errors.js'
import {EventBus} from '../events/events.js'
import {recover, type RecoverDocument} from '../operations/recover.js'
import {openSession} from '../operations/session.js'
import {attachReporter, chooseReporterMode} from '../output/progress.js'
import {paint} from '../output/colour.js'
import {describeFound} from '../output/recover-render.js'
import {slotSummary} from '../output/slot-list.js'
import {parseSlots} from '../topology/slot-set.js'
import {nameOf} from '../topology/topology.js'
import {BaseCommand} from '../cli/base-command.js'
import {engineFlags, engineOptionsFrom} from '../cli/engine-flags.js'

export default class Recover extends BaseCommand<typeof Recover> {
  static override summary = 'Repair half-moved slots, orphaned keys and uncovered slots without losing a key'
  static override description = `Asks every primary for its open (IMPORTING/MIGRATING) slots, looks for keys on primaries that do not own their slot and for slots nobody owns, then repairs each one. By default a half-done move is finished to its target; --rollback returns the slot to its source. Every action is printed before it is taken. A key present on two nodes with different values is never overwritten: the slot is reported (exit 3) and left untouched.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> recover --dry-run',
    '<%= config.bin %> recover --yes',
    '<%= config.bin %> recover --slot 100-110 --rollback --yes --json',
  ]
  static override flags = {
    slot: Flags.string({char: 's', multiple: true, description: 'only these slots (100, 100-200, 0-99,200)'}),
    rollback: Flags.boolean({description: 'return half-moved slots to their source instead of finishing the move'}),
    yes: engineFlags.yes,
    'dry-run': engineFlags['dry-run'],
    replace: engineFlags.replace,
    'batch-size': engineFlags['batch-size'],
    'migrate-timeout': engineFlags['migrate-timeout'],
    'migration-timeout': engineFlags['migration-timeout'],
  }

  async run(): Promise<RecoverDocument> {
    const slots = this.flags.slot ? [...new Set(this.flags.slot.flatMap((s) => parseSlots(s)))].sort((a, b) => a - b) : undefined
    const conn = await this.connection()
    const bus = new EventBus()
    const session = await openSession(conn, {dryRun: this.flags['dry-run'], bus})
    this.onCleanup(() => session.close())
    const mode = chooseReporterMode({json: this.json, quiet: this.flags.quiet})
    const reporter = attachReporter(bus, mode === 'bars' ? 'plain' : mode)
    this.onCleanup(() => reporter.stop())
    const name = (id?: string) => {
      if (!id) return '-'
      return nameOf(session.topology, id)
    }
    const doc = await recover(session, bus, {
      slots,
      rollback: this.flags.rollback,
      engine: engineOptionsFrom(this.flags as unknown as Record<string, unknown>),
      confirm: async (found) => {
        if (!this.json) {
          for (const line of describeFound(found, name)) this.log(line)
        }
        if (this.flags.yes || this.flags['dry-run']) return true
        if (!this.interactive) throw new UsageError('refusing to change the cluster without --yes: stdin is not a terminal', 'add --yes, or --dry-run to preview')
        try {
          return await (await import('@inquirer/prompts')).confirm({message: `Repair ${found.length} slot(s)${this.flags.rollback ? ' by rolling back' : ''}?`, default: false})
        } catch {
          throw new AbortedError('nothing was changed')
        }
      },
    })
    if (!this.json) {
      if (doc.slots.length === 0) this.log(paint.green('nothing to recover: no open slot, no orphaned key, no uncovered slot'))
      else this.log(paint.green(`${doc.dryRun ? 'dry run: would repair' : 'repaired'} ${slotSummary(doc.slots.map((x) => x.slot))}`))
    }
    return doc
  }
}

