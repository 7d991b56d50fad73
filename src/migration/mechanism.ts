// Which mechanism moves each source -> target pair (docs/architecture.md "Safety rules"): the servers' atomic slot
// migration where both ends offer the same flavour and the user allows it, else the legacy
// SETSLOT + MIGRATE protocol. Detected per node by COMMAND INFO, never by version string.
import type {AsmFlavour, ClusterAdmin} from '../cluster/cluster-admin.js'
import {PreconditionError, UsageError} from '../errors.js'
import {nameOf, type Topology} from '../topology/topology.js'
import {pairKey} from '../planner/pairs.js'

export type Mechanism = 'legacy' | 'atomic'
export type MechanismChoice = 'auto' | Mechanism
export const MECHANISM_CHOICES: readonly MechanismChoice[] = ['auto', 'atomic', 'legacy']

export interface PairMechanism {
  from: string
  to: string
  mechanism: Mechanism
  /** Set when mechanism is atomic. */
  flavour?: AsmFlavour
  /** Why a pair that could not use atomic moves by legacy (auto). */
  reason?: string
  /** The reason is worth a warning event: the operator can change it (open slots, a rate limit). */
  warn?: boolean
}

/** What the user asked that restricts the choice. */
export interface MechanismLimits {
  /** --max-keys-per-second: only the legacy mechanism can keep to it. */
  maxKeysPerSecond?: number
}

const RATE_REASON = "--max-keys-per-second is given and only the legacy mechanism can keep to it (the servers' atomic slot migration moves at the server's own pace)"

/**
 * PURE. `--mechanism atomic` with `--max-keys-per-second`: a usage error (exit 2), before anything
 * is read or changed. The atomic task has no rate setting: the limit would silently not apply.
 */
export function assertMechanismLimits(choice: MechanismChoice | undefined, limits: MechanismLimits): void {
  if (choice === 'atomic' && limits.maxKeysPerSecond !== undefined && limits.maxKeysPerSecond > 0) {
    throw new UsageError(
      '--max-keys-per-second cannot limit an atomic slot migration: the server moves the slots at its own pace',
      'drop --max-keys-per-second, or use --mechanism legacy (or auto, which moves by legacy when a rate limit is given)',
    )
  }
}


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
  limits: MechanismLimits = {},
): {mechanism: Mechanism; flavour?: AsmFlavour; reason?: string; warn?: boolean} {
  if (choice === 'legacy') return {mechanism: 'legacy'}
  let reason: string | undefined
  let warn = false
  if (from === 'none' || to === 'none') reason = `the ${from === 'none' ? 'source' : 'target'} offers no atomic slot migration`
  else if (from !== to) reason = `the source offers ${describeFlavour(from)} and the target ${describeFlavour(to)}`
  else if (legacyOpen.length > 0) {
    reason = `slot(s) ${legacyOpen.slice(0, 5).join(', ')}${legacyOpen.length > 5 ? ', ...' : ''} of the pair are open by a legacy migration, which blocks atomic slot migration (run \`reshard recover\` first)`
    warn = true
  } else if (limits.maxKeysPerSecond !== undefined && limits.maxKeysPerSecond > 0) {
    reason = RATE_REASON
    warn = true
  }
  if (reason === undefined) return {mechanism: 'atomic', flavour: from as AsmFlavour}
  return warn ? {mechanism: 'legacy', reason, warn} : {mechanism: 'legacy', reason}
}

/** Slots open (legacy IMPORTING/MIGRATING marks) on either node of the pair. */
function openOn(t: Topology, from: string, to: string): number[] {
  return [...new Set(t.open.filter((o) => o.nodeId === from || o.nodeId === to).map((o) => o.slot))].sort((a, b) => a - b)
}

/**
 * The mechanism of every pair. With `atomic`, a pair that cannot move atomically is a
 * precondition error (exit 3) before anything changes, and a rate limit a usage error (exit 2);
 * with `auto` such a pair moves by legacy (`reason`, and `warn` when the user can change it).
 */
export async function chooseMechanisms(
  admin: ClusterAdmin,
  t: Topology,
  pairs: ReadonlyArray<{from: string; to: string}>,
  choice: MechanismChoice,
  limits: MechanismLimits = {},
): Promise<Map<string, PairMechanism>> {
  assertMechanismLimits(choice, limits)
  const out = new Map<string, PairMechanism>()
  const flavours = choice === 'legacy' ? new Map<string, AsmFlavour | 'none'>() : await detectFlavours(admin, pairs.flatMap((p) => [p.from, p.to]))
  for (const p of pairs) {
    const c = choosePair(choice, flavours.get(p.from) ?? 'none', flavours.get(p.to) ?? 'none', openOn(t, p.from, p.to), limits)
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
