// The one path every command that moves slots takes (move, apply, rebalance, drain, wizard):
// preflight, confirmation, execution, result. Prints nothing: it returns data and emits events.
import {AbortedError, AsmError, EXIT, LeftOpenError, ReshardError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {executeMoves, defaultParallel, groupPairs, type RunResult} from '../migration/executor.js'
import {chooseMechanisms, type Mechanism, type MechanismChoice} from '../migration/mechanism.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../migration/options.js'
import {assertClusterReady, classifyMoves, type MoveSpec} from '../migration/preflight.js'
import {StopControl} from '../migration/stop-control.js'
import {nameOf, type Topology} from '../topology/topology.js'
import {proveRights} from '../cluster/rights.js'
import {countSlotKeys, takeLease, type Session} from './session.js'

export interface MovePreview {
  todo: MoveSpec[]
  skipped: Array<MoveSpec & {reason: string}>
  keys: number
  pairs: Array<{from: string; to: string; slots: number[]; keys: number}>
}

export interface RunMovesInput {
  session: Session
  moves: MoveSpec[]
  engine?: Partial<EngineOptions>
  bus: EventBus
  stop?: StopControl
  /** Asked after preflight with what will happen; false aborts with nothing changed. */
  confirm?: (p: MovePreview) => Promise<boolean>
  /** The command that re-runs this work, for messages. */
  resumeCommand?: string
  /** How pairs move: auto (atomic where both ends offer the same flavour), atomic, legacy. */
  mechanism?: MechanismChoice
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

export function previewOf(t: Topology, todo: MoveSpec[], skipped: MovePreview['skipped']): MovePreview {
  const pairs = new Map<string, MovePreview['pairs'][number]>()
  for (const m of todo) {
    const k = `${m.from}>${m.to}`
    let p = pairs.get(k)
    if (!p) pairs.set(k, (p = {from: m.from, to: m.to, slots: [], keys: 0}))
    p.slots.push(m.slot)
    p.keys += m.keys ?? 0
  }
  return {todo, skipped, keys: todo.reduce((a, m) => a + (m.keys ?? 0), 0), pairs: [...pairs.values()]}
  void t
}

export async function runMoves(i: RunMovesInput): Promise<{result: RunResult; document: MoveRunDocument}> {
  const {session, bus} = i
  // refuse early on what we already know; then again on the cluster as it is under the lease
  assertClusterReady(session.topology, i.moves)
  // every check below runs on the cluster as it is once no other run can change it
  const t = await takeLease(session, i.resumeCommand ?? 'reshard move')
  assertClusterReady(t, i.moves)
  const {todo, skipped} = classifyMoves(t, i.moves)
  // every command the run will send, on the node it goes to, before the first change
  await proveRights(session.real, t, todo)
  const counts = await countSlotKeys(session.admin, todo)
  const todoWithKeys = todo.map((m) => ({...m, keys: counts.get(m.slot) ?? m.keys ?? 0}))
  // before any change: `--mechanism atomic` on a pair that cannot is exit 3 here
  const mechanisms = await chooseMechanisms(session.admin, t, groupPairs(todoWithKeys), i.mechanism ?? 'auto', {maxKeysPerSecond: i.engine?.maxKeysPerSecond})
  for (const m of mechanisms.values()) {
    if (m.warn) bus.emit({type: 'warning', message: `${nameOf(t, m.from)} -> ${nameOf(t, m.to)} moves by legacy: ${m.reason}`})
  }
  if (i.confirm && todoWithKeys.length > 0) {
    const yes = await i.confirm(previewOf(t, todoWithKeys, skipped))
    if (!yes) throw new AbortedError('nothing was changed')
  }
  const engine: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, parallel: defaultParallel(todoWithKeys), ...stripUndefined(i.engine ?? {})}
  const stop = i.stop ?? new StopControl()
  // without the lease another run could start on these nodes: stop at the next safe point
  const offLost = session.lease?.onLost((r) => stop.request('hard', `lost the lease (${r})`))
  const result = await executeMoves({admin: session.admin, topology: t, todo: todoWithKeys, skipped, opts: engine, bus, stop, mechanisms}).finally(() => offLost?.())
  const label = (id: string) => nameOf(t, id)
  const document: MoveRunDocument = {
    ok: result.ok,
    dryRun: session.admin.dryRun,
    // a dry run changed nothing: its slots are planned, still pending
    moved: result.slots.map((r) => ({slot: r.slot, from: label(r.from), to: label(r.to), ...(session.admin.dryRun && r.outcome === 'done' ? {outcome: 'planned', state: 'pending'} : {outcome: r.outcome, state: r.state}), keys: r.keys, mechanism: r.mechanism, error: r.error})),
    skipped: skipped.map((s) => ({slot: s.slot, reason: s.reason})),
    keys: result.keys,
    ms: result.ms,
    keysPerSecond: result.keysPerSecond,
    verified: result.verified,
    open: result.open,
  }
  if (result.error instanceof AsmError && result.open.length === 0) throw Object.assign(result.error, {document})
  if (result.error) {
    const e = result.error instanceof LeftOpenError ? result.error : new LeftOpenError(result.error.kind, result.error.message, result.open, i.resumeCommand)
    if (i.resumeCommand && e.open.length === 0 && result.slots.some((r) => r.outcome === 'not-started')) {
      throw Object.assign(new LeftOpenError(e.kind, e.message, e.open, i.resumeCommand), {document})
    }
    throw Object.assign(e, {document})
  }
  if (!result.verified) {
    throw Object.assign(new ReshardError('nodes_disagree', 'the slots moved, but not every node agrees on the new owner yet', EXIT.PRECONDITION, 'run `reshard check` in a few seconds'), {document})
  }
  return {result, document}
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
