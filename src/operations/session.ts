// Opening and closing the connection to a cluster, shared by every operation. The session is the
// one place that holds the concrete RedisClusterAdmin: commands and operations see interfaces.
import type {ClusterAdmin, ClusterReader} from '../cluster/cluster-admin.js'
import type {ConnectionOptions} from '../cluster/connection.js'
import {RedisMembership, type Membership, type NodeCommand} from '../cluster/membership.js'
import {RedisClusterAdmin} from '../cluster/redis-admin.js'
import {proveProbes, proveRights, type RightProbe} from '../cluster/rights.js'
import {EventBus} from '../events/events.js'
import {Lease} from '../cluster/lease.js'
import {primaries, type Topology} from '../topology/topology.js'

export interface Session {
  /** What the engine talks through: the real cluster, or a dry run's recording stand-in. */
  admin: ClusterAdmin
  /** The events of this session: the engine's, and the dry-run's recorded commands. */
  bus: EventBus
  /** The cluster as it really is, read-only (also under --dry-run). */
  reader: ClusterReader
  /** The connection this session was opened with (to open another one). */
  conn: ConnectionOptions
  topology: Topology
  /** Held while the run may change slots (see takeLease). */
  lease?: Lease
  /** Membership commands (MEET, FORGET, REPLICATE...) over this session's connections. */
  membership(dryRun: boolean, onCommand?: (c: NodeCommand) => void): Membership
  /** Exit 3 naming the first right the user lacks for these moves (cluster/rights.ts). */
  proveRights(t: Topology, pairs: ReadonlyArray<{from: string; to: string}>): Promise<void>
  /** The same for a list of probes per node id (recover's steps). */
  proveProbes(t: Topology, plan: ReadonlyMap<string, readonly RightProbe[]>): Promise<void>
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
    reader: real,
    conn: real.conn,
    topology,
    membership: (dryRun, onCommand) => new RedisMembership(real.pool, dryRun, onCommand),
    proveRights: (t, pairs) => proveRights(real, t, pairs),
    proveProbes: (t, plan) => proveProbes(real, t, plan),
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
  session.lease = await Lease.acquire(session.conn, addresses, {command, takeOverExpired: o.takeOverExpired})
  session.topology = await session.admin.refresh()
  return session.topology
}

/** Keys per slot on their owners, for totals and progress (COUNTKEYSINSLOT, pipelined). */
export async function countSlotKeys(admin: Pick<ClusterAdmin, 'countKeys'>, moves: ReadonlyArray<{slot: number; from: string}>): Promise<Map<number, number>> {
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
