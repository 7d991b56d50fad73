// The waves of one legacy pair (the protocol, docs/architecture.md "Safety rules"): small slots are opened, streamed and
// finalized together so one round trip serves many slots; a slot with many keys forms a wave of
// its own. And how a wave that was opened but not streamed is closed again when the run stops.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import type {EngineOptions} from './options.js'
import type {ClassifiedMove} from './preflight.js'
import type {SlotLedger} from './slot-ledger.js'

/** PURE. Slots grouped into waves by their key counts (known from preflight), in order. */
export function groupWaves<M extends {keys?: number}>(moves: readonly M[], opts: Pick<EngineOptions, 'waveKeys' | 'waveSlots'>): M[][] {
  const out: M[][] = []
  let cur: M[] = []
  let sum = 0
  for (const m of moves) {
    cur.push(m)
    sum += m.keys ?? 0
    if (sum >= opts.waveKeys || cur.length >= opts.waveSlots) {
      out.push(cur)
      cur = []
      sum = 0
    }
  }
  if (cur.length > 0) out.push(cur)
  return out
}

/**
 * After Ctrl-C (or a failure): slots of the wave that were opened but not streamed are closed
 * again, in an order that keeps every key readable and never lets a write fork a second copy
 * (issue 11: one rule for every way a run stops). While the source is MIGRATING, clients write
 * new keys of the slot on the target (ASK): so a slot with keys on the target is left open as
 * it is (a consistent live migration, for `recover` or a re-run). A slot without is closed on
 * the TARGET first (it stops taking ASKING writes; a write redirected meanwhile bounces back to
 * the source, which redirects it again, and lands nowhere), then counted again: still empty,
 * the source is made STABLE; a key that landed in between reopens the target (IMPORTING) and
 * the slot stays open. Never is the source made STABLE while a key of the slot may be on the target.
 */
export async function closeUnstreamed(ctx: {admin: ClusterAdmin; from: string; to: string}, ledger: SlotLedger, wave: readonly ClassifiedMove[]): Promise<void> {
  const {admin, from, to} = ctx
  const idle = wave.filter((m) => ledger.state(m.slot) === 'migrating' && m.resume === 'fresh')
  if (idle.length === 0) return
  try {
    const first = await admin.countKeys(to, idle.map((m) => m.slot))
    const empty = idle.filter((_, i) => first[i] === 0)
    if (empty.length === 0) return
    const closed = await admin.setSlots(to, empty.map((m) => ({slot: m.slot, action: 'stable' as const})))
    const shut = empty.filter((_, i) => closed[i] === undefined)
    if (shut.length === 0) return
    const again = await admin.countKeys(to, shut.map((m) => m.slot))
    const clean = shut.filter((_, i) => again[i] === 0)
    const raced = shut.filter((_, i) => again[i] !== 0)
    if (raced.length > 0) await admin.setSlots(to, raced.map((m) => ({slot: m.slot, action: 'importing' as const, nodeId: from})))
    if (clean.length === 0) return
    const r = await admin.setSlots(from, clean.map((m) => ({slot: m.slot, action: 'stable' as const})))
    for (const m of clean.filter((_, i) => r[i] === undefined)) ledger.to(m.slot, 'aborted', 0)
  } catch {
    // left open; `recover` finishes them
  }
}
