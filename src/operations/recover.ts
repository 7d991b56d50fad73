// `reshard recover`: find every open slot (asking every primary), every slot with keys on a
// primary that does not own it, and every uncovered slot; classify and repair each one.
// Forward (default) finishes the move to its target; --rollback returns the slot to its source.
// Every action is announced (event) before it is taken; dry-run records instead of sending.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import {EXIT, ReshardError} from '../errors.js'
import type {EventBus} from '../events/events.js'
import {moveSlotKeys, SlotError} from '../migration/key-mover.js'
import {printable} from '../cluster/migrate-args.js'
import {compareValues} from '../migration/value-compare.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {DEFAULT_ENGINE_OPTIONS, type EngineOptions} from '../migration/options.js'
import {diagnoseSlot, finalOwner, type SlotDiagnosis} from '../migration/recovery-cases.js'
import {StopControl} from '../migration/stop-control.js'
import {executeMoves} from '../migration/executor.js'
import {classifyMoves} from '../migration/preflight.js'
import {SLOT_COUNT} from '../topology/slot-set.js'
import {nameOf, nodeById, primaries, type Topology} from '../topology/topology.js'
import {takeLease, type Session} from './session.js'
import {cancelAsmTask, runningAsmTasks} from './asm-tasks.js'
import {formatSlots} from '../topology/slot-set.js'

export interface RecoverOptions {
  slots?: number[]
  rollback?: boolean
  engine?: Partial<EngineOptions>
  /** Asked with the diagnoses before anything changes; false aborts. */
  confirm?: (found: SlotDiagnosis[]) => Promise<boolean>
  verifyDeadlineMs?: number
}

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
}

export interface RecoverDocument {
  ok: boolean
  dryRun: boolean
  slots: RecoverSlotResult[]
}

/** Keys of each candidate slot on every reachable primary. */
async function countAll(admin: ClusterAdmin, t: Topology, slots: readonly number[]): Promise<Map<number, Map<string, number>>> {
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
export async function findCandidates(admin: ClusterAdmin, t: Topology, only?: number[]): Promise<SlotDiagnosis[]> {
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

export async function recover(session: Session, bus: EventBus, o: RecoverOptions): Promise<RecoverDocument> {
  const {admin} = session
  // the lease first (an expired one is taken over: its run is frozen or gone), then the cluster as it is
  const t = await takeLease(session, 'reshard recover', {takeOverExpired: true})
  const down = primaries(t).filter((p) => !p.reachable)
  if (down.length > 0) {
    throw new ReshardError('unreachable', `primary ${down.map((d) => d.address).join(', ')} is unreachable; recovery needs every primary`, EXIT.PRECONDITION, 'bring it back (or fail it over), then run `reshard recover` again')
  }
  // Slots under a running atomic migration are the server's: never touched (their keys on the
  // target are the import in flight, not orphans). A task stuck retrying is cancelled instead.
  const tasks = await runningAsmTasks(session.real, t)
  const underAsm = new Set(tasks.flatMap((x) => x.slots))
  for (const x of tasks.filter((y) => !y.stuck)) {
    bus.emit({type: 'warning', message: `slot(s) ${formatSlots(x.slots)} are moving by atomic slot migration (${x.state}); recover leaves them to the server`})
  }
  const stuck = tasks.filter((x) => x.stuck)
  const found = (await findCandidates(session.real, t, o.slots)).filter((d) => !underAsm.has(d.slot))
  if ((found.length > 0 || stuck.length > 0) && o.confirm && !(await o.confirm(found))) {
    throw new ReshardError('aborted', 'nothing was changed', EXIT.INTERRUPTED_PROMPT)
  }
  for (const x of stuck) {
    bus.emit({type: 'warning', message: `cancelling the atomic slot migration of slot(s) ${formatSlots(x.slots)} ${nameOf(t, x.source)} -> ${nameOf(t, x.target)}: it failed ${x.retries} times (${x.error || 'no message'}) and would retry forever`})
    await cancelAsmTask(admin, x)
  }
  const opts: EngineOptions = {...DEFAULT_ENGINE_OPTIONS, ...(o.engine ?? {})}
  const results: RecoverSlotResult[] = []
  for (const d of found) {
    if (o.rollback && needsRoundTrip(t, d)) results.push(await rollBackByRoundTrip(session, d, opts, bus))
    else results.push(await recoverSlot(admin, session.real, t, d, Boolean(o.rollback), opts, bus))
  }
  // Verify: every node names the new owner (gossip lags: poll with a deadline).
  const fixed = results.filter((r) => r.outcome === 'fixed' && r.ownerId)
  if (!admin.dryRun && fixed.length > 0) {
    const deadline = Date.now() + (o.verifyDeadlineMs ?? opts.verifyDeadlineMs)
    for (;;) {
      const now = await admin.refresh()
      const bad = fixed.filter((r) => now.owners[r.slot] !== r.ownerId || now.open.some((m) => m.slot === r.slot) || now.disagreements.some((x) => x.slots.includes(r.slot)))
      if (bad.length === 0) break
      if (Date.now() > deadline) {
        for (const b of bad) {
          b.outcome = 'failed'
          b.message = 'nodes do not agree on the new owner yet; run `reshard check`'
        }
        break
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const doc: RecoverDocument = {ok: results.every((r) => r.outcome === 'fixed' || r.outcome === 'dry-run'), dryRun: admin.dryRun, slots: results}
  if (!doc.ok) {
    const undecidable = results.filter((r) => r.outcome === 'undecidable')
    const failed = results.filter((r) => r.outcome === 'failed')
    if (failed.length > 0) {
      throw Object.assign(new ReshardError('recover_failed', `could not repair slot(s) ${failed.map((f) => f.slot).join(', ')}: ${failed[0]!.message}`, EXIT.LEFT_OPEN, 'fix the cause, then run `reshard recover` again'), {document: doc})
    }
    throw Object.assign(
      new ReshardError('undecidable', `slot(s) ${undecidable.map((u) => u.slot).join(', ')} cannot be repaired safely: ${undecidable[0]!.message}`, EXIT.PRECONDITION, 'inspect the keys named above, resolve them by hand, then run `reshard recover` again'),
      {document: doc},
    )
  }
  return doc
}

async function recoverSlot(admin: ClusterAdmin, reader: ClusterAdmin, t: Topology, d: SlotDiagnosis, rollback: boolean, opts: EngineOptions, bus: EventBus): Promise<RecoverSlotResult> {
  const name = (id: string) => nameOf(t, id)
  const slot = d.slot
  const step = (action: string) => bus.emit({type: 'recover-step', slot, case: d.case, action})
  const direction: RecoverSlotResult['direction'] = d.source && d.target ? (rollback ? 'rollback' : 'forward') : 'none'
  const result: RecoverSlotResult = {slot, case: d.case, direction, outcome: 'fixed', keysMoved: 0, message: ''}
  const finish = (outcome: RecoverSlotResult['outcome'], message: string) => {
    result.outcome = outcome
    result.message = message
    bus.emit({type: 'recover-slot', slot, case: d.case, outcome, message})
    return result
  }
  const T = finalOwner(t, d, rollback)
  if (d.case === 'undecidable' || !T) return finish('undecidable', d.reason ?? 'no node can take the slot')
  result.owner = name(T)
  result.ownerId = T
  const claimant = d.claimant
  const holders = d.holders.filter((h) => h.id !== T)

  try {
    // 0. An unowned slot gets its owner first: no node serves (or even DUMPs) a key of a slot
    //    nobody owns. Assigning it is the first step of any repair, so it is safe to do now.
    if (d.case === 'unowned' && !admin.dryRun) {
      step(`assign the slot to ${name(T)} (CLUSTER SETSLOT ${slot} NODE on every primary)`)
      await setSlotOrThrow(admin, T, slot, 'node', T)
      for (const p of primaries(t).filter((x) => x.reachable && x.id !== T)) await admin.setSlots(p.id, [{slot, action: 'node', nodeId: T}])
      // a node that holds keys of the slot refuses SETSLOT NODE; it learns the owner by gossip
      await waitForOwner(admin, holders.map((h) => h.id), slot, T, opts.verifyDeadlineMs)
    }

    // 1. Before any other change: a key present on two nodes with different values cannot be decided.
    const conflicts: string[] = []
    const conflictHolders = new Set<string>()
    /** holder -> keys whose copy on the holder is the one clients see (kept with REPLACE) */
    const servedCopies = new Map<string, string[]>()
    let unreadable = false
    for (const h of holders) {
      const keys = await reader.getKeys(h.id, slot, h.keys + 100)
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000)
        const onT = await reader.dump(T, chunk)
        const both = chunk.filter((_, j) => onT[j] !== null && onT[j] !== undefined)
        if (both.length === 0) continue
        const onH = await reader.dump(h.id, both)
        const verdicts = await compareValues(reader, h.id, T, both, onH, both.map((k) => onT[chunk.indexOf(k)]))
        both.forEach((k, j) => {
          if (opts.replace || verdicts[j] === 'same' || verdicts[j] === 'absent') return
          // The holder serves the slot (it owns it, MIGRATING): clients read and write every key
          // it holds there, so its copy is the newest and the one on T is unreachable (e.g. the
          // late RESTORE of a batch that timed out on a frozen target). Keeping it loses nothing.
          if (verdicts[j] === 'different' && d.claimant === h.id && h.id !== T) {
            servedCopies.set(h.id, [...(servedCopies.get(h.id) ?? []), printable(k)])
            return
          }
          if (verdicts[j] === 'unreadable') unreadable = true
          conflicts.push(printable(k))
          conflictHolders.add(h.id)
        })
      }
    }
    if (conflicts.length > 0) {
      result.keys = conflicts.slice(0, 20)
      const h = holders.find((x) => conflictHolders.has(x.id))!.id
      return finish('undecidable', `${conflicts.length} key(s) exist on ${name(T)} and on ${name(h)} ${unreadable ? '(a copy that cannot be read to compare)' : 'with different values'}: ${conflicts.slice(0, 10).join(', ')}; ${whichIsNewer(t, d, h, T, name)}`)
    }

    const tNode = nodeById(t, T)!
    const tMarks = t.open.filter((m) => m.slot === slot && m.nodeId === T)
    const others = primaries(t).filter((p) => p.reachable && p.id !== T)
    const holderIds = new Set(holders.map((h) => h.id))
    // 2. Marks on nodes that hold no key go first (a node MIGRATING to T keeps redirecting to
    //    T: that is what we want until the end), so no new key lands anywhere but on the owner or T.
    for (const m of t.open.filter((x) => x.slot === slot && x.nodeId !== T && !holderIds.has(x.nodeId) && !(x.state === 'migrating' && x.peerId === T))) {
      step(`clear ${m.state.toUpperCase()} on ${name(m.nodeId)} (CLUSTER SETSLOT ${slot} STABLE)`)
      await setSlotOrThrow(admin, m.nodeId, slot, 'stable')
    }
    // 3. Make T able to take the keys: owner already, importing from the claimant, or the new owner of an unowned slot.
    let tClaims = tNode.claims.includes(slot) || (d.case === 'unowned' && !admin.dryRun)
    if (tClaims && claimant && claimant !== T) {
      // T still claims the slot but another node's claim wins (higher config epoch: a half-finalised
      // move). Keys moved to T now would be dropped when that claim reaches it: T first adopts
      // the winner as owner (it holds no key of the slot, or Redis refuses), then imports from it.
      step(`let ${name(T)} accept ${name(claimant)} as the owner (CLUSTER SETSLOT ${slot} NODE on ${name(T)})`)
      await setSlotOrThrow(admin, T, slot, 'node', claimant)
      tClaims = false
    }
    let tMigrating = tMarks.some((m) => m.state === 'migrating')
    if (tClaims && tMigrating && holders.length > 0) {
      // A MIGRATING node answers ASK for keys it lacks, even to RESTORE: close it so the keys can
      // come back (rollback). Keys still elsewhere are invisible to clients until they are back.
      step(`close MIGRATING on ${name(T)} so it takes its keys back (CLUSTER SETSLOT ${slot} STABLE)`)
      await setSlotOrThrow(admin, T, slot, 'stable')
      tMigrating = false
    }
    if (!tClaims) {
      if (claimant && claimant !== T) {
        if (!tMarks.some((m) => m.state === 'importing' && m.peerId === claimant)) {
          if (tMarks.length > 0) {
            step(`clear ${tMarks[0]!.state.toUpperCase()} on ${name(T)}`)
            await setSlotOrThrow(admin, T, slot, 'stable')
          }
          step(`set IMPORTING from ${name(claimant)} on ${name(T)}`)
          await setSlotOrThrow(admin, T, slot, 'importing', claimant)
        }
      } else {
        // nobody claims the slot: T takes it now, keys follow
        step(`assign the slot to ${name(T)} (CLUSTER SETSLOT ${slot} NODE on ${name(T)})`)
        await setSlotOrThrow(admin, T, slot, 'node', T)
      }
    }
    // 4. The claimant redirects writes of keys it lacks to T while its keys move.
    if (claimant && claimant !== T) {
      const cMarks = t.open.filter((m) => m.slot === slot && m.nodeId === claimant)
      if (!cMarks.some((m) => m.state === 'migrating' && m.peerId === T)) {
        step(`set MIGRATING to ${name(T)} on ${name(claimant)}`)
        await setSlotOrThrow(admin, claimant, slot, 'migrating', T)
      }
    }
    // 5. Move every key of the slot held elsewhere to T. MIGRATE runs only where the slot is
    //    served: a holder that neither owns nor imports it is made IMPORTING for the move (ASKING).
    for (const h of holders) {
      const isClaimant = h.id === claimant
      const hMarks = t.open.filter((m) => m.slot === slot && m.nodeId === h.id)
      let importing = hMarks.some((m) => m.state === 'importing')
      for (let round = 0; round < 3; round++) {
        const [count] = round === 0 ? [h.keys] : await admin.countKeys(h.id, [slot])
        if (count === 0) break
        if (!isClaimant && !importing) {
          step(`set IMPORTING on ${name(h.id)} so its stray keys can be moved (CLUSTER SETSLOT ${slot} IMPORTING)`)
          await setSlotOrThrow(admin, h.id, slot, 'importing', T === h.id ? claimant : T)
          importing = true
        }
        const served = servedCopies.get(h.id)
        if (served && round === 0) {
          step(`keep the copies clients last wrote on ${name(h.id)} (it serves the slot) over the unreachable older copies on ${name(T)}: ${served.slice(0, 10).join(', ')}${served.length > 10 ? ', ...' : ''}`)
        }
        step(`move ${count} key(s) from ${name(h.id)} to ${name(T)}`)
        const moved = await moveSlotKeys(
          {admin, from: h.id, to: T, toLabel: name(T), opts: served ? {...opts, replace: true} : opts, bus, stop: new StopControl(), throttle: async () => undefined, asking: !isClaimant},
          slot,
          count!,
        )
        result.keysMoved += moved === false ? 0 : moved
        if (isClaimant) break
        step(`close the slot on ${name(h.id)} (CLUSTER SETSLOT ${slot} STABLE)`)
        await setSlotOrThrow(admin, h.id, slot, 'stable')
        importing = false
        if (admin.dryRun) break
      }
    }
    // 6. Never finalize while another node still holds keys of the slot.
    const left = await Promise.all(others.map(async (p) => ({p, n: (await admin.countKeys(p.id, [slot]))[0]!})))
    const still = left.filter((x) => x.n > 0)
    if (still.length > 0 && rollback && d.target && tMigrating && still.some((x) => x.p.id === d.target)) {
      // a client wrote a key on the target (ASK) before its IMPORTING was cleared: reopen it so
      // the key stays readable; the slot stays open and a re-run goes forward and back
      await setSlotOrThrow(admin, d.target, slot, 'importing', T)
    }
    if (still.length > 0) throw new SlotError('keys_left', `${still.map((x) => `${name(x.p.id)} still holds ${x.n} key(s)`).join(', ')}`)
    // 7. Finalize: T first (it bumps its epoch when it was importing), then the claimant, then the rest.
    if (tClaims && tMigrating) {
      step(`close the slot on ${name(T)} (CLUSTER SETSLOT ${slot} STABLE)`)
      await setSlotOrThrow(admin, T, slot, 'stable')
    } else if (!tClaims && claimant && claimant !== T) {
      step(`make ${name(T)} the owner (CLUSTER SETSLOT ${slot} NODE on ${name(T)})`)
      await setSlotOrThrow(admin, T, slot, 'node', T)
    } else if (!tClaims && tMarks.length > 0) {
      step(`make ${name(T)} the owner (CLUSTER SETSLOT ${slot} NODE on ${name(T)})`)
      await setSlotOrThrow(admin, T, slot, 'node', T)
    }
    step(`tell every other primary that ${name(T)} owns the slot`)
    for (const p of others) {
      const [err] = await admin.setSlots(p.id, [{slot, action: 'node', nodeId: T}])
      if (err && !/only with masters/i.test(err)) bus.emit({type: 'warning', message: `SETSLOT ${slot} NODE on ${name(p.id)}: ${err}`})
    }
    return finish(admin.dryRun ? 'dry-run' : 'fixed', `${direction === 'rollback' ? 'returned to' : 'owned by'} ${name(T)}${result.keysMoved ? `, ${result.keysMoved} key(s) moved` : ''}`)
  } catch (e) {
    return finish('failed', e instanceof Error ? e.message : String(e))
  }
}

/**
 * Rollback keeps every key readable only as a round trip when keys (or the ownership) already
 * sit on the target. Redis offers no order in which the source takes keys back while it still
 * redirects to the target the ones it lacks: a MIGRATING node answers ASK even to the RESTORE
 * that would bring a key back, and a STABLE (or IMPORTING) owner answers nil for a key it lacks,
 * while clients' writes of it fork a second copy (issue 11: rollback under live writes). So the
 * slot is finished forward (every step serves every key), then moved back by a normal move.
 */
function needsRoundTrip(t: Topology, d: SlotDiagnosis): boolean {
  if (!d.source || !d.target || d.case === 'undecidable') return false
  const target = nodeById(t, d.target)
  return d.holders.some((h) => h.id === d.target) || Boolean(target?.claims.includes(d.slot)) || d.claimant === d.target
}

async function rollBackByRoundTrip(session: Session, d: SlotDiagnosis, opts: EngineOptions, bus: EventBus): Promise<RecoverSlotResult> {
  const {admin} = session
  const t = session.topology
  const name = (id: string) => nameOf(t, id)
  const source = d.source!
  const target = d.target!
  bus.emit({type: 'recover-step', slot: d.slot, case: d.case, action: `keys already sit on ${name(target)}: finish the move there first, then move the slot back to ${name(source)} (every key stays readable)`})
  const fwd = await recoverSlot(admin, session.real, t, d, false, opts, bus)
  if (admin.dryRun && fwd.outcome === 'dry-run') {
    const message = `returned to ${name(source)} (forward to ${name(target)} first, then moved back by a normal move)`
    bus.emit({type: 'recover-step', slot: d.slot, case: d.case, action: `then move the slot back to ${name(source)} (IMPORTING, MIGRATING, MIGRATE, SETSLOT NODE)`})
    return {...fwd, direction: 'rollback', owner: name(source), ownerId: source, message}
  }
  if (fwd.outcome !== 'fixed') return {...fwd, direction: 'rollback'}
  // gossip must carry the new owner before the move back is planned from a fresh view
  await waitForOwner(admin, primaries(t).filter((p) => p.reachable).map((p) => p.id), d.slot, target, opts.verifyDeadlineMs)
  const now = await admin.refresh()
  const {todo} = classifyMoves(now, [{slot: d.slot, from: target, to: source}])
  const [keys] = await admin.countKeys(target, [d.slot])
  bus.emit({type: 'recover-step', slot: d.slot, case: d.case, action: `move the slot back to ${name(source)} (${keys} key(s))`})
  const r = await executeMoves({admin, topology: now, todo: todo.map((m) => ({...m, keys})), skipped: [], opts: {...opts, parallel: 1}, bus, stop: new StopControl()})
  const back = r.slots.find((x) => x.slot === d.slot)
  const ok = r.ok && back?.outcome === 'done'
  const result: RecoverSlotResult = {
    slot: d.slot,
    case: d.case,
    direction: 'rollback',
    owner: name(source),
    ownerId: source,
    outcome: ok ? 'fixed' : 'failed',
    keysMoved: fwd.keysMoved + (back?.keys ?? 0),
    message: ok ? `returned to ${name(source)} (forward to ${name(target)} first, then back: ${back?.keys ?? 0} key(s))` : `the move back to ${name(source)} failed: ${r.error?.message ?? back?.error ?? 'unknown'}; the slot is owned by ${name(target)}`,
  }
  bus.emit({type: 'recover-slot', slot: d.slot, case: d.case, outcome: result.outcome, message: result.message})
  return result
}

/**
 * Which of two different copies clients wrote last, and the next step that keeps it. Clients are
 * routed to the node that owns the slot (the claimant, highest config epoch). An owner serves
 * every key it holds itself (MIGRATING redirects only keys it lacks), so where the owner holds a
 * copy, that copy is the one clients read and wrote; the other copy became unreachable when the
 * owner got its own, and is the older one. `--replace` keeps the copies being moved (the other
 * node's): it is suggested only when those are the newer ones.
 */
export function whichIsNewer(t: Topology, d: SlotDiagnosis, holder: string, keeper: string, name: (id: string) => string): string {
  const served = d.claimant
  if (served === holder) {
    return `clients last wrote the copies on ${name(holder)}: it owns the slot and serves every key it holds, so the copies on ${name(keeper)} were unreachable and are older; re-run with --replace to keep the copies on ${name(holder)}`
  }
  if (served === keeper) {
    return `clients last wrote the copies on ${name(keeper)}: it owns the slot and serves every key it holds, so the copies on ${name(holder)} were unreachable and are older; do NOT use --replace (it would overwrite the newer copies): delete the older copies on ${name(holder)}, then run \`reshard recover\` again`
  }
  void t
  return 'no single node owns the slot, so which copy clients wrote last cannot be told; compare the copies by hand, keep one, then run `reshard recover` again'
}

/** Poll the nodes' own views until each names `owner` for the slot (gossip). */
async function waitForOwner(admin: ClusterAdmin, nodes: string[], slot: number, owner: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  for (const id of nodes) {
    for (;;) {
      const lines = parseClusterNodes(await admin.clusterNodes(id))
      if (lines.some((l) => l.id === owner && l.slots.includes(slot))) break
      if (Date.now() > deadline) throw new SlotError('no_owner', `node ${id.slice(0, 8)} did not learn the new owner of slot ${slot} in time`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

async function setSlotOrThrow(admin: ClusterAdmin, node: string, slot: number, action: 'importing' | 'migrating' | 'node' | 'stable', peer?: string): Promise<void> {
  const [err] = await admin.setSlots(node, [{slot, action, nodeId: peer}])
  if (err) throw new SlotError('setslot_failed', `CLUSTER SETSLOT ${slot} ${action.toUpperCase()} failed on ${node.slice(0, 8)}: ${err}`)
}
