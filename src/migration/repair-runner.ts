// The one runner of repair steps (repair-steps.ts), through ClusterAdmin. A dry run goes through
// the same loop with the dry-run admin: every step is announced the same way and every command
// is recorded instead of sent; only the waits and checks that would watch the changes happen
// (and the move back, whose commands depend on the cluster after the forward part) are skipped.
// A hard stop (Ctrl-C) ends the run after the step in flight.
import type {ClusterAdmin, ClusterReader} from '../cluster/cluster-admin.js'
import type {EventBus} from '../events/events.js'
import type {Topology} from '../topology/topology.js'
import {executeMoves} from './executor.js'
import {moveSlotKeys, SlotError} from './key-mover.js'
import type {EngineOptions} from './options.js'
import {classifyMoves} from './preflight.js'
import type {SlotDiagnosis} from './recovery-cases.js'
import {compareCopies, whichIsNewer} from './repair-copies.js'
import {describeStep, type RepairPlan, type RepairStep} from './repair-steps.js'
import type {StopControl} from './stop-control.js'
import {readUntil} from '../cluster/poll.js'

export interface RecoverSlotResult {
  slot: number
  case: string
  direction: 'forward' | 'rollback' | 'none'
  owner?: string
  ownerId?: string
  outcome: 'fixed' | 'undecidable' | 'failed' | 'dry-run'
  keysMoved: number
  message: string
  keys?: string[]
  /** The steps of the repair, in words, in order (the same list in a dry run and a real one). */
  steps: string[]
  /** Set when a stop request ended the repair before its last step. */
  interrupted?: boolean
}

export interface RepairContext {
  admin: ClusterAdmin
  /** Reads that must see the cluster (key listings for the comparison): the real admin. */
  reader: ClusterReader
  topology: Topology
  opts: EngineOptions
  bus: EventBus
  stop: StopControl
  name: (id: string) => string
  /** Polling interval of the waits (tests shorten it). */
  pollMs?: number
}

/** Kinds a dry run announces but does not run: they watch changes a dry run does not make. */
const WATCHES: ReadonlySet<RepairStep['kind']> = new Set(['wait-owner', 'expect-no-keys', 'verify', 'move-slot'])

class Undecidable extends Error {
  constructor(
    message: string,
    readonly keys: string[],
  ) {
    super(message)
  }
}

/** Every node names `owner` for the slot and none has it open. */
export function settled(t: Topology, slot: number, owner: string): boolean {
  return t.owners[slot] === owner && !t.open.some((m) => m.slot === slot) && !t.disagreements.some((x) => x.slots.includes(slot))
}

/** Poll the cluster until every slot is settled on its owner; the slots that are not at the deadline. */
export async function waitSettled(ctx: RepairContext, want: ReadonlyArray<{slot: number; owner: string}>, deadlineMs: number): Promise<number[]> {
  const unsettled = async () => {
    const now = await ctx.admin.refresh()
    return want.filter((w) => !settled(now, w.slot, w.owner)).map((w) => w.slot)
  }
  return (await readUntil(unsettled, (bad) => bad.length === 0, {deadlineMs, intervalMs: ctx.pollMs, stop: () => ctx.stop.now})).value
}

/** Cancel steps (atomic migration tasks), before any slot is repaired; the steps done. */
export async function runTaskSteps(ctx: RepairContext, steps: readonly RepairStep[]): Promise<RepairStep[]> {
  const done: RepairStep[] = []
  for (const s of steps) {
    if (s.kind !== 'cancel-asm-task' || ctx.stop.hard) continue
    ctx.bus.emit({type: 'recover-step', slot: s.slots[0] ?? -1, case: 'stuck-task', action: describeStep(s, ctx.name)})
    await cancelTask(ctx.admin, s)
    done.push(s)
  }
  return done
}

/** Run one slot's plan; the verify steps are left to `verifyAll` (one poll for every slot). */
export async function runSlotRepair(ctx: RepairContext, d: SlotDiagnosis, plan: RepairPlan): Promise<RecoverSlotResult> {
  const {admin, bus, name} = ctx
  const slot = d.slot
  const result: RecoverSlotResult = {slot, case: d.case, direction: plan.direction, outcome: 'fixed', keysMoved: 0, message: '', steps: plan.steps.map((s) => describeStep(s, name))}
  const finish = (outcome: RecoverSlotResult['outcome'], message: string) => {
    result.outcome = outcome
    result.message = message
    bus.emit({type: 'recover-slot', slot, case: d.case, outcome, message})
    return result
  }
  if (plan.undecidable || !plan.owner) return finish('undecidable', plan.undecidable ?? 'no node can take the slot')
  result.owner = name(plan.owner)
  result.ownerId = plan.owner
  const served = new Map<string, string[]>()
  for (const [i, step] of plan.steps.entries()) {
    if (ctx.stop.hard) {
      result.interrupted = true
      return finish('failed', `${ctx.stop.reason ?? 'stopped'} before: ${result.steps[i]}`)
    }
    if (step.kind === 'verify') continue
    bus.emit({type: 'recover-step', slot, case: d.case, action: result.steps[i]!})
    if (admin.dryRun && WATCHES.has(step.kind)) continue
    try {
      const moved = await runStep(ctx, d, step, served)
      if (moved === false) {
        result.interrupted = true
        return finish('failed', `${ctx.stop.reason ?? 'stopped'} during: ${result.steps[i]}`)
      }
      result.keysMoved += moved
    } catch (e) {
      if (e instanceof Undecidable) {
        result.keys = e.keys
        return finish('undecidable', e.message)
      }
      return finish('failed', e instanceof Error ? e.message : String(e))
    }
  }
  const moved = result.keysMoved ? `, ${result.keysMoved} key(s) moved` : ''
  return finish(admin.dryRun ? 'dry-run' : 'fixed', `${plan.direction === 'rollback' ? 'returned to' : 'owned by'} ${name(plan.owner)}${moved}`)
}

/** Every fixed slot settled on its owner (gossip lags: polled); a slot that is not is failed. */
export async function verifyAll(ctx: RepairContext, results: RecoverSlotResult[], deadlineMs: number): Promise<void> {
  const fixed = results.filter((r) => r.outcome === 'fixed' && r.ownerId)
  if (ctx.admin.dryRun || fixed.length === 0) return
  const bad = new Set(await waitSettled(ctx, fixed.map((r) => ({slot: r.slot, owner: r.ownerId!})), deadlineMs))
  for (const r of fixed.filter((x) => bad.has(x.slot))) {
    r.outcome = 'failed'
    r.message = 'nodes do not agree on the new owner yet; run `reshard check`'
  }
}

/** At the node that can: Valkey cancels every export of the source, Redis this import on the target. */
async function cancelTask(admin: ClusterAdmin, s: Extract<RepairStep, {kind: 'cancel-asm-task'}>): Promise<void> {
  if (s.flavour === 'valkey') await admin.cancelSlotMigrations(s.node)
  else await admin.migrationCancel(s.node, s.id)
}

/** One step; the keys it moved, or false when a stop request ended it midway. */
async function runStep(ctx: RepairContext, d: SlotDiagnosis, s: RepairStep, served: Map<string, string[]>): Promise<number | false> {
  const {admin, bus, name, opts} = ctx
  switch (s.kind) {
    case 'setslot': {
      const [err] = await admin.setSlots(s.node, [{slot: s.slot, action: s.action, nodeId: s.peer}])
      if (err) throw new SlotError('setslot_failed', `CLUSTER SETSLOT ${s.slot} ${s.action.toUpperCase()} failed on ${name(s.node)}: ${err}`)
      return 0
    }
    case 'announce-owner': {
      for (const n of s.nodes) {
        const [err] = await admin.setSlots(n, [{slot: s.slot, action: 'node', nodeId: s.owner}])
        // a node holding keys of the slot refuses; it learns the owner by gossip
        if (err && !/only with masters/i.test(err)) bus.emit({type: 'warning', message: `SETSLOT ${s.slot} NODE on ${name(n)}: ${err}`})
      }
      return 0
    }
    case 'wait-owner': {
      const bad = await waitSettled(ctx, [{slot: s.slot, owner: s.owner}], opts.verifyDeadlineMs)
      if (bad.length > 0) throw new SlotError('no_owner', `the nodes did not all learn ${name(s.owner)} as the owner of slot ${s.slot} in time`)
      return 0
    }
    case 'compare-copies':
      await compareStep(ctx, d, s, served)
      return 0
    case 'migrate-keys': {
      const keep = s.keepServed ? served.get(s.from) : undefined
      if (keep) bus.emit({type: 'warning', message: `slot ${s.slot}: keep the copies clients last wrote on ${name(s.from)} (it serves the slot) over the unreachable older copies on ${name(s.to)}: ${keep.slice(0, 10).join(', ')}${keep.length > 10 ? ', ...' : ''}`})
      const ctxMove = {admin, from: s.from, to: s.to, toLabel: name(s.to), opts: keep ? {...opts, replace: true} : opts, bus, stop: ctx.stop, throttle: async () => undefined, asking: s.asking}
      return moveSlotKeys(ctxMove, s.slot, s.keys)
    }
    case 'expect-no-keys':
      await expectNoKeys(ctx, s)
      return 0
    case 'move-slot':
      return moveBack(ctx, s)
    case 'cancel-asm-task':
      await cancelTask(admin, s)
      return 0
    case 'verify':
      return 0
  }
}

async function compareStep(ctx: RepairContext, d: SlotDiagnosis, s: Extract<RepairStep, {kind: 'compare-copies'}>, served: Map<string, string[]>): Promise<void> {
  const holders = d.holders.filter((h) => s.holders.includes(h.id))
  const v = await compareCopies(ctx.reader, s.slot, s.keeper, holders, s.served, ctx.opts.replace)
  for (const [k, keys] of v.served) served.set(k, keys)
  if (v.conflicts.length === 0) return
  const h = v.conflictHolder!
  const what = v.unreadable ? '(a copy that cannot be read to compare)' : 'with different values'
  throw new Undecidable(
    `${v.conflicts.length} key(s) exist on ${ctx.name(s.keeper)} and on ${ctx.name(h)} ${what}: ${v.conflicts.slice(0, 10).join(', ')}; ${whichIsNewer(d, h, s.keeper, ctx.name)}`,
    v.conflicts.slice(0, 20),
  )
}

async function expectNoKeys(ctx: RepairContext, s: Extract<RepairStep, {kind: 'expect-no-keys'}>): Promise<void> {
  const left = await Promise.all(s.nodes.map(async (id) => ({id, n: (await ctx.admin.countKeys(id, [s.slot]))[0]!})))
  const still = left.filter((x) => x.n > 0)
  if (still.length === 0) return
  if (s.reopen && still.some((x) => x.id === s.reopen!.node)) {
    // a client wrote a key on the target (ASK) before its IMPORTING was cleared: reopen it so
    // the key stays readable; the slot stays open and a re-run goes forward and back
    await ctx.admin.setSlots(s.reopen.node, [{slot: s.slot, action: 'importing', nodeId: s.reopen.peer}])
  }
  throw new SlotError('keys_left', still.map((x) => `${ctx.name(x.id)} still holds ${x.n} key(s)`).join(', '))
}

/** The second half of a round-trip rollback: a normal move from the fresh view. */
async function moveBack(ctx: RepairContext, s: Extract<RepairStep, {kind: 'move-slot'}>): Promise<number | false> {
  const {admin} = ctx
  const now = await admin.refresh()
  const {todo} = classifyMoves(now, [{slot: s.slot, from: s.from, to: s.to}])
  const [keys] = await admin.countKeys(s.from, [s.slot])
  const r = await executeMoves({admin, topology: now, todo: todo.map((m) => ({...m, keys})), skipped: [], opts: {...ctx.opts, parallel: 1}, bus: ctx.bus, stop: ctx.stop})
  const back = r.slots.find((x) => x.slot === s.slot)
  if (r.ok && back?.outcome === 'done') return back.keys
  if (ctx.stop.hard) return false
  throw new SlotError('move_back_failed', `the move back to ${ctx.name(s.to)} failed: ${r.error?.message ?? back?.error ?? 'unknown'}; the slot is owned by ${ctx.name(s.from)}`)
}
