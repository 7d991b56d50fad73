// Opening and closing the connection to a cluster, shared by every operation.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import type {ConnectionOptions} from '../cluster/connection.js'
import {RedisClusterAdmin} from '../cluster/redis-admin.js'
import {EventBus} from '../events/events.js'
import type {Topology} from '../topology/topology.js'

export interface Session {
  admin: ClusterAdmin
  /** The events of this session: the engine's, and the dry-run's recorded commands. */
  bus: EventBus
  real: RedisClusterAdmin
  topology: Topology
  close(): Promise<void>
}

export async function openSession(conn: ConnectionOptions, o: {dryRun?: boolean; bus?: EventBus; withKeys?: boolean} = {}): Promise<Session> {
  const {admin: real, topology} = await RedisClusterAdmin.connect(conn, {withKeys: o.withKeys})
  const bus = o.bus ?? new EventBus()
  let admin: ClusterAdmin = real
  if (o.dryRun) {
    const {DryRunAdmin} = await import('../cluster/dry-run-admin.js')
    const dry = new DryRunAdmin(real, (c) => bus.emit({type: 'command', node: c.node, command: c.command, dryRun: true}), conn.password ? {user: conn.user, password: conn.password} : undefined)
    await dry.refresh()
    admin = dry
  }
  return {admin, bus, real, topology, close: () => real.close()}
}

/** Keys per slot on their owners, for totals and progress (COUNTKEYSINSLOT, pipelined). */
export async function countSlotKeys(admin: ClusterAdmin, moves: ReadonlyArray<{slot: number; from: string}>): Promise<Map<number, number>> {
  const bySource = new Map<string, number[]>()
  for (const m of moves) {
    let a = bySource.get(m.from)
    if (!a) bySource.set(m.from, (a = []))
    a.push(m.slot)
  }
  const out = new Map<number, number>()
  await Promise.all(
    [...bySource].map(async ([id, slots]) => {
      const counts = await admin.countKeys(id, slots)
      slots.forEach((s, i) => out.set(s, counts[i]!))
    }),
  )
  return out
}
