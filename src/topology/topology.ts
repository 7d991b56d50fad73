// PURE. A snapshot of the cluster built from every node's own `CLUSTER NODES` view.
import {type NodeLine, type Role} from './cluster-nodes.js'
import {SLOT_COUNT, slotRange} from './slot-set.js'

export {labelOf, nameOf, nameWithAddress, nodeLabel, shortId, shortName} from './names.js'

export interface NodeView {
  /** The address we dialled. */
  address: string
  /** Parsed CLUSTER NODES of that node, when it answered. */
  lines?: NodeLine[]
  /** Why it did not answer. */
  error?: string
  /** DBSIZE of that node, when known. */
  keyCount?: number
}

export interface TopoNode {
  id: string
  host: string
  port: number
  /** "host:port" */
  address: string
  hostname?: string
  role: Role
  primaryId?: string
  /** Slots this node owns, sorted, as the consensus of all views says. */
  slots: number[]
  failed: boolean
  reachable: boolean
  keyCount?: number
  error?: string
  configEpoch: number
  /** Slots the node's own myself line lists (what it believes it owns); empty when unreachable. */
  claims: number[]
}

export interface OpenSlotMark {
  slot: number
  nodeId: string
  state: 'migrating' | 'importing'
  /** Target id for migrating, source id for importing. */
  peerId: string
}

export interface Disagreement {
  nodeId: string
  /** Slots whose owner in this node's view differs from the consensus. */
  slots: number[]
}

export interface Topology {
  /** Every known node, sorted by address. */
  nodes: TopoNode[]
  /** owner node id per slot (consensus), or null when nobody owns it. */
  owners: Array<string | null>
  /** Open slots as the primaries report them on their own myself line: the slots' open state. */
  open: OpenSlotMark[]
  /**
   * Copies of their primary's markers that Valkey 8+ replicas show on their own myself line
   * (docs/architecture.md "Safety rules"): reported as copies, never counted as open slots, never acted on.
   */
  replicaCopies: OpenSlotMark[]
  uncovered: number[]
  disagreements: Disagreement[]
  /** Identity of the cluster: derived from the sorted ids of its primaries' first-seen nodes. */
  clusterId: string
}

/** One snapshot from every node's own view (a little over 60 lines: one pass that fills owners,
 *  claims, open slots, replica copies and disagreements together, from the same views). */
export function buildTopology(views: readonly NodeView[]): Topology {
  const answered = views.filter((v) => v.lines && v.lines.length > 0)
  // Every node's own line (myself) is the best source of its role, address and open slots.
  const selfLines = new Map<string, {line: NodeLine; view: NodeView}>()
  for (const v of answered) {
    const me = v.lines!.find((l) => l.myself)
    if (me) selfLines.set(me.id, {line: me, view: v})
  }
  // Union of nodes seen anywhere.
  const seen = new Map<string, NodeLine>()
  for (const v of answered) for (const l of v.lines!) if (!seen.has(l.id) || l.myself) seen.set(l.id, l)

  // Per-slot owner: majority over the views of reachable nodes, ties broken by the smallest id.
  // A view lists slots in runs ("0-5460"): when every view has the same runs and no two overlap
  // (the usual case), they are the consensus, with no loop over the 16384 slots (this runs on
  // every refresh); otherwise slot by slot.
  const ids = [...seen.keys()].sort()
  const index = new Map(ids.map((id, i) => [id, i]))
  const viewRuns = answered.map((v) => runsOfView(v.lines!, index))
  const agreed = viewRuns.every((r) => r !== undefined && sameRuns(r, viewRuns[0]!))
  const {owners, disagreements, slotsOf, uncovered} = agreed ? fromRuns(viewRuns[0] ?? [], ids) : bySlot(answered, index, ids)

  const nodes: TopoNode[] = []
  for (const [id, line] of seen) {
    const self = selfLines.get(id)
    const l = self?.line ?? line
    const address = `${l.host}:${l.port}`
    const dialled = views.find((v) => v.address === address)
    nodes.push({
      id,
      host: l.host,
      port: l.port,
      address,
      hostname: l.hostname,
      role: l.role,
      primaryId: l.primaryId,
      slots: slotsOf.get(id) ?? [],
      failed: l.failed,
      reachable: self !== undefined,
      keyCount: self?.view.keyCount,
      error: self ? undefined : (dialled?.error ?? 'not reachable'),
      configEpoch: l.configEpoch,
      claims: self ? self.line.slots : [],
    })
  }
  nodes.sort((a, b) => compareAddress(a, b))

  const open: OpenSlotMark[] = []
  const replicaCopies: OpenSlotMark[] = []
  for (const {line} of selfLines.values()) {
    // A slot's open state is its primaries' state; a replica's markers are copies of its primary's.
    const into = line.role === 'primary' ? open : replicaCopies
    for (const [slot, peer] of line.migrating) into.push({slot, nodeId: line.id, state: 'migrating', peerId: peer})
    for (const [slot, peer] of line.importing) into.push({slot, nodeId: line.id, state: 'importing', peerId: peer})
  }
  const markOrder = (a: OpenSlotMark, b: OpenSlotMark) => a.slot - b.slot || (a.nodeId < b.nodeId ? -1 : 1)
  open.sort(markOrder)
  replicaCopies.sort(markOrder)

  return {nodes, owners, open, replicaCopies, uncovered, disagreements, clusterId: clusterIdentity(nodes)}
}

/** A run of slots lo..hi owned by ids[owner]. */
type Run = [lo: number, hi: number, owner: number]

interface Consensus {
  owners: Array<string | null>
  disagreements: Disagreement[]
  slotsOf: Map<string, number[]>
  uncovered: number[]
}

/**
 * The runs of slots a view gives its primaries, sorted by slot; undefined when a value is not a
 * slot number or two runs overlap (never so for a parsed CLUSTER NODES of a healthy cluster).
 */
function runsOfView(lines: readonly NodeLine[], index: ReadonlyMap<string, number>): Run[] | undefined {
  const runs: Run[] = []
  for (const l of lines) {
    if (l.role !== 'primary') continue
    if (!pushRuns(l.slots, index.get(l.id)!, runs)) return undefined
  }
  runs.sort((x, y) => x[0] - y[0])
  for (let i = 1; i < runs.length; i++) if (runs[i]![0] <= runs[i - 1]![1]) return undefined
  return runs
}

/** Append the runs of consecutive slots of one line; false when a value is not a slot number. */
function pushRuns(slots: readonly number[], ix: number, runs: Run[]): boolean {
  const n = slots.length
  let i = 0
  while (i < n) {
    const lo = slots[i]!
    if (!(Number.isInteger(lo) && lo >= 0 && lo < SLOT_COUNT)) return false
    let hi = lo
    i++
    while (i < n && slots[i] === hi + 1) hi = slots[i++]!
    runs.push([lo, hi, ix])
  }
  return true
}

function sameRuns(a: readonly Run[], b: readonly Run[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1] || a[i]![2] !== b[i]![2]) return false
  return true
}

/** The consensus when every view has the same runs, sorted and disjoint. */
function fromRuns(runs: readonly Run[], ids: readonly string[]): Consensus {
  const owners = new Array<string | null>(SLOT_COUNT).fill(null)
  const slotsOf = new Map<string, number[]>()
  let uncovered: number[] = []
  let next = 0
  for (const [lo, hi, ix] of runs) {
    const id = ids[ix]!
    owners.fill(id, lo, hi + 1)
    const have = slotsOf.get(id)
    slotsOf.set(id, have ? have.concat(slotRange(lo, hi)) : slotRange(lo, hi))
    if (lo > next) uncovered = uncovered.concat(slotRange(next, lo - 1))
    next = hi + 1
  }
  if (next < SLOT_COUNT) uncovered = uncovered.concat(slotRange(next, SLOT_COUNT - 1))
  return {owners, disagreements: [], slotsOf, uncovered}
}

/** The consensus slot by slot: the majority owner of each slot, and every view that differs. */
function bySlot(answered: readonly NodeView[], index: ReadonlyMap<string, number>, ids: readonly string[]): Consensus {
  // Owners are kept as indexes into `ids` (typed arrays).
  const viewOwners: Array<{nodeId: string; owners: Int32Array}> = []
  for (const v of answered) {
    const me = v.lines!.find((l) => l.myself)
    const owners = new Int32Array(SLOT_COUNT).fill(-1)
    for (const l of v.lines!) {
      if (l.role !== 'primary') continue
      const ix = index.get(l.id)!
      for (const s of l.slots) owners[s] = ix
    }
    viewOwners.push({nodeId: me?.id ?? v.address, owners})
  }
  const consensus = new Int32Array(SLOT_COUNT).fill(-1)
  const tally = new Int32Array(ids.length)
  for (let s = 0; s < SLOT_COUNT; s++) {
    // fast path: every view agrees
    const first = viewOwners[0]?.owners[s] ?? -1
    let same = true
    for (let v = 1; v < viewOwners.length && same; v++) same = viewOwners[v]!.owners[s] === first
    if (same) {
      consensus[s] = first
      continue
    }
    tally.fill(0)
    for (const vo of viewOwners) if (vo.owners[s]! >= 0) tally[vo.owners[s]!]!++
    let best = -1
    for (let i = 0; i < tally.length; i++) if (tally[i]! > 0 && (best < 0 || tally[i]! > tally[best]!)) best = i
    consensus[s] = best
  }
  const owners: Array<string | null> = Array.from(consensus, (ix) => (ix >= 0 ? ids[ix]! : null))

  const disagreements: Disagreement[] = []
  for (const vo of viewOwners) {
    const diff: number[] = []
    for (let s = 0; s < SLOT_COUNT; s++) if (vo.owners[s] !== consensus[s]) diff.push(s)
    if (diff.length > 0) disagreements.push({nodeId: vo.nodeId, slots: diff})
  }

  const slotsOf = new Map<string, number[]>()
  for (let s = 0; s < SLOT_COUNT; s++) {
    const o = owners[s]
    if (o === null) continue
    let arr = slotsOf.get(o)
    if (!arr) slotsOf.set(o, (arr = []))
    arr.push(s)
  }

  const uncovered: number[] = []
  for (let s = 0; s < SLOT_COUNT; s++) if (owners[s] === null) uncovered.push(s)
  return {owners, disagreements, slotsOf, uncovered}
}

function compareAddress(a: TopoNode, b: TopoNode): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1
  return a.port - b.port
}

/** A stable identity of a cluster: FNV-1a over the sorted ids of all its nodes. */
export function clusterIdentity(nodes: ReadonlyArray<{id: string}>): string {
  const ids = nodes.map((n) => n.id).sort()
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  for (const ch of ids.join(',')) {
    const c = ch.charCodeAt(0)
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')
}

export function primaries(t: Topology): TopoNode[] {
  return t.nodes.filter((n) => n.role === 'primary' && !(n.failed && n.slots.length === 0 && !n.reachable))
}

export function replicasOf(t: Topology, primaryId: string): TopoNode[] {
  return t.nodes.filter((n) => n.role === 'replica' && n.primaryId === primaryId)
}

export function nodeById(t: Topology, id: string): TopoNode | undefined {
  return t.nodes.find((n) => n.id === id)
}
