// `reshard recover`: find every open slot (asking every primary), every slot with keys on a
// primary that does not own it, every uncovered slot and every stuck atomic migration task;
// turn each into repair steps (migration/repair-steps.ts, pure) and run them through one runner
// (migration/repair-runner.ts). A dry run runs the same steps through the dry-run admin.
// Forward (default) finishes a move to its target; --rollback returns the slot to its source.
import type {ClusterAdmin, ClusterReader} from '../cluster/cluster-admin.js'
import {EXIT, LeftOpenError, ReshardError, type OpenSlot} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../migration/options.js'
import {diagnoseSlot, type SlotDiagnosis} from '../migration/recovery-cases.js'
import {runSlotRepair, runTaskSteps, verifyAll, type RecoverSlotResult, type RepairContext} from '../migration/repair-runner.js'
import {whichIsNewer as copiesVerdict} from '../migration/repair-copies.js'
import {repairProbes} from '../migration/repair-rights.js'
import {cancelTaskSteps, repairSteps, type RepairStep} from '../migration/repair-steps.js'
import {StopControl} from '../migration/stop-control.js'
import {formatSlots, SLOT_COUNT} from '../topology/slot-set.js'
import {nameOf, primaries, type Topology} from '../topology/topology.js'
import {runningAsmTasks, type RunningAsmTask} from './asm-tasks.js'
import {takeLease, type Session} from './session.js'

export type {RecoverSlotResult} from '../migration/repair-runner.js'

/** Kept for callers of the old place: see migration/repair-copies.ts. */
export function whichIsNewer(_t: Topology, d: Pick<SlotDiagnosis, 'claimant'>, holder: string, keeper: string, name: (id: string) => string): string {
  return copiesVerdict(d, holder, keeper, name)
}

export interface RecoverOptions {
  slots?: number[]
  rollback?: boolean
  /** Cancel every running atomic migration task, not only the stuck ones. */
  cancelTasks?: boolean
  engine?: Partial<EngineOptions>
  /** Asked with the diagnoses (and the tasks to cancel) before anything changes; false aborts. */
  confirm?: (found: SlotDiagnosis[], tasks: RunningAsmTask[]) => Promise<boolean>
  verifyDeadlineMs?: number
  /** Ctrl-C: hard stops after the step in flight. */
  stop?: StopControl
}

export interface RecoverTaskResult {
  id: string
  flavour: 'valkey' | 'redis'
  slots: string
  source: string
  target: string
  outcome: 'cancelled' | 'dry-run'
  reason: string
}

export interface RecoverDocument {
  ok: boolean
  dryRun: boolean
  slots: RecoverSlotResult[]
  /** Atomic migration tasks cancelled (stuck ones, or every one with --cancel-tasks). */
  tasks: RecoverTaskResult[]
}

/** Keys of each candidate slot on every reachable primary. */
async function countAll(admin: ClusterReader, t: Topology, slots: readonly number[]): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>()
  for (const s of slots) out.set(s, new Map())
  await Promise.all(
    primaries(t)
      .filter((p) => p.reachable)
      .map(async (p) => {
        const counts = await admin.countKeys(p.id, slots)
        slots.forEach((s, i) => out.get(s)!.set(p.id, counts[i]!))
      }),
  )
  return out
}

/** Slots worth looking at: open, uncovered, or with keys where they do not belong. */
export async function findCandidates(admin: ClusterReader, t: Topology, only?: number[]): Promise<SlotDiagnosis[]> {
  let slots: number[]
  if (only && only.length > 0) slots = only
  else {
    const set = new Set<number>([...t.open.map((o) => o.slot), ...t.uncovered])
    // keys on a primary that does not own the slot: COUNTKEYSINSLOT of every slot it does not own
    await Promise.all(
      primaries(t)
        .filter((p) => p.reachable)
        .map(async (p) => {
          const own = new Set(p.claims)
          const notOwned: number[] = []
          for (let s = 0; s < SLOT_COUNT; s++) if (!own.has(s)) notOwned.push(s)
          const counts = await admin.countKeys(p.id, notOwned)
          notOwned.forEach((s, i) => counts[i]! > 0 && set.add(s))
        }),
    )
    slots = [...set].sort((a, b) => a - b)
  }
  const counts = await countAll(admin, t, slots)
  const out: SlotDiagnosis[] = []
  for (const s of slots) {
    const d = diagnoseSlot(t, s, counts.get(s)!)
    if (d) out.push(d)
  }
  return out
}

/**
 * Which tasks recover cancels and which slots it leaves to the server. A Redis import that keeps
 * failing retries forever (servers/ASM.md) and is cancelled; with --cancel-tasks every task is.
 * Slots of a task left running are the server's: never touched (their keys on the target are the
 * import in flight, not orphans). So are those of a cancelled Valkey task this run (the target
 * drops its partial copy within seconds of the cancel); a Redis target shows no key before the
 * handover, so the slots of a cancelled Redis import are repaired in the same run.
 */
export function sortTasks(tasks: readonly RunningAsmTask[], cancelAll: boolean): {cancel: RunningAsmTask[]; keep: RunningAsmTask[]; untouchable: Set<number>} {
  const cancel = tasks.filter((x) => x.stuck || cancelAll)
  const keep = tasks.filter((x) => !cancel.includes(x))
  const untouchable = new Set([...keep, ...cancel.filter((x) => x.flavour === 'valkey')].flatMap((x) => x.slots))
  return {cancel, keep, untouchable}
}

function whyCancel(x: RunningAsmTask): string {
  return x.stuck ? `it failed ${x.retries} times (${x.error || 'no message'}) and would retry forever` : `--cancel-tasks (state ${x.state})`
}

export async function recover(session: Session, bus: EventBus, o: RecoverOptions): Promise<RecoverDocument> {
  const {admin} = session
  const stop = o.stop ?? new StopControl()
  // the lease first (an expired one is taken over: its run is frozen or gone), then the cluster as it is
  const t = await takeLease(session, 'reshard recover', {takeOverExpired: true})
  const name = (id: string) => nameOf(t, id)
  const down = primaries(t).filter((p) => !p.reachable)
  if (down.length > 0) {
    throw new ReshardError('unreachable', `primary ${down.map((d) => d.address).join(', ')} is unreachable; recovery needs every primary`, EXIT.PRECONDITION, 'bring it back (or fail it over), then run `reshard recover` again')
  }
  const {cancel, keep, untouchable} = sortTasks(await runningAsmTasks(session.reader, t), Boolean(o.cancelTasks))
  for (const x of keep) bus.emit({type: 'warning', message: `slot(s) ${formatSlots(x.slots)} are moving by atomic slot migration (${x.state}); recover leaves them to the server`})
  for (const x of cancel.filter((y) => y.flavour === 'valkey')) bus.emit({type: 'warning', message: `slot(s) ${formatSlots(x.slots)} of the cancelled atomic migration are not repaired in this run (the target drops its partial copy within seconds); run \`reshard recover\` again if \`reshard check\` still reports them`})
  const found = (await findCandidates(session.reader, t, o.slots)).filter((d) => !untouchable.has(d.slot))
  const plans = found.map((d) => repairSteps(d, t, {rollback: o.rollback}))
  const taskSteps = cancelTaskSteps(cancel.map((x) => ({...x, why: whyCancel(x)})))
  if (stop.hard) throw new ReshardError('interrupted', `${stop.reason}; nothing was changed`, EXIT.INTERRUPTED_PROMPT)
  if ((found.length > 0 || cancel.length > 0) && o.confirm && !(await o.confirm(found, cancel))) {
    throw new ReshardError('aborted', 'nothing was changed', EXIT.INTERRUPTED_PROMPT)
  }
  // every command the steps will send, on the node it goes to, before the first change
  const allSteps: RepairStep[] = [...taskSteps, ...plans.flatMap((p) => p.steps)]
  await session.proveProbes(t, repairProbes(allSteps, t))

  const opts: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, ...(o.engine ?? {})}
  const ctx: RepairContext = {admin, reader: session.reader, topology: t, opts, bus, stop, name}
  const doc: RecoverDocument = {ok: true, dryRun: admin.dryRun, slots: [], tasks: []}
  const cancelled = await runTaskSteps(ctx, taskSteps)
  doc.tasks = cancelled.flatMap((s) => (s.kind === 'cancel-asm-task' ? [{id: s.id, flavour: s.flavour, slots: formatSlots(s.slots), source: s.source, target: s.target, outcome: admin.dryRun ? ('dry-run' as const) : ('cancelled' as const), reason: s.why}] : []))
  for (const [i, d] of found.entries()) {
    if (stop.hard) break
    doc.slots.push(await runSlotRepair(ctx, d, plans[i]!))
  }
  if (!stop.hard) await verifyAll(ctx, doc.slots, o.verifyDeadlineMs ?? opts.verifyDeadlineMs)
  doc.ok = !stop.hard && doc.slots.every((r) => r.outcome === 'fixed' || r.outcome === 'dry-run')
  if (stop.hard) throw await stoppedError(admin, stop, doc, name)
  if (!doc.ok) throw failureOf(doc)
  return doc
}

/** What a stop leaves: the cluster's open and uncovered slots now (exit 5), or nothing (exit 130). */
async function stoppedError(admin: ClusterAdmin, stop: StopControl, doc: RecoverDocument, name: (id: string) => string): Promise<ReshardError> {
  const reason = stop.reason ?? 'interrupted'
  const open = admin.dryRun ? [] : openSlotsOf(await admin.refresh(), name)
  if (open.length === 0) {
    return new ReshardError('interrupted', `${reason}; nothing is left open`, EXIT.INTERRUPTED_PROMPT, 'run `reshard recover` again to repair what is left').withDocument(doc)
  }
  return new LeftOpenError('interrupted', reason, open).withDocument(doc)
}

/** One entry per open or unowned slot (a slot open on both sides once). */
export function openSlotsOf(t: Topology, name: (id: string) => string): OpenSlot[] {
  const bySlot = new Map<number, OpenSlot>()
  for (const m of t.open) {
    if (bySlot.has(m.slot)) continue
    const [source, target] = m.state === 'migrating' ? [m.nodeId, m.peerId] : [m.peerId, m.nodeId]
    bySlot.set(m.slot, {slot: m.slot, state: m.state, source: name(source), target: name(target)})
  }
  for (const s of t.uncovered) if (!bySlot.has(s)) bySlot.set(s, {slot: s, state: 'unowned', source: '-', target: '-'})
  return [...bySlot.values()].sort((a, b) => a.slot - b.slot)
}

function failureOf(doc: RecoverDocument): ReshardError {
  const failed = doc.slots.filter((r) => r.outcome === 'failed')
  if (failed.length > 0) {
    return new ReshardError('recover_failed', `could not repair slot(s) ${failed.map((f) => f.slot).join(', ')}: ${failed[0]!.message}`, EXIT.LEFT_OPEN, 'fix the cause, then run `reshard recover` again').withDocument(doc)
  }
  const undecidable = doc.slots.filter((r) => r.outcome === 'undecidable')
  return new ReshardError('undecidable', `slot(s) ${undecidable.map((u) => u.slot).join(', ')} cannot be repaired safely: ${undecidable[0]!.message}`, EXIT.PRECONDITION, 'inspect the keys named above, resolve them by hand, then run `reshard recover` again').withDocument(doc)
}
