// Flags, arguments and goal builders that planning commands share (`plan rebalance|drain|move`,
// `rebalance`, `drain`, `remove-node`, `move`), and how a `plan` command prints its plan.
import {Args, Flags} from './oclif.js'
import {UsageError} from '../errors.js'
import {DEFAULT_THRESHOLD, type BalanceBy} from '../planner/index.js'
import type {DrainGoal, RebalanceGoal} from '../operations/plan.js'

/** --threshold PERCENT, checked here (an oclif parse error would lose our message). */
export function parseThreshold(input: string | undefined): number | undefined {
  if (input === undefined) return undefined
  const v = input.trim()
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v)) throw new UsageError(`--threshold ${JSON.stringify(input)} is not a percentage of 0 or more`, 'e.g. --threshold 5, or 0 to balance exactly')
  return Number(v)
}

/** The planning flags `plan rebalance` and `rebalance` share. */
export const rebalanceFlags = {
  weight: Flags.string({
    char: 'w',
    multiple: true,
    helpValue: 'NODE=N',
    description: 'weight of a primary (repeatable; default 1; 0 empties it). NODE: id, id prefix, host:port or hostname',
  }),
  threshold: Flags.string({
    helpValue: 'PERCENT',
    description: `rebalance only when some primary is more than this many percent away from its weighted share (default ${DEFAULT_THRESHOLD}; 0 balances exactly)`,
  }),
  'use-empty-primaries': Flags.boolean({description: 'give slots to primaries that have none yet (e.g. a node just added)'}),
  by: Flags.option({options: ['slots', 'keys'] as const, default: 'slots' as const, description: 'balance the number of slots, or of keys (COUNTKEYSINSLOT)'})(),
}

export function rebalanceGoal(f: {weight?: string[]; threshold?: string; 'use-empty-primaries'?: boolean; by?: BalanceBy}): RebalanceGoal {
  return {kind: 'rebalance', weights: f.weight, threshold: parseThreshold(f.threshold), useEmptyPrimaries: Boolean(f['use-empty-primaries']), by: f.by}
}

export const drainArgs = {
  node: Args.string({description: 'the primary to empty: id, id prefix, host:port or hostname', required: true}),
}

/** The planning flags `plan drain`, `drain` and `remove-node` share. */
export const drainFlags = {
  to: Flags.string({char: 't', multiple: true, helpValue: 'NODE', description: 'primary that takes slots (repeatable). Default: every other primary, empty ones included'}),
  weight: Flags.string({char: 'w', multiple: true, helpValue: 'NODE=N', description: 'share of a target (repeatable; default 1)'}),
}

export function drainGoal(node: string, f: {to?: string[]; weight?: string[]}): DrainGoal {
  return {kind: 'drain', node, to: f.to, weights: f.weight}
}

/** -o/--output, for every command that makes a plan. */
export const outputFlag = Flags.string({char: 'o', helpValue: 'FILE', description: 'write the plan document (JSON) to FILE, for `reshard apply FILE`'})

