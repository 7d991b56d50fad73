// Opening and closing the connection to a cluster, shared by every operation.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import type {ConnectionOptions} from '../cluster/connection.js'
import {RedisClusterAdmin} from '../cluster/redis-admin.js'
import {EventBus} from '../events/events.js'
import {Lease} from '../cluster/lease.js'
import {primaries, type Topology} from '../topology/topology.js'

export interface Session {
  admin: ClusterAdmin
  /** The events of this session: the engine's, and the dry-run's recorded commands. */
  bus: EventBus
  real: RedisClusterAdmin
  topology: Topology
  /** Held while the run may change slots (see takeLease). */
  lease?: Lease
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
  const session: Session = {
    admin,
    bus,
    real,
    topology,
    close: async () => {
      await session.lease?.release()
      await real.close()
    },
  }
  return session
}

/**
 * Before the first change: take the lease on every primary (finalization tells every primary the
 * new owner, so every primary is touched), then re-read the cluster, since another run may have
 * changed it before we held the lease. A dry run changes nothing and takes none.
 */
export async function takeLease(session: Session, command: string, o: {takeOverExpired?: boolean} = {}): Promise<Topology> {
  if (session.admin.dryRun || session.lease) return session.topology
  const addresses = primaries(session.topology)
    .filter((p) => p.reachable)
    .map((p) => p.address)
  session.lease = await Lease.acquire(session.real.conn, addresses, {command, takeOverExpired: o.takeOverExpired})
  session.topology = await session.admin.refresh()
  return session.topology
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
