// PURE. The Plan as versioned JSON (schema/plan.schema.json describes it): canonical text out,
// strict validation in. A plan file is user input: anything malformed is a one-line UsageError.
import {UsageError} from '../errors.js'
import {MAX_SLOT} from '../topology/slot-set.js'
import {PLAN_VERSION, sortKeys, type Plan, type PlanKind, type PlanMove, type PlanSummaryEntry, type SkippedSlot, type Spread} from './plan.js'

const KINDS: readonly PlanKind[] = ['rebalance', 'drain', 'move']
const SKIP_REASONS: ReadonlyArray<SkippedSlot['reason']> = ['already-owned-by-target']
const HINT = 'make a new plan with `reshard plan ...`; plan files are not meant to be edited by hand'

function pick(o: object, keys: readonly string[]): Record<string, unknown> {
  const src = o as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k]
  return out
}

const NODE_KEYS = ['id', 'address', 'hostname'] as const
const MOVE_KEYS = ['slot', 'from', 'to', 'keys'] as const
const TOTAL_KEYS = ['slots', 'keys'] as const
const SUMMARY_KEYS = ['id', 'weight', 'slotsBefore', 'slotsAfter', 'keysBefore', 'keysAfter'] as const
const SPREAD_KEYS = ['slots', 'keys'] as const
const SKIP_KEYS = ['slot', 'reason'] as const
const TOP_KEYS = ['version', 'kind', 'cluster', 'options', 'moves', 'totals', 'summary', 'spread', 'skipped', 'mechanism'] as const
const MECHANISMS = ['auto', 'atomic', 'legacy'] as const

/** The plan with every object's keys in one fixed order (options: sorted). */
function canonical(p: Plan): Record<string, unknown> {
  const out: Record<string, unknown> = {
    version: p.version,
    kind: p.kind,
    cluster: {id: p.cluster.id, nodes: p.cluster.nodes.map((n) => pick(n, NODE_KEYS))},
    options: sortKeys(p.options),
    moves: p.moves.map((m) => pick(m, MOVE_KEYS)),
    totals: pick(p.totals, TOTAL_KEYS),
    summary: p.summary.map((e) => pick(e, SUMMARY_KEYS)),
    spread: {before: pick(p.spread.before, SPREAD_KEYS), after: pick(p.spread.after, SPREAD_KEYS)},
  }
  if (p.skipped !== undefined) out.skipped = p.skipped.map((s) => pick(s, SKIP_KEYS))
  if (p.mechanism !== undefined) out.mechanism = {requested: p.mechanism.requested, pairs: p.mechanism.pairs.map((x) => pick(x, ['from', 'to', 'mechanism']))}
  return out
}

/** Canonical JSON: fixed key order, 2-space indent, trailing newline. Same plan → same bytes. */
export function serializePlan(p: Plan): string {
  return JSON.stringify(canonical(p), null, 2) + '\n'
}

function fail(path: string, problem: string): never {
  throw new UsageError(`invalid plan: ${path} ${problem}`, HINT)
}

type Obj = Record<string, unknown>

function obj(v: unknown, path: string, allowed?: readonly string[], required: readonly string[] = []): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object')
  const o = v as Obj
  for (const k of required) if (o[k] === undefined) fail(`${path}.${k}`, 'is missing')
  if (allowed) for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${path}.${k}`, 'is not a known field')
  return o
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be an array')
  return v
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, 'must be a non-empty string')
  return v
}

function int(v: unknown, path: string, max?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (max !== undefined && v > max)) {
    fail(path, max === undefined ? 'must be an integer of 0 or more' : `must be an integer from 0 to ${max}`)
  }
  return v
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(path, 'must be a number of 0 or more')
  return v
}

function optional<T>(v: unknown, f: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : f(v)
}

function spread(v: unknown, path: string): Spread {
  const o = obj(v, path, SPREAD_KEYS, ['slots'])
  const s: Spread = {slots: num(o.slots, `${path}.slots`)}
  const k = optional(o.keys, (x) => num(x, `${path}.keys`))
  if (k !== undefined) s.keys = k
  return s
}

/** Parse and validate a plan file. Throws UsageError with a one-line message on anything wrong.
 *  (Long on purpose: one check per field of the format, in the order of schema/plan.schema.json,
 *  so the two can be read side by side.) */
export function parsePlan(text: string): Plan {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new UsageError(`invalid plan: not JSON (${(e as Error).message.split('\n')[0]})`, HINT)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('plan', 'must be a JSON object')
  const top = raw as Obj
  if (top.version !== PLAN_VERSION) {
    if (top.version === undefined) fail('version', 'is missing')
    throw new UsageError(
      `plan version ${JSON.stringify(top.version)} is not supported: this reshard reads version ${PLAN_VERSION}`,
      'make the plan again with this version of reshard',
    )
  }
  obj(top, 'plan', TOP_KEYS, ['version', 'kind', 'cluster', 'options', 'moves', 'totals', 'summary', 'spread'])
  if (!KINDS.includes(top.kind as PlanKind)) fail('kind', `must be one of ${KINDS.join(', ')}`)
  const kind = top.kind as PlanKind

  const c = obj(top.cluster, 'cluster', ['id', 'nodes'], ['id', 'nodes'])
  const nodes = arr(c.nodes, 'cluster.nodes').map((v, i) => {
    const p = `cluster.nodes[${i}]`
    const n = obj(v, p, NODE_KEYS, ['id', 'address'])
    const hostname = optional(n.hostname, (x) => str(x, `${p}.hostname`))
    const out = {id: str(n.id, `${p}.id`), address: str(n.address, `${p}.address`)}
    return hostname === undefined ? out : {...out, hostname}
  })

  const options = obj(top.options, 'options')

  const seen = new Set<number>()
  const moves: PlanMove[] = arr(top.moves, 'moves').map((v, i) => {
    const p = `moves[${i}]`
    const m = obj(v, p, MOVE_KEYS, ['slot', 'from', 'to'])
    const move: PlanMove = {slot: int(m.slot, `${p}.slot`, MAX_SLOT), from: str(m.from, `${p}.from`), to: str(m.to, `${p}.to`)}
    if (move.from === move.to) fail(p, `moves slot ${move.slot} from ${move.from} to itself`)
    if (seen.has(move.slot)) fail(p, `moves slot ${move.slot} a second time`)
    seen.add(move.slot)
    const k = optional(m.keys, (x) => int(x, `${p}.keys`))
    if (k !== undefined) move.keys = k
    return move
  })

  const t = obj(top.totals, 'totals', TOTAL_KEYS, ['slots'])
  const totals: Plan['totals'] = {slots: int(t.slots, 'totals.slots')}
  if (totals.slots !== moves.length) fail('totals.slots', `is ${totals.slots} but the plan has ${moves.length} moves`)
  const tk = optional(t.keys, (x) => int(x, 'totals.keys'))
  if (tk !== undefined) totals.keys = tk

  const summary: PlanSummaryEntry[] = arr(top.summary, 'summary').map((v, i) => {
    const p = `summary[${i}]`
    const e = obj(v, p, SUMMARY_KEYS, ['id', 'slotsBefore', 'slotsAfter'])
    const out: PlanSummaryEntry = {
      id: str(e.id, `${p}.id`),
      slotsBefore: int(e.slotsBefore, `${p}.slotsBefore`, MAX_SLOT + 1),
      slotsAfter: int(e.slotsAfter, `${p}.slotsAfter`, MAX_SLOT + 1),
    }
    const w = optional(e.weight, (x) => num(x, `${p}.weight`))
    if (w !== undefined) out.weight = w
    const kb = optional(e.keysBefore, (x) => int(x, `${p}.keysBefore`))
    if (kb !== undefined) out.keysBefore = kb
    const ka = optional(e.keysAfter, (x) => int(x, `${p}.keysAfter`))
    if (ka !== undefined) out.keysAfter = ka
    return out
  })

  const sp = obj(top.spread, 'spread', ['before', 'after'], ['before', 'after'])
  const plan: Plan = {
    version: PLAN_VERSION,
    kind,
    cluster: {id: str(c.id, 'cluster.id'), nodes},
    options: sortKeys(options) as Record<string, unknown>,
    moves,
    totals,
    summary,
    spread: {before: spread(sp.before, 'spread.before'), after: spread(sp.after, 'spread.after')},
  }
  if (top.skipped !== undefined) {
    plan.skipped = arr(top.skipped, 'skipped').map((v, i) => {
      const p = `skipped[${i}]`
      const s = obj(v, p, SKIP_KEYS, ['slot', 'reason'])
      if (!SKIP_REASONS.includes(s.reason as SkippedSlot['reason'])) fail(`${p}.reason`, `must be one of ${SKIP_REASONS.join(', ')}`)
      return {slot: int(s.slot, `${p}.slot`, MAX_SLOT), reason: s.reason as SkippedSlot['reason']}
    })
  }
  if (top.mechanism !== undefined) plan.mechanism = mechanismOf(top.mechanism)
  return plan
}

/** The optional `mechanism` record (plans made before it existed have none). */
function mechanismOf(v: unknown): NonNullable<Plan['mechanism']> {
  const o = obj(v, 'mechanism', ['requested', 'pairs'], ['requested', 'pairs'])
  if (!MECHANISMS.includes(o.requested as (typeof MECHANISMS)[number])) fail('mechanism.requested', `must be one of ${MECHANISMS.join(', ')}`)
  const pairs = arr(o.pairs, 'mechanism.pairs').map((x, i) => {
    const p = `mechanism.pairs[${i}]`
    const e = obj(x, p, ['from', 'to', 'mechanism'], ['from', 'to', 'mechanism'])
    if (e.mechanism !== 'legacy' && e.mechanism !== 'atomic') fail(`${p}.mechanism`, 'must be legacy or atomic')
    return {from: str(e.from, `${p}.from`), to: str(e.to, `${p}.to`), mechanism: e.mechanism as 'legacy' | 'atomic'}
  })
  return {requested: o.requested as (typeof MECHANISMS)[number], pairs}
}
