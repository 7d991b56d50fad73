// Flags shared by every command that moves slots (move, apply, rebalance, drain).
import {Flags} from './oclif.js'
import type {EngineOptions} from '../migration/options.js'
import {assertMechanismLimits, type MechanismChoice} from '../migration/mechanism.js'

export const engineFlags = {
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required when stdin is not a terminal)'}),
  'dry-run': Flags.boolean({description: 'show the commands that would be sent; change nothing'}),
  replace: Flags.boolean({description: 'overwrite keys that already exist on the target (MIGRATE REPLACE)', helpGroup: 'ENGINE'}),
  'batch-size': Flags.integer({description: 'fixed keys per MIGRATE batch (default: sized from the measured cost per key to fit --max-pause)', min: 1, max: 100000, helpGroup: 'ENGINE'}),
  'max-pause': Flags.integer({description: 'longest time one MIGRATE may block the source, in ms (default 10); batches are sized from the measured cost', min: 1, max: 10000, helpGroup: 'ENGINE'}),
  pipeline: Flags.integer({description: 'MIGRATE batches queued per source (default 2; 1 with --max-pause)', min: 1, max: 64, helpGroup: 'ENGINE'}),
  'migrate-timeout': Flags.integer({description: 'timeout of one MIGRATE in ms (default 5000; raised for large keys)', min: 1, helpGroup: 'ENGINE'}),
  'migration-timeout': Flags.integer({description: 'limit for the whole run and for a raised MIGRATE timeout, in ms (default 3600000)', min: 1, helpGroup: 'ENGINE'}),
  'batch-delay': Flags.integer({description: 'wait this many ms between batches (default 0)', min: 0, helpGroup: 'ENGINE'}),
  'max-keys-per-second': Flags.integer({
    description: 'cap the rate of moved keys over all pairs; only the legacy mechanism can keep to it, so with it --mechanism auto moves every pair by legacy (--mechanism atomic refuses it)',
    min: 1,
    helpGroup: 'ENGINE',
  }),
  mechanism: Flags.option({
    options: ['auto', 'atomic', 'legacy'] as const,
    description:
      "how slots move (default auto): atomic = the servers' atomic slot migration (Valkey 9 CLUSTER MIGRATESLOTS, Redis 8.4+ CLUSTER MIGRATION), legacy = SETSLOT + MIGRATE; auto = atomic for each pair whose two nodes offer the same flavour",
    helpGroup: 'ENGINE',
  })(),
  parallel: Flags.integer({description: 'source->target pairs moved at once (default: disjoint pairs, at most 4)', min: 1, max: 64, helpGroup: 'ENGINE'}),
}

/** The engine flags a command may have (recover has some of them), as oclif parses them. */
export interface EngineFlagValues {
  mechanism?: string
  replace?: boolean
  'batch-size'?: number
  'max-pause'?: number
  pipeline?: number
  'migrate-timeout'?: number
  'migration-timeout'?: number
  'batch-delay'?: number
  'max-keys-per-second'?: number
  parallel?: number
}

/** The engine flags as options; `--mechanism atomic --max-keys-per-second N` is a usage error (exit 2). */
export function engineOptionsFrom(f: EngineFlagValues): Partial<EngineOptions> {
  assertMechanismLimits(f.mechanism as MechanismChoice | undefined, {maxKeysPerSecond: f['max-keys-per-second']})
  const o: Partial<EngineOptions> = {
    replace: Boolean(f.replace),
    batchKeys: f['batch-size'],
    maxPauseMs: f['max-pause'],
    // queued batches run back to back on the server: with a pause budget, queue one at a time
    pipeline: f.pipeline ?? (f['max-pause'] !== undefined ? 1 : undefined),
    migrateTimeoutMs: f['migrate-timeout'],
    migrationTimeoutMs: f['migration-timeout'],
    batchDelayMs: f['batch-delay'],
    maxKeysPerSecond: f['max-keys-per-second'],
    parallel: f.parallel,
  }
  // a flag not given must not override a default
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<EngineOptions>
}
