// Step 4 of the protocol (docs/architecture.md "Safety rules") for a group of slots of one pair, and the loss check after it:
// SETSLOT NODE on the target, its epoch made strictly the highest (finalize-gate.ts), then the
// source, then every other primary; one finalization at a time across all pairs of the run.
import type {PairContext} from './strategy.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import type {Topology} from '../topology/topology.js'
import type {FinalizeGate} from './finalize-gate.js'
import {SlotError} from './key-mover.js'
import {type ClassifiedMove, otherPrimaries} from './preflight.js'
import {shortId} from '../topology/topology.js'

export interface FinalizeCtx extends PairContext {
  topology: () => Topology
  gate: FinalizeGate
  /** Keys moved into the slot by this run. */
  moved: (slot: number) => number
}

/** Finalizes the slots; returns those now owned by the target everywhere we could tell. */
export async function finalizeSlots(ctx: FinalizeCtx, ready: ClassifiedMove[], fail: (slot: number, error: string) => void): Promise<ClassifiedMove[]> {
  const {admin, from, to, gate} = ctx
  return gate.exclusive(async () => {
    await gate.prepare(to)
    const rt = await admin.setSlots(to, ready.map((m) => ({slot: m.slot, action: 'node' as const, nodeId: to})))
    for (const m of ready.filter((_, i) => rt[i] !== undefined)) fail(m.slot, `SETSLOT NODE on ${ctx.toLabel}: ${rt[ready.indexOf(m)]}`)
    const ok = ready.filter((_, i) => rt[i] === undefined)
    if (ok.length === 0) return ok
    await gate.confirm(to)
    await tellOthers(ctx, ok)
    gate.gaveAway(from, to, ok.map((m) => m.slot))
    return ok
  })
}

/** After the target: the source, then every other primary. */
async function tellOthers(ctx: FinalizeCtx, okMoves: ClassifiedMove[]): Promise<void> {
  const {admin, from, to, bus} = ctx
  const okOps = okMoves.map((m) => ({slot: m.slot, action: 'node' as const, nodeId: to}))
  const rs = await admin.setSlots(from, okOps)
  const srcErr = rs.find((e) => e !== undefined)
  // After its last slot leaves, a primary may have turned into a replica of the new owner
  // (cluster-allow-replica-migration): "Please use SETSLOT only with masters" then means
  // success. Anything else is left to gossip (the target's epoch is higher) and to the verify.
  if (srcErr !== undefined && !/only with masters/i.test(srcErr)) {
    bus.emit({type: 'warning', message: `SETSLOT NODE on ${ctx.fromLabel}: ${srcErr}; gossip will carry the new owner`})
  }
  await Promise.all(
    otherPrimaries(ctx.topology(), from, to).map(async (id) => {
      try {
        const r = await admin.setSlots(id, okOps)
        const e = r.find((x) => x !== undefined)
        if (e && !/only with masters/i.test(e)) bus.emit({type: 'warning', message: `SETSLOT NODE on ${shortId(id)}: ${e}`})
      } catch (e) {
        bus.emit({type: 'warning', message: `could not tell ${shortId(id)} about the new owner: ${(e as Error).message}`})
      }
    }),
  )
}

/**
 * Loss detection: a target that yielded a slot (another node claimed it with a higher config
 * epoch) has deleted its keys there. After finalizing, the target must still own each slot and
 * hold keys of every slot keys were moved into; otherwise the run stops at once (exit 5).
 */
export async function checkNoLoss(ctx: FinalizeCtx, okMoves: ClassifiedMove[]): Promise<void> {
  const {admin, to, stop} = ctx
  if (admin.dryRun) return
  const moved = okMoves.filter((m) => ctx.moved(m.slot) > 0)
  if (moved.length === 0) return
  const [counts, nodes] = await Promise.all([admin.countKeys(to, moved.map((m) => m.slot)), admin.clusterNodes(to)])
  const claims = new Set(parseClusterNodes(nodes).find((l) => l.myself)?.slots ?? [])
  const lost = moved
    .map((m, i) => ({slot: m.slot, moved: ctx.moved(m.slot), there: counts[i]!, owns: claims.has(m.slot)}))
    .filter((x) => x.there === 0 || !x.owns)
  if (lost.length === 0) return
  const what = lost.map((x) => `slot ${x.slot}: ${x.moved} key(s) moved, ${x.there} on ${ctx.toLabel}${x.owns ? '' : ' (it no longer owns the slot)'}`)
  stop.request('hard', 'keys lost at finalization')
  throw new SlotError('keys_lost', `keys lost after finalizing on ${ctx.toLabel}: ${what.join('; ')}`, 'stop every change to the cluster; run `reshard check`, and restore the named slots from a backup', {slots: lost})
}
