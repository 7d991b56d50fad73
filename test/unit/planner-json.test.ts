import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {UsageError} from '../../src/errors.js'
import {parsePlan, planDrain, planMove, planRebalance, serializePlan, type Plan} from '../../src/planner/index.js'
import {nodeId, skewedKeys, topology, withCounts} from './planner-fixtures.js'

const root = join(import.meta.dirname, '..', '..')
const schema = JSON.parse(readFileSync(join(root, 'schema', 'plan.schema.json'), 'utf8')) as Schema

// A tiny validator for the keywords the schema uses. An unknown keyword fails loudly, so the
// schema cannot grow a rule this test silently ignores.
type Schema = {[k: string]: unknown}
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description'])
const KEYWORDS = new Set(['type', 'required', 'properties', 'items', 'enum', 'minimum', 'maximum', 'minLength', 'additionalProperties'])

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v)
    case 'array':
      return Array.isArray(v)
    case 'string':
      return typeof v === 'string'
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v)
    case 'number':
      return typeof v === 'number' && Number.isFinite(v)
    case 'boolean':
      return typeof v === 'boolean'
    case 'null':
      return v === null
    default:
      throw new Error(`validator: unknown type ${type}`)
  }
}

function validate(s: Schema, v: unknown, path = '$'): string[] {
  for (const k of Object.keys(s)) if (!ANNOTATIONS.has(k) && !KEYWORDS.has(k)) throw new Error(`validator: unsupported keyword ${k} at ${path}`)
  const errors: string[] = []
  if (s.type !== undefined && !typeOk(s.type as string, v)) return [`${path}: not ${String(s.type)}`]
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => e === v)) errors.push(`${path}: not one of ${JSON.stringify(s.enum)}`)
  if (typeof v === 'string' && s.minLength !== undefined && v.length < (s.minLength as number)) errors.push(`${path}: shorter than ${String(s.minLength)}`)
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < (s.minimum as number)) errors.push(`${path}: below ${String(s.minimum)}`)
    if (s.maximum !== undefined && v > (s.maximum as number)) errors.push(`${path}: above ${String(s.maximum)}`)
  }
  if (Array.isArray(v) && s.items !== undefined) v.forEach((x, i) => errors.push(...validate(s.items as Schema, x, `${path}[${i}]`)))
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    for (const r of (s.required as string[] | undefined) ?? []) if (!(r in o)) errors.push(`${path}.${r}: missing`)
    const props = (s.properties as Record<string, Schema> | undefined) ?? {}
    for (const [k, x] of Object.entries(o)) {
      if (props[k]) errors.push(...validate(props[k], x, `${path}.${k}`))
      else if (s.additionalProperties === false) errors.push(`${path}.${k}: not allowed`)
    }
  }
  return errors
}

function samplePlans(): Array<[string, Plan]> {
  const t = topology([{slots: 8000, hostname: 'nodeA', replicas: 1}, {slots: 6000, hostname: 'nodeB'}, {slots: 2384}, {slots: 0}])
  const keys = skewedKeys({base: 1, hot: 300, from: 0, to: 7999, every: 3})
  return [
    ['rebalance', planRebalance(t, {useEmptyPrimaries: true, weights: {[nodeId(2)]: 2}})],
    ['rebalance by keys', planRebalance(t, {by: 'keys', slotKeys: keys, threshold: 0})],
    ['rebalance, no moves', planRebalance(withCounts([5461, 5462, 5461]))],
    ['drain', planDrain(t, nodeId(0), {slotKeys: keys})],
    ['drain --to', planDrain(t, nodeId(1), {to: [nodeId(3), nodeId(2)], weights: {[nodeId(3)]: 2}})],
    ['move', planMove(t, [0, 1, 2, 8000, 16383], nodeId(3), {slotKeys: keys})],
    ['move with skipped', planMove(t, [0, 8000], nodeId(1))],
  ]
}

describe('plan JSON', () => {
  it('every plan kind validates against schema/plan.schema.json', () => {
    for (const [name, p] of samplePlans()) {
      expect(validate(schema, JSON.parse(serializePlan(p))), name).toEqual([])
      expect(validate(schema, p), name).toEqual([])
    }
  })

  it('serializes canonically: fixed key order, 2-space indent, trailing newline', () => {
    const [, p] = samplePlans()[0]!
    const text = serializePlan(p)
    expect(text.endsWith('}\n')).toBe(true)
    expect(text.startsWith('{\n  "version": 1,\n  "kind": "rebalance",\n  "cluster": {\n    "id": ')).toBe(true)
    expect(Object.keys(JSON.parse(text))).toEqual(['version', 'kind', 'cluster', 'options', 'moves', 'totals', 'summary', 'spread'])
    expect(Object.keys(JSON.parse(text).moves[0])).toEqual(['slot', 'from', 'to'])
    // Key order of the input object does not matter.
    const shuffled = JSON.parse(JSON.stringify(p, Object.keys(p).reverse().concat(['id', 'nodes', 'address', 'hostname', 'slot', 'to', 'from', 'slots', 'keys', 'weight', 'slotsAfter', 'slotsBefore', 'before', 'after', 'by', 'weights', 'threshold', 'useEmptyPrimaries', ...Object.keys(p.options.weights as object)])))
    expect(serializePlan(shuffled)).toBe(text)
  })

  it('round-trips: parsePlan(serializePlan(p)) is p, and serializes to the same bytes', () => {
    for (const [name, p] of samplePlans()) {
      const text = serializePlan(p)
      const back = parsePlan(text)
      expect(back, name).toEqual(p)
      expect(serializePlan(back)).toBe(text)
    }
  })

  it('is deterministic: the same input twice gives identical JSON', () => {
    const a = samplePlans().map(([, p]) => serializePlan(p))
    const b = samplePlans().map(([, p]) => serializePlan(p))
    expect(a).toEqual(b)
  })

  const drainText = serializePlan(samplePlans()[3]![1])
  const good = () => JSON.parse(drainText) as Record<string, any>
  const broken: Array<[string, (p: Record<string, any>) => unknown, RegExp]> = [
    ['wrong version', (p) => ((p.version = 2), p), /plan version 2 is not supported/],
    ['missing version', (p) => (delete p.version, p), /version is missing/],
    ['unknown kind', (p) => ((p.kind = 'shuffle'), p), /kind must be one of/],
    ['missing moves', (p) => (delete p.moves, p), /moves is missing/],
    ['slot out of range', (p) => ((p.moves[0].slot = 16384), p), /moves\[0\]\.slot must be an integer from 0 to 16383/],
    ['slot not an integer', (p) => ((p.moves[1].slot = '5'), p), /moves\[1\]\.slot/],
    ['empty from', (p) => ((p.moves[0].from = ''), p), /moves\[0\]\.from must be a non-empty string/],
    ['unknown field', (p) => ((p.moves[0].note = 'x'), p), /moves\[0\]\.note is not a known field/],
    ['unknown top-level field', (p) => ((p.extra = 1), p), /extra is not a known field/],
    ['negative keys', (p) => ((p.totals.keys = -1), p), /totals\.keys/],
    ['options not an object', (p) => ((p.options = []), p), /options must be an object/],
    ['cluster node without address', (p) => (delete p.cluster.nodes[0].address, p), /cluster\.nodes\[0\]\.address is missing/],
    ['not an object', () => [1, 2], /must be a JSON object/],
  ]

  for (const [name, mutate, message] of broken) {
    it(`rejects a plan with ${name}, as the schema does`, () => {
      const p = mutate(good())
      expect(validate(schema, p).length, name).toBeGreaterThan(0)
      let err: unknown
      try {
        parsePlan(JSON.stringify(p))
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(UsageError)
      expect((err as Error).message).toMatch(message)
      expect((err as Error).message).not.toContain('\n')
    })
  }

  const crossField: Array<[string, (p: Record<string, any>) => unknown, RegExp]> = [
    ['a slot moved twice', (p) => (p.moves.push({...p.moves[0]}), (p.totals.slots += 1), p), /moves slot \d+ a second time/],
    ['a move to its owner', (p) => ((p.moves[0].to = p.moves[0].from), p), /to itself/],
    ['totals that do not match', (p) => ((p.totals.slots = 1), p), /totals\.slots is 1 but the plan has \d+ moves/],
  ]
  for (const [name, mutate, message] of crossField) {
    it(`rejects ${name}`, () => {
      expect(() => parsePlan(JSON.stringify(mutate(good())))).toThrow(message)
    })
  }

  it('rejects text that is not JSON with a one-line UsageError', () => {
    for (const text of ['', '{', 'plan: yes', '{"version": 1,}']) {
      expect(() => parsePlan(text)).toThrow(UsageError)
      expect(() => parsePlan(text)).toThrow(/^invalid plan: not JSON \([^\n]*\)$/)
    }
  })
})

describe('planner purity (DESIGN.md §3)', () => {
  it('imports nothing with I/O, a clock or randomness', () => {
    const dir = join(root, 'src', 'planner')
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8')
      for (const m of src.matchAll(/from\s+'([^']+)'/g)) {
        expect(m[1], `${f} imports ${m[1]}`).toMatch(/^\.\/[a-z-]+\.js$|^\.\.\/errors\.js$|^\.\.\/topology\/(topology|slot-set|node-selector)\.js$/)
      }
      expect(src, f).not.toMatch(/\bDate\b|Math\.random|performance\.now|process\.|require\(|import\(/)
    }
  })
})
