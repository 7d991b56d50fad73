// Which mechanism moves each source -> target pair (docs/architecture.md "Safety rules"): the servers' atomic slot
// migration where both ends offer the same flavour and the user allows it, else the legacy
// SETSLOT + MIGRATE protocol. Detected per node by COMMAND INFO, never by version string.
import type {AsmFlavour, ClusterAdmin} from '../cluster/cluster-admin.js'
import {PreconditionError} from '../errors.js'
import {nameOf, type Topology} from '../topology/topology.js'

export type Mechanism = 'legacy' | 'atomic'
export type MechanismChoice = 'auto' | Mechanism
export const MECHANISM_CHOICES: readonly MechanismChoice[] = ['auto', 'atomic', 'legacy']

export interface PairMechanism {
  from: string
  to: string
  mechanism: Mechanism
  /** Set when mechanism is atomic. */
  flavour?: AsmFlavour
  /** Why a pair that could not use atomic moves by legacy (auto), for a warning. */
  reason?: string
}

export const pairKey = (from: string, to: string): string => `${from}>${to}`

const FLAVOUR_NAME: Record<AsmFlavour | 'none', string> = {
  valkey: 'Valkey 9 atomic slot migration (CLUSTER MIGRATESLOTS)',
  redis: 'Redis 8.4+ atomic slot migration (CLUSTER MIGRATION)',
  none: 'no atomic slot migration',
}

export function describeFlavour(f: AsmFlavour | 'none'): string {
  return FLAVOUR_NAME[f]
}

/** COMMAND INFO on every node of the pairs, at once. A node that cannot say counts as none. */
export async function detectFlavours(admin: ClusterAdmin, nodeIds: Iterable<string>): Promise<Map<string, AsmFlavour | 'none'>> {
  const ids = [...new Set(nodeIds)]
  const found = await Promise.all(ids.map((id) => admin.asmFlavour(id).catch(() => 'none' as const)))
  return new Map(ids.map((id, i) => [id, found[i]!]))
}

/** PURE. The mechanism of one pair from both ends' flavours, legacy open slots and the choice. */
export function choosePair(
  choice: MechanismChoice,
  from: AsmFlavour | 'none',
  to: AsmFlavour | 'none',
  legacyOpen: number[] = [],
): {mechanism: Mechanism; flavour?: AsmFlavour; reason?: string} {
  if (choice === 'legacy') return {mechanism: 'legacy'}
  let reason: string | undefined
  if (from === 'none' || to === 'none') reason = `the ${from === 'none' ? 'source' : 'target'} offers no atomic slot migration`
  else if (from !== to) reason = `the source offers ${describeFlavour(from)} and the target ${describeFlavour(to)}`
  else if (legacyOpen.length > 0) reason = `slot(s) ${legacyOpen.slice(0, 5).join(', ')}${legacyOpen.length > 5 ? ', ...' : ''} of the pair are open by a legacy migration, which blocks atomic slot migration (run \`reshard recover\` first)`
  if (reason === undefined) return {mechanism: 'atomic', flavour: from as AsmFlavour}
  return {mechanism: 'legacy', reason}
}

/** Slots open (legacy IMPORTING/MIGRATING marks) on either node of the pair. */
function openOn(t: Topology, from: string, to: string): number[] {
  return [...new Set(t.open.filter((o) => o.nodeId === from || o.nodeId === to).map((o) => o.slot))].sort((a, b) => a - b)
}

/**
 * The mechanism of every pair. With `atomic`, a pair that cannot move atomically is a
 * precondition error (exit 3) before anything changes; with `auto` it moves by legacy.
 */
export async function chooseMechanisms(
  admin: ClusterAdmin,
  t: Topology,
  pairs: ReadonlyArray<{from: string; to: string}>,
  choice: MechanismChoice,
): Promise<Map<string, PairMechanism>> {
  const out = new Map<string, PairMechanism>()
  const flavours = choice === 'legacy' ? new Map<string, AsmFlavour | 'none'>() : await detectFlavours(admin, pairs.flatMap((p) => [p.from, p.to]))
  for (const p of pairs) {
    const c = choosePair(choice, flavours.get(p.from) ?? 'none', flavours.get(p.to) ?? 'none', openOn(t, p.from, p.to))
    if (choice === 'atomic' && c.mechanism !== 'atomic') {
      throw new PreconditionError(
        'atomic_unavailable',
        `--mechanism atomic: ${nameOf(t, p.from)} -> ${nameOf(t, p.to)} cannot move by atomic slot migration: ${c.reason}; nothing was changed`,
        /recover/.test(c.reason ?? '') ? 'run `reshard recover` first' : 'use --mechanism auto (legacy where atomic is not offered) or --mechanism legacy',
      )
    }
    out.set(pairKey(p.from, p.to), {from: p.from, to: p.to, ...c})
  }
  return out
}
