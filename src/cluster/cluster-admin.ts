// The small interface the engine talks to the cluster through (DESIGN.md §3). The real one
// sends commands over per-node ioredis clients; the dry-run one records them instead.
import type {Topology} from '../topology/topology.js'

export type SetSlotAction = 'importing' | 'migrating' | 'node' | 'stable'

export interface SetSlotOp {
  slot: number
  action: SetSlotAction
  /** Source id (importing), target id (migrating, node). */
  nodeId?: string
}

/** One MIGRATE batch's outcome: ok (including +NOKEY), or the error text. */
export type MigrateOutcome = {ok: true; nokey: boolean} | {ok: false; error: string}

export interface MigrateBatch {
  keys: Buffer[]
  replace: boolean
}

export interface MigrateOptions {
  timeoutMs: number
  /** Send ASKING first: the source only IMPORTS the slot (recovery of stray keys). */
  asking?: boolean
  /** After the batches, on the same connection, list up to `count` keys of `slot`: the listing
   *  runs after the MIGRATEs on the server, so it sees what they left (no extra round trip). */
  listAfter?: {slot: number; count: number}
}

export interface MigrateResult {
  outcomes: MigrateOutcome[]
  listed?: Buffer[]
}

/**
 * An ordered command stream from one source to one target (the fast path of step 3): every call
 * is written to the source's connection at once, in call order, so MIGRATEs run back to back on
 * the server and a listing sees exactly what the MIGRATEs written before it left.
 */
export interface MigrationChannel {
  migrate(batch: MigrateBatch): Promise<MigrateOutcome>
  /** CLUSTER GETKEYSINSLOT behind everything written before it. */
  getKeys(slot: number, count: number): Promise<Buffer[]>
}

export interface ChannelOptions {
  timeoutMs: number
  asking?: boolean
  /** How many MIGRATEs may be queued ahead of one (bounds the wait for its reply). */
  inFlight: number
}

export interface ClusterAdmin {
  readonly dryRun: boolean
  /** Re-read every node's view. Roles and owners are never cached across calls. */
  refresh(): Promise<Topology>
  /** CLUSTER SETSLOT for a list of slots on one node, in one round trip, applied in list order;
   *  per op: undefined on success or the error text. */
  setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>>
  /** CLUSTER COUNTKEYSINSLOT for a list of slots on one node, in one round trip. */
  countKeys(nodeId: string, slots: readonly number[]): Promise<number[]>
  /** CLUSTER GETKEYSINSLOT, keys as Buffers (DESIGN.md §1: keys are binary). */
  getKeys(nodeId: string, slot: number, count: number): Promise<Buffer[]>
  /** MIGRATE batches from source to target, all sent back to back on the source connection. */
  migrate(sourceId: string, targetId: string, batches: readonly MigrateBatch[], o: MigrateOptions): Promise<MigrateResult>
  /** An ordered MIGRATE/listing stream on the source's connection (see MigrationChannel). */
  channel(sourceId: string, targetId: string, o: ChannelOptions): Promise<MigrationChannel>
  /** DUMP of keys on a node (ASKING first, so an importing node answers); null when absent,
   *  undefined when the node will not show it (it neither owns nor imports the slot). */
  dump(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>>
  /** A canonical form of each key's value (type + contents, unordered types sorted), for when
   *  two DUMPs differ only in encoding order; null when absent, undefined when unreadable. */
  canonical(nodeId: string, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>>
  /** Raw CLUSTER NODES text of one node. */
  clusterNodes(nodeId: string): Promise<string>
  /** The node's epochs (CLUSTER INFO): currentEpoch (the highest it has seen) and its own configEpoch. */
  epochs(nodeId: string): Promise<{current: number; config: number}>
  /** CLUSTER BUMPEPOCH: the reply ("BUMPED n" or "STILL n"). */
  bumpEpoch(nodeId: string): Promise<string>
  /** Whether the node answers PING. */
  ping(nodeId: string): Promise<boolean>
  close(): Promise<void>
}
