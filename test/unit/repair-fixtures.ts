// Topologies for the repair tests, built the way the tool builds them: each node's own CLUSTER
// NODES text, parsed (topology/cluster-nodes.ts) and merged (topology/topology.ts).
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {formatSlots} from '../../src/topology/slot-set.js'
import {buildTopology, type Topology} from '../../src/topology/topology.js'

export const A = 'a'.repeat(40)
export const B = 'b'.repeat(40)
export const C = 'c'.repeat(40)
export const NAMES: Record<string, string> = {[A]: 'nodeA', [B]: 'nodeB', [C]: 'nodeC'}
export const name = (id?: string): string => (id ? (NAMES[id] ?? id.slice(0, 8)) : '-')

export interface NodeSpec {
  id: string
  /** What the node itself believes it owns. */
  claims: number[]
  epoch: number
  migrating?: Record<number, string>
  importing?: Record<number, string>
}

const base = (lo: number, hi: number) => Array.from({length: hi - lo + 1}, (_, i) => lo + i)

/** A healthy 3-primary cluster: A 0-5460, B 5461-10922, C 10923-16383; `edit` changes the specs. */
export function cluster(edit: (n: {A: NodeSpec; B: NodeSpec; C: NodeSpec}) => void = () => undefined): Topology {
  const n = {A: {id: A, claims: base(0, 5460), epoch: 1}, B: {id: B, claims: base(5461, 10922), epoch: 2}, C: {id: C, claims: base(10923, 16383), epoch: 3}} as {A: NodeSpec; B: NodeSpec; C: NodeSpec}
  edit(n)
  const specs = [n.A, n.B, n.C]
  const port = (id: string) => 30001 + specs.findIndex((s) => s.id === id)
  // In a node's view, another node owns what it claims, unless the viewer claims it itself or a
  // higher-epoch node claims it too (gossip: the higher config epoch wins).
  const views = specs.map((viewer) => {
    const lines = specs.map((s) => {
      const slots = s.claims.filter((x) => s === viewer || (!viewer.claims.includes(x) && !specs.some((o) => o !== s && o.epoch > s.epoch && o.claims.includes(x))))
      const marks =
        s === viewer
          ? [...Object.entries(s.migrating ?? {}).map(([slot, peer]) => `[${slot}->-${peer}]`), ...Object.entries(s.importing ?? {}).map(([slot, peer]) => `[${slot}-<-${peer}]`)]
          : []
      const flags = s === viewer ? 'myself,master' : 'master'
      return `${s.id} 127.0.0.1:${port(s.id)}@${port(s.id) + 10000},${name(s.id)} ${flags} - 0 0 ${s.epoch} connected ${formatSlots(slots).split(',').filter(Boolean).join(' ')} ${marks.join(' ')}`.trim()
    })
    return {address: `127.0.0.1:${port(viewer.id)}`, lines: parseClusterNodes(lines.join('\n'))}
  })
  return buildTopology(views)
}

export const without = (list: number[], slot: number): number[] => list.filter((x) => x !== slot)
