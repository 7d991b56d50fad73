// FakeCluster as the engine sees it: every ClusterAdmin call logged and passed through the
// cluster's faults (FakeCluster.enter), then answered from its state.
import type {ChannelOptions, ClusterAdmin, MigrateOptions, MigrateOutcome, MigrateResult, MigrationChannel} from '../../../src/cluster/cluster-admin.js'
import {parseClusterNodes} from '../../../src/topology/cluster-nodes.js'
import {buildTopology, type Topology} from '../../../src/topology/topology.js'
import {orderedChannel} from './fake-channel.js'
import type {FakeCluster} from './fake-cluster.js'

export function fakeAdmin(c: FakeCluster): ClusterAdmin {
  const a: ClusterAdmin = {
    dryRun: false,
    async refresh(): Promise<Topology> {
      c.gossip()
      const views = await Promise.all(
        [...c.nodes.values()].map(async (n) => {
          const address = `127.0.0.1:${n.port}`
          try {
            await c.enter('refresh', n.id, 'CLUSTER NODES')
            return {address, lines: parseClusterNodes(c.clusterNodesText(n)), keyCount: [...n.keys.values()].reduce((x, m) => x + m.size, 0)}
          } catch (e) {
            return {address, error: (e as Error).message}
          }
        }),
      )
      return buildTopology(views)
    },
    async setSlots(id, ops) {
      // an injected failure is every SETSLOT's error reply (the node answered)
      let injected: string | undefined
      await c.enter('setslot', id, `SETSLOT ${ops.map((o) => `${o.slot} ${o.action.toUpperCase()}${o.nodeId ? ` ${o.nodeId.slice(0, 2)}` : ''}`).join(', ')}`).catch((e: Error) => {
        if (c.node(id).down) throw e
        injected = e.message
      })
      return ops.map((op) => injected ?? c.setSlot(c.node(id), op))
    },
    async countKeys(id, slots) {
      await c.enter('countkeys', id, `COUNTKEYSINSLOT ${slots.join(' ')}`)
      return slots.map((s) => c.count(id, s))
    },
    async getKeys(id, slot, count) {
      await c.enter('getkeys', id, `GETKEYSINSLOT ${slot} ${count}`)
      return c.keysOf(id, slot).slice(0, count).map((k) => Buffer.from(k, 'latin1'))
    },
    async migrate(from, to, batches, o: MigrateOptions): Promise<MigrateResult> {
      // an injected failure is the MIGRATE's error reply for every batch of the call
      let injected: string | undefined
      await c.enter('migrate', from, `MIGRATE x${batches.length} -> ${to.slice(0, 2)}`).catch((e: Error) => {
        if (c.node(from).down) throw e
        injected = e.message
      })
      const outcomes = batches.map((b): MigrateOutcome => (injected ? {ok: false, error: injected} : c.migrateBatch(c.node(from), c.node(to), b)))
      const listed = o.listAfter ? c.keysOf(from, o.listAfter.slot).slice(0, o.listAfter.count).map((k) => Buffer.from(k, 'latin1')) : undefined
      return {outcomes, listed}
    },
    async channel(from, to, o: ChannelOptions): Promise<MigrationChannel> {
      void o
      return orderedChannel(c, from, to)
    },
    async dump(id, keys) {
      await c.enter('dump', id, `DUMP x${keys.length}`)
      return keys.map((k) => {
        const name = k.toString('latin1')
        const slot = Number(/^\{s(\d+)\}/.exec(name)?.[1] ?? -1)
        const n = c.node(id)
        if (n.owners[slot] !== id && !n.importing.has(slot)) return undefined
        return n.keys.get(slot)?.get(name) ?? null
      })
    },
    async canonical(id, keys) {
      return a.dump(id, keys)
    },
    async clusterNodes(id) {
      await c.enter('clusternodes', id, 'CLUSTER NODES')
      return c.clusterNodesText(c.node(id))
    },
    async epochs(id) {
      await c.enter('epochs', id, 'CLUSTER INFO')
      c.gossip()
      const n = c.node(id)
      return {current: n.current, config: n.config, replica: false}
    },
    async bumpEpoch(id) {
      await c.enter('bumpepoch', id, 'CLUSTER BUMPEPOCH')
      const n = c.node(id)
      return `${c.bump(n) ? 'BUMPED' : 'STILL'} ${n.config}`
    },
    async ping(id) {
      return !c.node(id).down
    },
    async close() {},
    ...c.asm.admin(),
  }
  return a
}
