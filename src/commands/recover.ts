import {Flags} from '../cli/oclif.js'
import {EXIT, EXIT_CODE_HELP, LeftOpenError} from '../errors.js'
import {EventBus} from '../events/events.js'
import {recover, type RecoverDocument} from '../operations/recover.js'
import {openSession} from '../operations/session.js'
import {attachReporter, chooseReporterMode} from '../output/progress.js'
import {describeFound, describeTasks, recoverView} from '../output/views/recover.js'
import {parseSlots} from '../topology/slot-set.js'
import {nameOf} from '../topology/topology.js'
import {BaseCommand} from '../cli/base-command.js'
import {engineFlags, engineOptionsFrom} from '../cli/engine-flags.js'
import {handleInterrupts} from '../cli/interrupts.js'
import {StopControl} from '../migration/stop-control.js'
import type {SlotDiagnosis} from '../migration/recovery-cases.js'
import type {RunningAsmTask} from '../operations/asm-tasks.js'

export default class Recover extends BaseCommand<typeof Recover> {
  static override summary = 'Repair half-moved slots, orphaned keys and uncovered slots without losing a key'
  static override description = `Asks every primary for its open (IMPORTING/MIGRATING) slots, looks for keys on primaries that do not own their slot and for slots nobody owns, then repairs each one. By default a half-done move is finished to its target; --rollback returns the slot to its source. Each repair is a list of steps computed before anything changes; every step is printed before it is taken, and --dry-run prints (and records the commands of) exactly the steps a real run takes. A key present on two nodes with different values is never overwritten: the slot is reported (exit 3) and left untouched. Before the first change, recover proves that the user may send every command its steps need (exit 3 naming the missing ACL right).

Atomic slot migration (Redis 8.4+, Valkey 9): slots under a running task are the server's and are never touched. A Redis import that keeps failing (it retries forever until cancelled, e.g. "all slot states must be STABLE" while a legacy slot is open) is a stuck task: recover cancels it on its target (CLUSTER MIGRATION CANCEL ID) before repairing the slots. --cancel-tasks cancels every running task (Valkey: CLUSTER CANCELSLOTMIGRATIONS on the source, which cancels all of that node's exports); the source keeps every key of a cancelled task.

Ctrl-C stops after the step in flight and reports the slots left open (exit 5), or exits 130 if nothing is left open; a second Ctrl-C exits at once.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> recover --dry-run',
    '<%= config.bin %> recover --yes',
    '<%= config.bin %> recover --slot 100-110 --rollback --yes --json',
  ]
  static override flags = {
    slot: Flags.string({char: 's', multiple: true, description: 'only these slots (100, 100-200, 0-99,200)'}),
    rollback: Flags.boolean({description: 'return half-moved slots to their source instead of finishing the move'}),
    'cancel-tasks': Flags.boolean({description: 'cancel every running atomic slot migration task (stuck ones are always cancelled)'}),
    yes: engineFlags.yes,
    'dry-run': engineFlags['dry-run'],
    replace: engineFlags.replace,
    'batch-size': engineFlags['batch-size'],
    'migrate-timeout': engineFlags['migrate-timeout'],
    'migration-timeout': engineFlags['migration-timeout'],
  }

  async run(): Promise<RecoverDocument> {
    const slots = this.flags.slot ? [...new Set(this.flags.slot.flatMap((s) => parseSlots(s)))].sort((a, b) => a - b) : undefined
    const bus = new EventBus()
    const stop = new StopControl()
    const state: RunState = {found: [], fixed: new Set()}
    bus.on((e) => e.type === 'recover-slot' && e.outcome === 'fixed' && state.fixed.add(e.slot))
    // from here on a signal never kills the process: before the first change it stops the run
    // with nothing changed (exit 130), during the repair after the step in flight
    const interrupts = this.interrupts(stop, state)
    this.onCleanup(() => interrupts.finish())
    const conn = await this.connection()
    const session = await openSession(conn, {dryRun: this.flags['dry-run'], bus})
    this.onCleanup(() => session.close())
    const mode = chooseReporterMode({json: this.json, quiet: this.flags.quiet})
    const reporter = (state.reporter = attachReporter(bus, mode === 'bars' ? 'plain' : mode))
    this.onCleanup(() => reporter.stop())
    state.name = (id?: string) => (id ? nameOf(session.topology, id) : '-')
    const doc = await recover(session, bus, {
      slots,
      rollback: this.flags.rollback,
      cancelTasks: this.flags['cancel-tasks'],
      stop,
      engine: engineOptionsFrom(this.flags),
      confirm: (diagnoses, tasks) => this.confirmRepair(state, diagnoses, tasks),
    })
    interrupts.finish()
    return this.present(doc, recoverView)
  }

  /** Ctrl-C as in `move`; a second one that the step in flight does not answer reports the slots found and not repaired. */
  private interrupts(stop: StopControl, state: RunState) {
    return handleInterrupts({
      stop,
      what: 'step',
      force: (sig) => {
        state.reporter?.stop()
        const name = state.name ?? ((id?: string) => id ?? '-')
        const open = state.found.filter((d) => !state.fixed.has(d.slot)).map((d) => ({slot: d.slot, state: d.case, source: name(d.source), target: name(d.target)}))
        this.printFailureNow(new LeftOpenError('interrupted', `interrupted by ${sig}`, open), {ok: false, dryRun: this.flags['dry-run'], open})
        process.exit(open.length > 0 ? EXIT.LEFT_OPEN : EXIT.INTERRUPTED_PROMPT)
      },
    })
  }

  private async confirmRepair(state: RunState, diagnoses: SlotDiagnosis[], tasks: RunningAsmTask[]): Promise<boolean> {
    state.found = diagnoses
    const name = state.name!
    if (!this.json) for (const line of [...describeTasks(tasks, name), ...describeFound(diagnoses, name)]) this.log(line)
    const what = [tasks.length ? `cancel ${tasks.length} atomic migration task(s)` : '', diagnoses.length ? `repair ${diagnoses.length} slot(s)${this.flags.rollback ? ' by rolling back' : ''}` : ''].filter(Boolean).join(' and ')
    return this.askBeforeChange(`${what[0]!.toUpperCase()}${what.slice(1)}?`)
  }
}

interface RunState {
  found: SlotDiagnosis[]
  fixed: Set<number>
  reporter?: {stop(): void}
  name?: (id?: string) => string
}
