// Hand-built topologies for the planner tests: no CLUSTER NODES text, no network.
import {parseSlots, SLOT_COUNT} from '../../src/topology/slot-set.js'
import {clusterIdentity, type OpenSlotMark, type TopoNode, type Topology} from '../../src/topology/topology.js'
import {expect} from 'vitest'
import {ReshardError} from '../../src/errors.js'
import type {Plan} from '../../src/planner/index.js'

/** A deterministic 40-hex node id whose order differs from i's order (so tests catch index-order bugs). */
export function nodeId(i: number): string {
  const h = (Math.imul(i + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')
  return (h + h.split('').reverse().join('') + h + h + String(i).padStart(8, '0')).slice(0, 40)
}

export interface PrimarySpec {
  id?: string
  /** Slot list, slot expression ("0-99,200"), or a count taken contiguously after the previous primary. */
  slots?: number[] | string | number
  hostname?: string
  failed?: boolean
  replicas?: number
}

/** Topology of primaries (and replicas). Slots not given to anyone stay uncovered. */
export function topology(specs: PrimarySpec[]): Topology {
  const owners: Array<string | null> = new Array(SLOT_COUNT).fill(null)
  const nodes: TopoNode[] = []
  let cursor = 0
  let port = 30001
  specs.forEach((spec, i) => {
    const id = spec.id ?? nodeId(i)
    let slots: number[]
    if (typeof spec.slots === 'number') {
      slots = Array.from({length: spec.slots}, (_, k) => cursor + k)
      cursor += spec.slots
    } else if (typeof spec.slots === 'string') slots = parseSlots(spec.slots)
    else slots = [...(spec.slots ?? [])].sort((a, b) => a - b)
    for (const s of slots) {
      if (owners[s] !== null) throw new Error(`fixture: slot ${s} given twice`)
      owners[s] = id
    }
    nodes.push(node(id, port++, 'primary', slots, spec.hostname, spec.failed ?? false))
    for (let r = 0; r < (spec.replicas ?? 0); r++) {
      const rn = node(`${id.slice(0, 32)}${String(r).padStart(8, 'f')}`.slice(0, 40), port++, 'replica', [], undefined, false)
      rn.primaryId = id
      nodes.push(rn)
    }
  })
  nodes.sort((a, b) => a.port - b.port)
  return {nodes, owners, open: [], replicaCopies: [], uncovered: owners.flatMap((o, s) => (o === null ? [s] : [])), disagreements: [], clusterId: clusterIdentity(nodes)}
}

function node(id: string, port: number, role: 'primary' | 'replica', slots: number[], hostname: string | undefined, failed: boolean): TopoNode {
  return {
    id,
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    hostname,
    role,
    slots,
    failed,
    reachable: !failed,
    claims: slots,
    configEpoch: 0,
  }
}

/** n primaries owning the given counts contiguously (counts must add up to ≤ 16384). */
export function withCounts(counts: number[], extra: Partial<PrimarySpec> = {}): Topology {
  return topology(counts.map((c) => ({...extra, slots: c})))
}

/** Deterministic uneven counts adding up to `total` (some primaries get much more than others). */
export function unevenCounts(n: number, total = SLOT_COUNT): number[] {
  const raw = Array.from({length: n}, (_, i) => 1 + ((i * 7919 + 13) % 23) * ((i % 3) + 1))
  const sum = raw.reduce((a, b) => a + b, 0)
  const counts = raw.map((r) => Math.floor((r * total) / sum))
  let left = total - counts.reduce((a, b) => a + b, 0)
  for (let i = 0; left > 0; i = (i + 1) % n, left--) counts[i]! += 1
  return counts
}

/** Keys per slot: `base` keys everywhere, `hot` keys in every `every`-th slot of [from, to]. */
export function skewedKeys(opts: {base: number; hot: number; from: number; to: number; every: number}): number[] {
  const keys = new Array<number>(SLOT_COUNT).fill(opts.base)
  for (let s = opts.from; s <= opts.to; s += opts.every) keys[s] = opts.hot
  return keys
}

/** Apply a plan to the owners of a topology, checking each move's precondition. */
export function applyPlan(t: Topology, plan: Plan): Array<string | null> {
  const owners = [...t.owners]
  const seen = new Set<number>()
  for (const m of plan.moves) {
    if (seen.has(m.slot)) throw new Error(`slot ${m.slot} moves twice`)
    seen.add(m.slot)
    if (owners[m.slot] !== m.from) throw new Error(`slot ${m.slot}: plan says owner ${m.from}, topology says ${owners[m.slot]}`)
    if (m.from === m.to) throw new Error(`slot ${m.slot} moves to its owner`)
    owners[m.slot] = m.to
  }
  return owners
}

export function countsOf(owners: ReadonlyArray<string | null>): Map<string, number> {
  const out = new Map<string, number>()
  for (const o of owners) if (o !== null) out.set(o, (out.get(o) ?? 0) + 1)
  return out
}

export function keysOf(owners: ReadonlyArray<string | null>, slotKeys: ReadonlyArray<number>): Map<string, number> {
  const out = new Map<string, number>()
  owners.forEach((o, s) => {
    if (o !== null) out.set(o, (out.get(o) ?? 0) + slotKeys[s]!)
  })
  return out
}

/** An open-slot mark as a primary's own line shows it. */
export const mig = (slot: number, nodeId: string, peerId: string): OpenSlotMark => ({slot, nodeId, state: 'migrating', peerId})
export const imp = (slot: number, nodeId: string, peerId: string): OpenSlotMark => ({slot, nodeId, state: 'importing', peerId})

/** The ReshardError `fn` throws (the test fails when it throws nothing or something else). */
export function thrown(fn: () => unknown): ReshardError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ReshardError)
    return error as ReshardError
  }
  throw new Error('expected an error')
}
