// FakeCluster's ordered MIGRATE stream (ClusterAdmin.channel): one command at a time, in write
// order, each on a later turn, so a listing sees exactly what the MIGRATEs written before it left.
import type {MigrationChannel} from '../../../src/cluster/cluster-admin.js'
import type {FakeCluster} from './fake-cluster.js'

export function orderedChannel(c: FakeCluster, from: string, to: string): MigrationChannel {
  const queue: Array<() => Promise<void>> = []
  let running = false
  let queuedMigrates = 0
  const kick = async () => {
    if (running) return
    running = true
    for (let next = queue.shift(); next; next = queue.shift()) await next()
    running = false
  }
  const push = <T>(run: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => run().then(resolve, reject))
      void kick()
    })
  return {
    migrate: (batch) => {
      c.maxQueuedMigrates = Math.max(c.maxQueuedMigrates, ++queuedMigrates)
      return push(async () => {
        queuedMigrates--
        await c.enter('channel-migrate', from, `MIGRATE ${batch.keys.length} -> ${to.slice(0, 2)}`)
        return c.migrateBatch(c.node(from), c.node(to), batch, c.failWhen?.(batch, ++c.channelMigrates))
      })
    },
    getKeys: (slot, count) =>
      push(async () => {
        await c.enter('channel-list', from, `GETKEYSINSLOT ${slot} ${count}`)
        return c.keysOf(from, slot).slice(0, count).map((k) => Buffer.from(k, 'latin1'))
      }),
  }
}
