// `reshard apply plan.json` and every command that runs a plan it made (rebalance, drain,
// remove-node): reading the plan file, and the result document of a plan run. Checking the plan
// against the cluster is planner/reconcile.ts; running it is run-moves.ts. Prints nothing.
import {readFile} from 'node:fs/promises'
import {UsageError} from '../errors.js'
import {parsePlan, type Plan} from '../planner/index.js'
import {DONE_REASON, type MoveSpec} from '../planner/reconcile.js'
import type {MoveRunDocument} from './run-moves.js'

/** One line of a --json result: what the plan was, and how much of it was already done. */
export interface PlanSummary {
  kind: Plan['kind']
  cluster: string
  options: Record<string, unknown>
  moves: number
  keys?: number
  alreadyDone: number
  summary: Plan['summary']
  spread: Plan['spread']
}

export type PlanRunDocument = MoveRunDocument & {plan: PlanSummary}

export function planSummary(plan: Plan, alreadyDone: number): PlanSummary {
  const s: PlanSummary = {
    kind: plan.kind,
    cluster: plan.cluster.id,
    options: plan.options,
    moves: plan.moves.length,
    alreadyDone,
    summary: plan.summary,
    spread: plan.spread,
  }
  if (plan.totals.keys !== undefined) s.keys = plan.totals.keys
  return s
}

/** The document of a plan with nothing left to do: no run, every move skipped as done. */
export function doneDocument(dryRun: boolean, done: readonly MoveSpec[]): MoveRunDocument {
  return {
    ok: true,
    dryRun,
    moved: [],
    skipped: done.map((m) => ({slot: m.slot, reason: DONE_REASON})),
    keys: 0,
    ms: 0,
    keysPerSecond: 0,
    verified: true,
    open: [],
  }
}

/** A plan file (or stdin with `-`), parsed and checked (usage error, exit 2, when it is not one). */
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
