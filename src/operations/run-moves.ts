// The one path every command that moves slots takes (move, apply, rebalance, drain, remove-node,
// wizard): a Plan from the planner, reconciled with the cluster under the lease, confirmation,
// execution, result. Prints nothing: it returns data and emits events.
import {AbortedError, AsmError, EXIT, LeftOpenError, ReshardError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {executeMoves, defaultParallel, type RunResult} from '../migration/executor.js'
import {groupPairs} from '../planner/pairs.js'
import {chooseMechanisms, type Mechanism, type MechanismChoice, type PairMechanism} from '../migration/mechanism.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../migration/options.js'
import {assertClusterReady} from '../migration/preflight.js'
import type {SlotLedger} from '../migration/slot-ledger.js'
import {StopControl} from '../migration/stop-control.js'
import type {Plan} from '../planner/index.js'
import {assertReconciled, DONE_REASON, reconcile, type MoveSpec} from '../planner/reconcile.js'
import {nameOf, type Topology} from '../topology/topology.js'
import {countSlotKeys, takeLease, type Session} from './session.js'

export interface MovePreview {
  todo: MoveSpec[]
  skipped: Array<MoveSpec & {reason: string}>
  keys: number
  pairs: Array<{from: string; to: string; slots: number[]; keys: number}>
}

export interface RunMovesInput {
  session: Session
  plan: Plan
  engine?: Partial<EngineOptions>
  bus: EventBus
  stop?: StopControl
  /** The run's slot ledger, for a caller that reads it while the run goes on (the second Ctrl-C's open list); a new one when absent. */
  ledger?: SlotLedger
  /** Asked after preflight with what will happen; false aborts with nothing changed. */
  confirm?: (p: MovePreview) => Promise<boolean>
  /** The command that re-runs this work, for messages. */
  resumeCommand?: string
  /** How pairs move: auto (atomic where both ends offer the same flavour), atomic, legacy. */
  mechanism?: MechanismChoice
  /** Next step of a stale-plan error, for a command that made its plan itself (default: make a new plan). */
  staleHint?: string
  /** Slots whose "already done" the caller has told the operator: no slot-skipped event for them. */
  doneReported?: ReadonlySet<number>
  /** List the slots a move plan skipped (the target owns them) as skipped, like done moves (`move`). */
  listAlreadyOwned?: boolean
}

export interface MoveRunDocument {
  ok: boolean
  dryRun: boolean
  moved: Array<{slot: number; from: string; to: string; outcome: string; state: string; keys: number; mechanism: Mechanism; error?: string}>
  skipped: Array<{slot: number; reason: string}>
  keys: number
  ms: number
  keysPerSecond: number
  verified: boolean
  open: Array<{slot: number; state: string; source: string; target: string}>
}

export function previewOf(todo: MoveSpec[], skipped: MovePreview['skipped']): MovePreview {
  const pairs = groupPairs(todo).map((p) => ({from: p.from, to: p.to, slots: p.moves.map((m) => m.slot), keys: p.moves.reduce((a, m) => a + (m.keys ?? 0), 0)}))
  return {todo, skipped, keys: todo.reduce((a, m) => a + (m.keys ?? 0), 0), pairs}
}

/**
 * Warnings about the pairs' mechanisms: legacy until `recover`, or not what the plan recorded
 * (when the run asks what the plan asked; an explicit --mechanism is no surprise).
 */
export function mechanismWarnings(t: Topology, chosen: Iterable<PairMechanism>, plan: Plan, requested: MechanismChoice): string[] {
  const out: string[] = []
  const recordedPairs = plan.mechanism?.requested === requested ? plan.mechanism.pairs : []
  for (const m of chosen) {
    const pair = `${nameOf(t, m.from)} -> ${nameOf(t, m.to)}`
    if (m.warn) out.push(`${pair} moves by legacy: ${m.reason}`)
    const recorded = recordedPairs.find((p) => p.from === m.from && p.to === m.to)
    if (recorded && recorded.mechanism !== m.mechanism) {
      out.push(`${pair} moves by ${m.mechanism}, but the plan recorded ${recorded.mechanism}${m.reason ? ` (${m.reason})` : ''}: the nodes changed since the plan was made`)
    }
  }
  return out
}

export async function runMoves(i: RunMovesInput): Promise<{result: RunResult; document: MoveRunDocument}> {
  const {session, bus} = i
  // refuse early on what we already know (another migration's mark is judged under the lease)
  const early = reconcile(i.plan, session.topology)
  assertReconciled({...early, conflict: undefined}, i.staleHint)
  assertClusterReady(session.topology, early.todo)
  // every check below runs on the cluster as it is once no other run can change it
  const t = await takeLease(session, i.resumeCommand ?? 'reshard move')
  const now = reconcile(i.plan, t)
  assertClusterReady(t, now.todo)
  const {todo, done, alreadyOwned} = assertReconciled(now, i.staleHint)
  const skipped = [...done, ...(i.listAlreadyOwned ? alreadyOwned : [])].map((m) => ({...m, reason: DONE_REASON}))
  // every command the run will send, on the node it goes to, before the first change
  await session.proveRights(t, todo)
  const counts = await countSlotKeys(session.admin, todo)
  const todoWithKeys = todo.map((m) => ({...m, keys: counts.get(m.slot) ?? m.keys ?? 0}))
  // before any change: `--mechanism atomic` on a pair that cannot is exit 3 here
  const mechanisms = await chooseMechanisms(session.admin, t, groupPairs(todoWithKeys), i.mechanism ?? 'auto', {maxKeysPerSecond: i.engine?.maxKeysPerSecond})
  for (const message of mechanismWarnings(t, mechanisms.values(), i.plan, i.mechanism ?? 'auto')) bus.emit({type: 'warning', message})
  if (i.confirm && todoWithKeys.length > 0) {
    const yes = await i.confirm(previewOf(todoWithKeys, skipped))
    if (!yes) throw new AbortedError('nothing was changed')
  }
  const engine: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, parallel: defaultParallel(todoWithKeys), ...stripUndefined(i.engine ?? {})}
  const stop = i.stop ?? new StopControl()
  // without the lease another run could start on these nodes: stop at the next safe point
  const offLost = session.lease?.onLost((r) => stop.request('hard', `lost the lease (${r})`))
  const announced = skipped.filter((s) => !i.doneReported?.has(s.slot))
  const result = await executeMoves({admin: session.admin, topology: t, todo: todoWithKeys, skipped: announced, opts: engine, bus, stop, mechanisms, ledger: i.ledger}).finally(() => offLost?.())
  const document = runDocument(session, t, result, skipped)
  throwIfFailed(result, document, i.resumeCommand)
  return {result, document}
}

function runDocument(session: Session, t: Topology, result: RunResult, skipped: ReadonlyArray<{slot: number; reason: string}>): MoveRunDocument {
  const label = (id: string) => nameOf(t, id)
  const dryRun = session.admin.dryRun
  return {
    ok: result.ok,
    dryRun,
    // a dry run changed nothing: its slots are planned, still pending
    moved: result.slots.map((r) => ({slot: r.slot, from: label(r.from), to: label(r.to), ...(dryRun && r.outcome === 'done' ? {outcome: 'planned', state: 'pending'} : {outcome: r.outcome, state: r.state}), keys: r.keys, mechanism: r.mechanism, error: r.error})),
    skipped: skipped.map((s) => ({slot: s.slot, reason: s.reason})).sort((a, b) => a.slot - b.slot),
    keys: result.keys,
    ms: result.ms,
    keysPerSecond: result.keysPerSecond,
    verified: result.verified,
    open: result.open,
  }
}

/** The run's error with its document: a failed run still reports what it did. */
function throwIfFailed(result: RunResult, document: MoveRunDocument, resumeCommand: string | undefined): void {
  if (result.error instanceof AsmError && result.open.length === 0) throw result.error.withDocument(document)
  if (result.error) {
    const e = result.error instanceof LeftOpenError ? result.error : new LeftOpenError(result.error.kind, result.error.message, result.open, resumeCommand)
    if (resumeCommand && e.open.length === 0 && result.slots.some((r) => r.outcome === 'not-started')) {
      throw new LeftOpenError(e.kind, e.message, e.open, resumeCommand).withDocument(document)
    }
    throw e.withDocument(document)
  }
  if (!result.verified) {
    throw new ReshardError('nodes_disagree', 'the slots moved, but not every node agrees on the new owner yet', EXIT.PRECONDITION, 'run `reshard check` in a few seconds').withDocument(document)
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
