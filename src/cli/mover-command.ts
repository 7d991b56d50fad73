// What every command that moves slots shares (move, apply, rebalance, drain, remove-node, the
// wizard): confirmation, reporters, Ctrl-C handling, and running a Plan through the one path
// (operations/run-moves.ts) into a result document and an exit code.
import type {Command} from '@oclif/core/command'
import type {Interfaces} from '@oclif/core'
import {EXIT, LeftOpenError, ReshardError} from '../errors.js'
import {SlotLedger} from '../migration/slot-ledger.js'
import {StopControl} from '../migration/stop-control.js'
import type {MechanismChoice} from '../migration/mechanism.js'
import {runMoves, type MovePreview, type MoveRunDocument} from '../operations/run-moves.js'
import type {Session} from '../operations/session.js'
import type {Plan} from '../planner/index.js'
import {nameOf} from '../topology/topology.js'
import {attachReporter, chooseReporterMode} from '../output/progress.js'
import {BaseCommand} from './base-command.js'
import {handleInterrupts, type Interrupts} from './interrupts.js'
import {engineOptionsFrom, type engineFlags} from './engine-flags.js'

/** The flags a mover may have (each command picks from engineFlags), typed for the shared code. */
export type MoverFlagValues = Partial<Interfaces.InferredFlags<typeof engineFlags>> & {quiet?: boolean}

/** How the run treats a plan it did not make just now (apply) or made itself. */
export interface PlanRunOptions {
  /** Next step of a stale-plan error (default: make a new plan). */
  staleHint?: string
  /** Slots the command already told the operator are done. */
  doneReported?: ReadonlySet<number>
  /** List the slots the move plan skipped (the target owns them) as skipped: `move`, the wizard. */
  listAlreadyOwned?: boolean
}

export abstract class MoverCommand<T extends typeof Command> extends BaseCommand<T> {
  /** The mechanism a plan asks for, used when no --mechanism flag is given (apply). */
  protected planMechanism?: MechanismChoice

  /** This command's flags as the shared code reads them. */
  protected get moverFlags(): MoverFlagValues {
    return this.flags
  }

  protected async confirmOrRefuse(preview: MovePreview, session: Session): Promise<boolean> {
    const f = this.moverFlags
    if (this.interactive && !f.yes && !f['dry-run']) this.log((await import('../output/plan-table.js')).renderPreview(preview, session.topology))
    return this.askBeforeChange(`Move ${preview.todo.length} slot(s) with ${preview.keys} keys?`)
  }

  /** Run a plan with the right reporter, Ctrl-C handling and result document. */
  protected async executePlan(session: Session, plan: Plan, resumeCommand: string, o: PlanRunOptions = {}): Promise<MoveRunDocument> {
    const f = this.moverFlags
    const bus = session.bus
    const stop = new StopControl()
    const name = (id: string) => nameOf(session.topology, id)
    // the run's own ledger: the second Ctrl-C reads the open slots from it while the run goes on
    const ledger = new SlotLedger(bus)
    const reporter = attachReporter(bus, chooseReporterMode({json: this.json, quiet: Boolean(f.quiet)}), process.stdout, name)
    // Ctrl-C once: stop after the batch in flight (an atomic task: cancel it), close what can be
    // closed safely, report. Twice: skip the verify wait; if the run has not returned within a
    // moment (a batch stuck on a frozen node), print the open slots and the document and exit 5 at
    // once (cli/interrupts.ts). Signals are ours only once the run starts: during the confirmation
    // prompt Ctrl-C belongs to the prompt (it cancels and nothing changes).
    let interrupts: Interrupts | undefined
    const offStart = bus.on((e) => {
      if (e.type !== 'run-started') return
      const atomicPairs = e.pairs.filter((p) => p.mechanism === 'atomic').length
      interrupts = handleInterrupts({
        stop,
        what: () => stoppingMessage(atomicPairs, e.pairs.length - atomicPairs),
        force: (sig) => {
          reporter.stop()
          const open = ledger.open(name)
          this.printFailureNow(new LeftOpenError('interrupted', `interrupted by ${sig}`, open, resumeCommand), {ok: false, dryRun: false, open})
          process.exit(EXIT.LEFT_OPEN)
        },
      })
    })
    try {
      const {document} = await runMoves({
        session,
        plan,
        engine: engineOptionsFrom(f),
        bus,
        stop,
        ledger,
        confirm: (p) => this.confirmOrRefuse(p, session),
        resumeCommand,
        mechanism: f.mechanism ?? this.planMechanism,
        staleHint: o.staleHint,
        doneReported: o.doneReported,
        listAlreadyOwned: o.listAlreadyOwned,
      })
      return document
    } catch (e) {
      throw e instanceof LeftOpenError && stop.hard ? stoppedError(e, stop, resumeCommand) : e
    } finally {
      offStart()
      reporter.stop()
      // the handlers stay: the document is printed after this, and a late Ctrl-C must not kill it
      interrupts?.finish()
    }
  }
}

/**
 * What the first Ctrl-C does: a legacy pair stops after the MIGRATE batch in flight; an atomic
 * pair's task is cancelled on the server, which rolls the slots back to the source.
 */
export function stoppingMessage(atomicPairs: number, legacyPairs: number): string {
  const atomic = "cancelling the atomic migration in flight and waiting for the server's rollback"
  if (atomicPairs > 0 && legacyPairs === 0) return `stopping: ${atomic}`
  if (atomicPairs > 0) return `stopping after the batch in flight; ${atomic}`
  return 'stopping after the batch in flight'
}

/** Next step of a stale plan the command made itself: the cluster changed, so plan again by re-running it. */
export function staleHint(command: string): string {
  return `the cluster changed after the plan was made: re-run \`${command}\` to plan again`
}

/**
 * A run stopped by a signal or by --migration-timeout: keep the run document (per-move outcomes)
 * and say why it stopped. Nothing left open (an atomic task cancelled and rolled back, or nothing
 * had started) is not exit 5, which means "slots left open".
 */
function stoppedError(e: LeftOpenError, stop: StopControl, resumeCommand: string): ReshardError {
  const kind = /exceeded --migration-timeout/.test(stop.reason ?? '') ? 'timeout' : 'interrupted'
  if (e.open.length === 0) {
    const code = kind === 'timeout' ? EXIT.PRECONDITION : EXIT.INTERRUPTED_PROMPT
    return new ReshardError(kind, `${stop.reason ?? 'interrupted'}; nothing is left open (unfinished slots stay with their source)`, code, `re-run \`${resumeCommand}\` to finish the remaining moves`).withDocument(e.document)
  }
  return new LeftOpenError(kind, stop.reason ?? 'interrupted', e.open, resumeCommand).withDocument(e.document)
}
