// The finalization rule (issue 11 item 3) on an in-memory cluster that keeps Redis' epoch rules:
// SETSLOT NODE on an importing node bumps its config epoch only when it is 0 or not the highest
// the node knows of (clusterBumpConfigEpochWithoutConsensus), to currentEpoch+1 of its own view;
// views catch up only by gossip (here: a tick on every poll). The rule: when the source and the
// others are told, the target's epoch is strictly higher than every primary's.
import {describe, expect, it} from 'vitest'
import type {ClusterAdmin, SetSlotOp} from '../../src/cluster/cluster-admin.js'
import {EventBus} from '../../src/events/events.js'
import {FinalizeGate} from '../../src/migration/finalize-gate.js'
import {finalizeSlots, type FinalizeCtx} from '../../src/migration/finalizer.js'
import {StopControl} from '../../src/migration/stop-control.js'
import type {Topology} from '../../src/topology/topology.js'

interface FakeNode {
  id: string
  current: number
  config: number
  importing: Set<number>
  /** Turned into a replica of this primary (reports its config epoch as its own). */
  replicaOf?: string
}

class EpochCluster {
  nodes = new Map<string, FakeNode>()
  violations: string[] = []
  gossip = true
  constructor(epochs: Record<string, number>) {
    for (const [id, e] of Object.entries(epochs)) this.nodes.set(id, {id, current: e, config: e, importing: new Set()})
  }
  /** Gossip: every node learns every config epoch. */
  tick(): void {
    if (!this.gossip) return
    const max = Math.max(...[...this.nodes.values()].map((n) => n.config))
    for (const n of this.nodes.values()) n.current = Math.max(n.current, max)
  }
  bump(n: FakeNode): boolean {
    if (n.config === 0 || n.config !== n.current) {
      n.current++
      n.config = n.current
      return true
    }
    return false
  }
  admin(): ClusterAdmin {
    const pause = () => new Promise((r) => setImmediate(r))
    return {
      dryRun: false,
      epochs: async (id: string) => {
        await pause()
        this.tick()
        const n = this.nodes.get(id)!
        if (n.replicaOf) return {current: n.current, config: this.nodes.get(n.replicaOf)!.config, replica: true}
        return {current: n.current, config: n.config, replica: false}
      },
      bumpEpoch: async (id: string) => (this.bump(this.nodes.get(id)!) ? 'BUMPED' : 'STILL'),
      setSlots: async (id: string, ops: readonly SetSlotOp[]) => {
        await pause()
        const n = this.nodes.get(id)!
        for (const op of ops) {
          if (op.action !== 'node') continue
          if (op.nodeId === id && n.importing.delete(op.slot)) this.bump(n)
          if (op.nodeId !== id) {
            // the source (or another primary) is told: the new owner must be strictly the highest
            const t = this.nodes.get(op.nodeId!)!
            const rival = [...this.nodes.values()].find((x) => x.id !== t.id && !x.replicaOf && x.config >= t.config)
            if (rival) this.violations.push(`slot ${op.slot}: ${id} told while ${t.id} is at ${t.config} and ${rival.id} at ${rival.config}`)
          }
        }
        return ops.map(() => undefined)
      },
      clusterNodes: async () => '',
    } as unknown as ClusterAdmin
  }
  topology(): Topology {
    return {nodes: [...this.nodes.values()].map((n) => ({id: n.id, role: 'primary', reachable: true, claims: [], slots: []})), owners: [], open: [], uncovered: [], disagreements: [], clusterId: 'x'} as unknown as Topology
  }
}

function ctxOf(c: EpochCluster, admin: ClusterAdmin, gate: FinalizeGate, from: string, to: string): FinalizeCtx {
  return {admin, bus: new EventBus(), stop: new StopControl(), from, to, fromLabel: from, toLabel: to, topology: () => c.topology(), gate, moved: () => 1}
}

const moves = (slots: number[], from: string, to: string) => slots.map((slot) => ({slot, from, to, resume: 'fresh' as const, keys: 1}))

describe('FinalizeGate: the target holds the strictly highest epoch before anyone else is told', () => {
  it('a target whose view is stale (it would bump to an epoch the source already has) waits for gossip first', async () => {
    const c = new EpochCluster({S: 7, T: 5, X: 3})
    c.nodes.get('T')!.importing.add(100)
    c.gossip = false
    const admin = c.admin()
    const gate = new FinalizeGate(admin, () => c.topology(), 2000, 1)
    setTimeout(() => (c.gossip = true), 30)
    await finalizeSlots(ctxOf(c, admin, gate, 'S', 'T'), moves([100], 'S', 'T'), () => undefined)
    expect(c.violations).toEqual([])
    expect(c.nodes.get('T')!.config).toBe(8)
  })

  it('without the gate the same stale view hands the slot to a target below the source (the loss case)', async () => {
    const c = new EpochCluster({S: 7, T: 5, X: 3})
    c.nodes.get('T')!.importing.add(100)
    c.gossip = false
    const admin = c.admin()
    await admin.setSlots('T', [{slot: 100, action: 'node', nodeId: 'T'}])
    await admin.setSlots('S', [{slot: 100, action: 'node', nodeId: 'T'}])
    expect(c.violations.length).toBe(1)
  })

  it('a target that did not bump (it believed it had the highest epoch) is bumped with BUMPEPOCH', async () => {
    const c = new EpochCluster({S: 7, T: 6, X: 3})
    const admin = c.admin()
    const gate = new FinalizeGate(admin, () => c.topology(), 2000, 1)
    // T was not importing (a resumed slot it already owns): SETSLOT NODE does not bump it
    await finalizeSlots(ctxOf(c, admin, gate, 'S', 'T'), moves([100], 'S', 'T'), () => undefined)
    expect(c.violations).toEqual([])
    expect(c.nodes.get('T')!.config).toBeGreaterThan(7)
  })

  it('parallel pairs finalize one at a time: their targets never draw the same epoch', async () => {
    const c = new EpochCluster({A: 1, B: 2, C: 3, D: 4})
    c.gossip = false
    for (const s of [1, 2, 3]) c.nodes.get('B')!.importing.add(s)
    for (const s of [11, 12, 13]) c.nodes.get('D')!.importing.add(s)
    const admin = c.admin()
    const gate = new FinalizeGate(admin, () => c.topology(), 2000, 1)
    // gossip runs, but only while someone polls (the gate's checks): an unserialized pair would bump on a stale view
    c.gossip = true
    await Promise.all([
      ...[1, 2, 3].map((s) => finalizeSlots(ctxOf(c, admin, gate, 'A', 'B'), moves([s], 'A', 'B'), () => undefined)),
      ...[11, 12, 13].map((s) => finalizeSlots(ctxOf(c, admin, gate, 'C', 'D'), moves([s], 'C', 'D'), () => undefined)),
    ])
    expect(c.violations).toEqual([])
    const epochs = [...c.nodes.values()].map((n) => n.config)
    expect(new Set(epochs).size).toBe(epochs.length)
  })

  it('a drained source that turned into a replica of the target (it reports the target\'s epoch) does not block the next finalization', async () => {
    // drain: the source's last slots left, it became a replica of T (cluster-allow-replica-migration),
    // yet the topology the run started from still lists it as a primary
    const c = new EpochCluster({S: 7, T: 8, X: 3})
    c.nodes.get('S')!.replicaOf = 'T'
    c.nodes.get('T')!.importing.add(200)
    const admin = c.admin()
    const gate = new FinalizeGate(admin, () => c.topology(), 200, 1)
    await finalizeSlots(ctxOf(c, admin, gate, 'X', 'T'), moves([200], 'X', 'T'), () => undefined)
    expect(c.violations).toEqual([])
  })

  it('two primaries sharing an epoch (a pending collision) make it wait, then fail past the deadline', async () => {
    const c = new EpochCluster({S: 7, T: 5, X: 7})
    c.nodes.get('T')!.importing.add(100)
    const admin = c.admin()
    const gate = new FinalizeGate(admin, () => c.topology(), 50, 1)
    await expect(finalizeSlots(ctxOf(c, admin, gate, 'S', 'T'), moves([100], 'S', 'T'), () => undefined)).rejects.toThrow(/share config epoch 7/)
    // nothing was changed: the target still imports
    expect(c.nodes.get('T')!.importing.has(100)).toBe(true)
  })
})
