// The one path every command that moves slots takes (move, apply, rebalance, drain, wizard):
// preflight, confirmation, execution, result. Prints nothing: it returns data and emits events.
import {AbortedError, EXIT, LeftOpenError, ReshardError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {executeMoves, defaultParallel, type RunResult} from '../migration/executor.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../migration/options.js'
import {assertClusterReady, classifyMoves, type MoveSpec} from '../migration/preflight.js'
import {StopControl} from '../migration/stop-control.js'
import {nameOf, type Topology} from '../topology/topology.js'
import {countSlotKeys, type Session} from './session.js'

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
}

export interface MoveRunDocument {
  ok: boolean
  dryRun: boolean
  moved: Array<{slot: number; from: string; to: string; outcome: string; state: string; keys: number; error?: string}>
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
  const t = session.topology
  assertClusterReady(t, i.moves)
  const {todo, skipped} = classifyMoves(t, i.moves)
  const counts = await countSlotKeys(session.admin, todo)
  const todoWithKeys = todo.map((m) => ({...m, keys: counts.get(m.slot) ?? m.keys ?? 0}))
  if (i.confirm && todoWithKeys.length > 0) {
    const yes = await i.confirm(previewOf(t, todoWithKeys, skipped))
    if (!yes) throw new AbortedError('nothing was changed')
  }
  const engine: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, parallel: defaultParallel(todoWithKeys), ...stripUndefined(i.engine ?? {})}
  const stop = i.stop ?? new StopControl()
  const result = await executeMoves({admin: session.admin, topology: t, todo: todoWithKeys, skipped, opts: engine, bus, stop})
  const label = (id: string) => nameOf(t, id)
  const document: MoveRunDocument = {
    ok: result.ok,
    dryRun: session.admin.dryRun,
    // a dry run changed nothing: its slots are planned, still pending
    moved: result.slots.map((r) => ({slot: r.slot, from: label(r.from), to: label(r.to), ...(session.admin.dryRun && r.outcome === 'done' ? {outcome: 'planned', state: 'pending'} : {outcome: r.outcome, state: r.state}), keys: r.keys, error: r.error})),
    skipped: skipped.map((s) => ({slot: s.slot, reason: s.reason})),
    keys: result.keys,
    ms: result.ms,
    keysPerSecond: result.keysPerSecond,
    verified: result.verified,
    open: result.open,
  }
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
