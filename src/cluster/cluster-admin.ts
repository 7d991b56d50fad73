// The small interface the engine talks to the cluster through (docs/architecture.md "Layers"). The real one
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

export interface ClusterAdmin extends AsmAdmin {
  readonly dryRun: boolean
  /** Re-read every node's view. Roles and owners are never cached across calls. */
  refresh(): Promise<Topology>
  /** CLUSTER SETSLOT for a list of slots on one node, in one round trip, applied in list order;
   *  per op: undefined on success or the error text. */
  setSlots(nodeId: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>>
  /** CLUSTER COUNTKEYSINSLOT for a list of slots on one node, in one round trip. */
  countKeys(nodeId: string, slots: readonly number[]): Promise<number[]>
  /** CLUSTER GETKEYSINSLOT, keys as Buffers (docs/architecture.md "Safety rules": keys are binary). */
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
  /** The node's epochs (CLUSTER INFO): currentEpoch (the highest it has seen) and its own configEpoch;
   *  `replica`: the node is a replica now (its configEpoch is then its primary's). */
  epochs(nodeId: string): Promise<{current: number; config: number; replica: boolean}>
  /** CLUSTER BUMPEPOCH: the reply ("BUMPED n" or "STILL n"). */
  bumpEpoch(nodeId: string): Promise<string>
  /** Whether the node answers PING. */
  ping(nodeId: string): Promise<boolean>
  close(): Promise<void>
}

/** Which atomic slot migration a node offers (servers/ASM.md), detected by COMMAND INFO. */
export type AsmFlavour = 'valkey' | 'redis'

/** One ASM task as a node reports it, in one shape for both flavours. */
export interface AsmTask {
  /** Valkey: the job `name`; Redis: the task `id`. */
  id: string
  /** 'import' on the target, 'export' on the source (Redis calls it 'migrate'). */
  operation: 'import' | 'export'
  /** Slot ranges as the server wrote them ("0-99 200-219"). */
  ranges: string
  source: string
  target: string
  /** The server's own state name. */
  state: string
  /** The server's own message (Valkey `message`, Redis `last_error`); '' when none. */
  error: string
  /** Redis: how often the import was retried. */
  retries: number
}

/**
 * The atomic slot migration commands (servers/ASM.md). Valkey 9 is driven by the source
 * (MIGRATESLOTS, GETSLOTMIGRATIONS, CANCELSLOTMIGRATIONS), Redis 8.4+ by the target
 * (CLUSTER MIGRATION IMPORT / STATUS / CANCEL). Every call has a deadline.
 */
export interface AsmAdmin {
  /** COMMAND INFO CLUSTER|MIGRATESLOTS CLUSTER|MIGRATION: the flavour the node offers, or none. */
  asmFlavour(nodeId: string): Promise<AsmFlavour | 'none'>
  /** Valkey: CLUSTER MIGRATESLOTS SLOTSRANGE s e [s e ...] NODE target, sent to the source. */
  migrateSlots(sourceId: string, targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<void>
  /** Valkey: CLUSTER GETSLOTMIGRATIONS (newest first, finished jobs kept). */
  slotMigrations(nodeId: string): Promise<AsmTask[]>
  /** Valkey: CLUSTER CANCELSLOTMIGRATIONS on the source (cancels every export of that node). */
  cancelSlotMigrations(sourceId: string): Promise<void>
  /** Redis: CLUSTER MIGRATION IMPORT s e [s e ...] on the target; the task id. */
  migrationImport(targetId: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<string>
  /** Redis: CLUSTER MIGRATION STATUS ID id (or STATUS ALL without an id). */
  migrationStatus(nodeId: string, id?: string): Promise<AsmTask[]>
  /** Redis: CLUSTER MIGRATION CANCEL ID id on the target; how many tasks it cancelled. */
  migrationCancel(targetId: string, id: string): Promise<number>
}

/**
 * The cluster as it really is, read-only (never the dry-run's simulated view): what commands and
 * operations may use besides their session's ClusterAdmin. The concrete admin stays in the session.
 */
export type ClusterReader = Pick<ClusterAdmin, 'refresh' | 'countKeys' | 'getKeys' | 'dump' | 'canonical' | 'asmFlavour' | 'slotMigrations' | 'migrationStatus'>
