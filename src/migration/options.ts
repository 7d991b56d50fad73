// Engine defaults: the reference MigrationConfig (100 keys / 1 MiB per batch, 5 s per MIGRATE,
// 1 h per migration); no wait between batches unless asked (docs/architecture.md "Slot states").
export interface EngineOptions {
  /** Keys per MIGRATE batch; undefined: sized from the measured cost to fit maxPauseMs. */
  batchKeys?: number
  /** First batch size while the cost is not measured yet. */
  initialBatchKeys: number
  minBatchKeys: number
  maxBatchKeys: number
  /** Pause budget of one MIGRATE on the source, in ms. */
  maxPauseMs: number
  /** MIGRATE batches kept in flight on the source connection. */
  pipeline: number
  /** Timeout of one MIGRATE, in ms; raised automatically for large keys. */
  migrateTimeoutMs: number
  /** Upper bound for the raised MIGRATE timeout and for the whole run, in ms. */
  migrationTimeoutMs: number
  replace: boolean
  batchDelayMs: number
  maxKeysPerSecond?: number
  /** Pairs moved at once. */
  parallel: number
  /** Deadline for every node to agree on the new owners, in ms. */
  verifyDeadlineMs: number
  /** How many keys a wave of small slots may hold (slots opened and finalized together). */
  waveKeys: number
  /** How many slots a wave may hold. */
  waveSlots: number
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  initialBatchKeys: 100,
  minBatchKeys: 10,
  maxBatchKeys: 2000,
  maxPauseMs: 10,
  pipeline: 2,
  migrateTimeoutMs: 5000,
  migrationTimeoutMs: 3_600_000,
  replace: false,
  batchDelayMs: 0,
  parallel: 4,
  verifyDeadlineMs: 20_000,
  waveKeys: 50_000,
  waveSlots: 1024,
}
