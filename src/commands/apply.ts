// `reshard apply plan.json`: check a plan against the live cluster (stale → exit 4, nothing
// changed), skip what is already done, and run the rest with the engine of `move`.
// PlanRunnerCommand is what `apply`, `rebalance` and `drain` share.
import {readFile} from 'node:fs/promises'
import {Args} from '../cli/oclif.js'
import type {Command} from '@oclif/core/command'
import {engineFlags} from '../cli/engine-flags.js'
import {MoverCommand} from '../cli/mover-command.js'
import {EXIT_CODE_HELP, UsageError} from '../errors.js'
import {assertPlanFits, DONE_REASON, planSummary, withDone, type PlanSummary} from '../operations/apply.js'
import type {MoveRunDocument} from '../operations/run-moves.js'
import type {Session} from '../operations/session.js'
import {openSession} from '../operations/session.js'
import {parsePlan, type Plan} from '../planner/index.js'
import {paint} from '../output/colour.js'
import {renderPlan, renderPlanSummary} from '../output/plan-render.js'

export type PlanRunDocument = MoveRunDocument & {plan: PlanSummary}

export abstract class PlanRunnerCommand<T extends typeof Command> extends MoverCommand<T> {
  /**
   * Check the plan against the session's topology, then run what is left of it. Prints the plan
   * first (human mode), so a CI log shows what was about to happen.
   */
  protected async runPlan(session: Session, plan: Plan, resumeCommand: string): Promise<PlanRunDocument> {
    const f = this.flags as unknown as Record<string, unknown>
    const check = assertPlanFits(plan, session.topology)
    // the plan's requested mechanism, unless --mechanism says otherwise; detected again per pair
    this.planMechanism = plan.mechanism?.requested
    const human = !this.json && !f.quiet
    const allDone = check.todo.length === 0 && plan.moves.length > 0
    if (human && !allDone) {
      // Asking for confirmation shows the pairs table itself: show only the before/after then.
      const asks = this.interactive && !f.yes && !f['dry-run'] && check.todo.length > 0
      this.log(asks ? renderPlanSummary(plan) : renderPlan(plan))
      if (check.done.length > 0) this.log(paint.dim(`already done: ${check.done.length} of ${plan.moves.length} move(s) (the target owns the slot); they are skipped`))
      this.log('')
    }
    let doc: MoveRunDocument
    if (check.todo.length === 0) {
      if (human && allDone) this.log(paint.green(`nothing to do: all ${plan.moves.length} move(s) of the ${plan.kind} plan are done (each target owns its slot)`))
      doc = {
        ok: true,
        dryRun: session.admin.dryRun,
        moved: [],
        skipped: check.done.map((m) => ({slot: m.slot, reason: DONE_REASON})),
        keys: 0,
        ms: 0,
        keysPerSecond: 0,
        verified: true,
        open: [],
      }
    } else {
      doc = withDone(await this.executeMoves(session, check.todo, resumeCommand), check.done)
    }
    return {...doc, plan: planSummary(plan, check.done.length)}
  }
}

export async function readPlanFile(path: string): Promise<Plan> {
  let text: string
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new UsageError(`cannot read the plan ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'make one with `reshard plan ... -o FILE`')
  }
  return parsePlan(text)
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('`-` reads the plan from stdin, but stdin is a terminal', 'pipe the plan in, or give a file name')
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

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
    return this.runPlan(session, plan, resume ?? 'reshard apply PLAN --yes')
  }
}
