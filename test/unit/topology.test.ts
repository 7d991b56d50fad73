import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {SLOT_COUNT} from '../../src/topology/slot-set.js'
import {buildTopology, clusterIdentity, type NodeView, type TopoNode} from '../../src/topology/topology.js'

// Goldens: each node's own CLUSTER NODES of a 3-primary + 3-replica Redis 7.0 cluster,
// in the middle of moving slot 100 from A to B (A: [100->-B], B: [100-<-A] on their myself lines).
const A = '07c37dfeb235213a872192d90877d0cd55635b91'
const B = '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1'
const C = '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f'
const D = 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca'
const E = '6ec23923021cf3ffec47632106199cb7f496ce01'
const F = '824fe116063bc5fcf9f4ffd895bc17aee7731ac3'

type Name = 'a' | 'b' | 'c' | 'd' | 'e' | 'f'
const NAMES: Name[] = ['a', 'b', 'c', 'd', 'e', 'f']
const ID: Record<Name, string> = {a: A, b: B, c: C, d: D, e: E, f: F}
const ADDRESS: Record<Name, string> = {
  a: '127.0.0.1:30001',
  b: '127.0.0.1:30002',
  c: '127.0.0.1:30003',
  d: '127.0.0.1:30004',
  e: '127.0.0.1:30005',
  f: '127.0.0.1:30006',
}
const KEYS: Record<Name, number> = {a: 1000, b: 2000, c: 3000, d: 1000, e: 2000, f: 3000}
const GOLDEN: Record<Name, string> = Object.fromEntries(
  NAMES.map((n) => [n, readFileSync(new URL(`./fixtures/topology-3x3-${n}.txt`, import.meta.url), 'utf8')]),
) as Record<Name, string>

function range(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let s = lo; s <= hi; s++) out.push(s)
  return out
}

/** Replace the line of node `id` in a view's text. */
function editLine(text: string, id: string, edit: (line: string) => string): string {
  let hit = false
  const out = text
    .split('\n')
    .map((l) => {
      if (!l.startsWith(`${id} `)) return l
      hit = true
      return edit(l)
    })
    .join('\n')
  if (!hit) throw new Error(`no line for ${id}`)
  return out
}

function view(n: Name, text = GOLDEN[n]): NodeView {
  return {address: ADDRESS[n], lines: parseClusterNodes(text), keyCount: KEYS[n]}
}

function views(edit: Partial<Record<Name, (text: string) => string>> = {}): NodeView[] {
  return NAMES.map((n) => view(n, edit[n] ? edit[n]!(GOLDEN[n]) : GOLDEN[n]))
}

function byId(nodes: TopoNode[], id: string): TopoNode {
  const n = nodes.find((x) => x.id === id)
  if (!n) throw new Error(`no node ${id}`)
  return n
}

describe('buildTopology: healthy 3+3 cluster with one slot in flight', () => {
  const t = buildTopology(views())

  const expectedNodes: TopoNode[] = [
    {id: A, host: '127.0.0.1', port: 30001, address: '127.0.0.1:30001', hostname: 'nodeA', role: 'primary', primaryId: undefined, slots: range(0, 5460), failed: false, reachable: true, keyCount: 1000, error: undefined, configEpoch: 1, claims: range(0, 5460)},
    {id: B, host: '127.0.0.1', port: 30002, address: '127.0.0.1:30002', hostname: 'nodeB', role: 'primary', primaryId: undefined, slots: range(5461, 10922), failed: false, reachable: true, keyCount: 2000, error: undefined, configEpoch: 2, claims: range(5461, 10922)},
    {id: C, host: '127.0.0.1', port: 30003, address: '127.0.0.1:30003', hostname: 'nodeC', role: 'primary', primaryId: undefined, slots: range(10923, 16383), failed: false, reachable: true, keyCount: 3000, error: undefined, configEpoch: 3, claims: range(10923, 16383)},
    {id: D, host: '127.0.0.1', port: 30004, address: '127.0.0.1:30004', hostname: 'nodeD', role: 'replica', primaryId: A, slots: [], failed: false, reachable: true, keyCount: 1000, error: undefined, configEpoch: 1, claims: []},
    {id: E, host: '127.0.0.1', port: 30005, address: '127.0.0.1:30005', hostname: 'nodeE', role: 'replica', primaryId: B, slots: [], failed: false, reachable: true, keyCount: 2000, error: undefined, configEpoch: 2, claims: []},
    {id: F, host: '127.0.0.1', port: 30006, address: '127.0.0.1:30006', hostname: 'nodeF', role: 'replica', primaryId: C, slots: [], failed: false, reachable: true, keyCount: 3000, error: undefined, configEpoch: 3, claims: []},
  ]

  it('lists every node, sorted by address, with every field', () => {
    expect(t.nodes).toStrictEqual(expectedNodes)
  })

  const ownerCases: Array<[number, string]> = [
    [0, A],
    [100, A], // MIGRATING: the source still owns it
    [5460, A],
    [5461, B],
    [10922, B],
    [10923, C],
    [16383, C],
  ]
  it.each(ownerCases)('slot %i is owned by %s', (slot, owner) => {
    expect(t.owners[slot]).toBe(owner)
  })

  it('covers every slot, with no disagreement', () => {
    expect(t.owners).toHaveLength(SLOT_COUNT)
    expect(t.owners.every((o) => o !== null)).toBe(true)
    expect(t.uncovered).toEqual([])
    expect(t.disagreements).toEqual([])
  })

  it('gathers open marks from the myself lines of A and B', () => {
    expect(t.open).toEqual([
      {slot: 100, nodeId: A, state: 'migrating', peerId: B},
      {slot: 100, nodeId: B, state: 'importing', peerId: A},
    ])
  })

  it('has a 16-hex-digit cluster id', () => {
    expect(t.clusterId).toMatch(/^[0-9a-f]{16}$/)
  })
})

describe('buildTopology: open marks', () => {
  it('ignores marks on lines other than myself', () => {
    // C's view (wrongly) carries marks on A's and E's lines; only myself lines count.
    const t = buildTopology(
      views({
        c: (text) => editLine(editLine(text, A, (l) => `${l} [5000->-${C}]`), E, (l) => `${l} [6000-<-${C}]`),
      }),
    )
    expect(t.open).toEqual([
      {slot: 100, nodeId: A, state: 'migrating', peerId: B},
      {slot: 100, nodeId: B, state: 'importing', peerId: A},
    ])
  })

  it('misses the marks of a node that does not answer, even when peers list them', () => {
    const vs = views({c: (text) => editLine(text, A, (l) => `${l} [100->-${B}]`)})
    vs[0] = {address: ADDRESS.a, error: 'connect ECONNREFUSED 127.0.0.1:30001'}
    const t = buildTopology(vs)
    expect(t.open).toEqual([{slot: 100, nodeId: B, state: 'importing', peerId: A}])
  })

  it('sorts marks by slot, then node id', () => {
    const t = buildTopology(
      views({
        a: (text) => editLine(text, A, (l) => `${l.replace(` [100->-${B}]`, '')} [3->-${C}]`),
        c: (text) => editLine(text, C, (l) => `${l} [3-<-${A}] [2-<-${B}]`),
        b: (text) => editLine(text, B, (l) => l.replace(` [100-<-${A}]`, '')),
      }),
    )
    expect(t.open).toEqual([
      {slot: 2, nodeId: C, state: 'importing', peerId: B},
      {slot: 3, nodeId: A, state: 'migrating', peerId: C},
      {slot: 3, nodeId: C, state: 'importing', peerId: A},
    ])
  })

  it('takes Valkey 8+ replicas\' copies of their primary\'s markers as copies, not as open slots', () => {
    // Valkey 8+: D (replica of A) and E (replica of B) show A's and B's markers on their own myself lines
    const t = buildTopology(
      views({
        d: (text) => editLine(text, D, (l) => `${l} [100->-${B}]`),
        e: (text) => editLine(text, E, (l) => `${l} [100-<-${A}]`),
      }),
    )
    expect(t.open).toEqual([
      {slot: 100, nodeId: A, state: 'migrating', peerId: B},
      {slot: 100, nodeId: B, state: 'importing', peerId: A},
    ])
    // sorted by slot, then node id (E's id sorts before D's)
    expect(t.replicaCopies).toEqual([
      {slot: 100, nodeId: E, state: 'importing', peerId: A},
      {slot: 100, nodeId: D, state: 'migrating', peerId: B},
    ])
  })

  it('has no marks when no myself line has any', () => {
    const t = buildTopology(
      views({
        a: (text) => text.replace(` [100->-${B}]`, ''),
        b: (text) => text.replace(` [100-<-${A}]`, ''),
      }),
    )
    expect(t.open).toEqual([])
  })
})

describe('buildTopology: coverage and disagreements', () => {
  it('reports uncovered slots when a range is missing from every view', () => {
    const drop = (text: string) => editLine(text, C, (l) => l.replace('10923-16383', '10923-16000'))
    const t = buildTopology(views(Object.fromEntries(NAMES.map((n) => [n, drop]))))
    expect(t.uncovered).toEqual(range(16001, 16383))
    for (const s of range(16001, 16383)) expect(t.owners[s]).toBeNull()
    expect(t.owners[16000]).toBe(C)
    expect(byId(t.nodes, C).slots).toEqual(range(10923, 16000))
    expect(t.disagreements).toEqual([])
  })

  it("keeps each node's own claims apart from the consensus", () => {
    // A's own line lost slot 0 (e.g. CLUSTER DELSLOTS); the peers still say A owns it.
    const t = buildTopology(views({a: (text) => editLine(text, A, (l) => l.replace(' 0-5460', ' 1-5460'))}))
    expect(t.owners[0]).toBe(A)
    expect(byId(t.nodes, A).slots).toEqual(range(0, 5460))
    expect(byId(t.nodes, A).claims).toEqual(range(1, 5460))
    expect(t.disagreements).toEqual([{nodeId: A, slots: [0]}])
  })

  it('reports a view that claims slots for another owner', () => {
    // F has a stale view: A still owns 5461-5470.
    const t = buildTopology(
      views({
        f: (text) => editLine(editLine(text, A, (l) => l.replace('0-5460', '0-5470')), B, (l) => l.replace('5461-10922', '5471-10922')),
      }),
    )
    expect(t.disagreements).toEqual([{nodeId: F, slots: range(5461, 5470)}])
    for (const s of range(5461, 5470)) expect(t.owners[s]).toBe(B) // majority wins
    expect(t.uncovered).toEqual([])
  })

  it('reports a view that misses a range as a disagreement, not as uncovered', () => {
    const t = buildTopology(views({e: (text) => editLine(text, C, (l) => l.replace('10923-16383', '10923-16000'))}))
    expect(t.uncovered).toEqual([])
    expect(t.owners[16383]).toBe(C)
    expect(t.disagreements).toEqual([{nodeId: E, slots: range(16001, 16383)}])
  })

  it('breaks a tie by the smallest node id', () => {
    // Only A and B answer; each claims slot 0 for itself.
    const t = buildTopology([
      view('a'),
      view('b', editLine(editLine(GOLDEN.b, A, (l) => l.replace('0-5460', '1-5460')), B, (l) => l.replace('5461-10922', '0 5461-10922'))),
    ])
    expect(A < B).toBe(true)
    expect(t.owners[0]).toBe(A)
    expect(t.disagreements).toEqual([{nodeId: B, slots: [0]}])
  })

  it("takes a node's role from its own line, not from a peer's stale line", () => {
    const t = buildTopology(views({a: (text) => editLine(text, D, () => `${D} 127.0.0.1:30004@40004,nodeD master - 0 0 1 connected`)}))
    expect(byId(t.nodes, D)).toMatchObject({role: 'replica', primaryId: A})
  })
})

describe('buildTopology: unreachable nodes', () => {
  it('marks a node whose view has an error as unreachable, keeping its slots from the others', () => {
    const vs = views()
    vs[2] = {address: ADDRESS.c, error: 'connect ECONNREFUSED 127.0.0.1:30003'}
    const t = buildTopology(vs)
    expect(byId(t.nodes, C)).toStrictEqual({
      id: C,
      host: '127.0.0.1',
      port: 30003,
      address: '127.0.0.1:30003',
      hostname: 'nodeC',
      role: 'primary',
      primaryId: undefined,
      slots: range(10923, 16383),
      failed: false,
      reachable: false,
      keyCount: undefined,
      error: 'connect ECONNREFUSED 127.0.0.1:30003',
      configEpoch: 3,
      claims: [],
    })
    for (const n of NAMES.filter((x) => x !== 'c')) expect(byId(t.nodes, ID[n]).reachable).toBe(true)
    expect(t.nodes).toHaveLength(6)
    expect(t.uncovered).toEqual([])
    expect(t.disagreements).toEqual([])
  })

  it('says "not reachable" for a node nobody dialled', () => {
    const t = buildTopology(views().filter((v) => v.address !== ADDRESS.f))
    expect(byId(t.nodes, F)).toMatchObject({reachable: false, error: 'not reachable', keyCount: undefined, role: 'replica', primaryId: C})
  })

  it('treats a view with no lines as not answered', () => {
    const vs = views()
    vs[1] = {address: ADDRESS.b, lines: []}
    const t = buildTopology(vs)
    expect(byId(t.nodes, B)).toMatchObject({reachable: false, error: 'not reachable'})
    expect(t.open).toEqual([{slot: 100, nodeId: A, state: 'migrating', peerId: B}])
  })

  it('takes the failed flag from a peer line when the node does not answer', () => {
    const vs = views({d: (text) => editLine(text, C, (l) => l.replace(' master ', ' master,fail '))})
    // D's view is the only one that says C failed: put it first so its line is first seen.
    vs.splice(2, 1, {address: ADDRESS.c, error: 'timeout'})
    const ordered = [vs[3]!, ...vs.filter((_, i) => i !== 3)]
    const t = buildTopology(ordered)
    expect(byId(t.nodes, C)).toMatchObject({failed: true, reachable: false, error: 'timeout'})
  })

  it('builds an empty topology when nobody answers', () => {
    const t = buildTopology(NAMES.map((n) => ({address: ADDRESS[n], error: 'down'})))
    expect(t.nodes).toEqual([])
    expect(t.uncovered).toHaveLength(SLOT_COUNT)
    expect(t.open).toEqual([])
    expect(t.disagreements).toEqual([])
  })
})

describe('clusterIdentity', () => {
  const orders: Name[][] = [
    ['a', 'b', 'c', 'd', 'e', 'f'],
    ['f', 'e', 'd', 'c', 'b', 'a'],
    ['d', 'a', 'f', 'b', 'e', 'c'],
    ['c', 'f', 'a', 'e', 'd', 'b'],
  ]
  const base = buildTopology(views())

  it.each(orders)('is stable under view order %s%s%s%s%s%s', (...order) => {
    const vs = views()
    const t = buildTopology(order.map((n) => vs[NAMES.indexOf(n)]!))
    expect(t.clusterId).toBe(base.clusterId)
    expect(t.nodes.map((n) => n.id)).toEqual(base.nodes.map((n) => n.id))
    expect(t.owners).toEqual(base.owners)
    expect(t.open).toEqual(base.open)
  })

  it('is stable under node order', () => {
    const ids = NAMES.map((n) => ({id: ID[n]}))
    expect(clusterIdentity([...ids].reverse())).toBe(clusterIdentity(ids))
    expect(clusterIdentity([ids[3]!, ids[0]!, ids[5]!, ids[1]!, ids[4]!, ids[2]!])).toBe(clusterIdentity(ids))
  })

  it('changes with the set of nodes', () => {
    const ids = NAMES.map((n) => ({id: ID[n]}))
    const set = new Set([
      clusterIdentity(ids),
      clusterIdentity(ids.slice(1)),
      clusterIdentity([...ids, {id: 'ffffffffffffffffffffffffffffffffffffffff'}]),
      clusterIdentity([]),
    ])
    expect(set.size).toBe(4)
  })

  it('is the same whatever slot layout', () => {
    const t = buildTopology(views({a: (text) => text.replace(` [100->-${B}]`, '')}))
    expect(t.clusterId).toBe(base.clusterId)
  })
})
