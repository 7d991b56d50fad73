// PURE (docs/architecture.md "Layers"): (Topology, goal, options) -> Plan. No I/O, no clock, no randomness.
export {
  PLAN_VERSION,
  pairsOf,
  type Plan,
  type PlanKind,
  type PlanMove,
  type PlanNode,
  type PlanSummaryEntry,
  type SkippedSlot,
  type SkipReason,
  type Spread,
} from './plan.js'
export {planRebalance, DEFAULT_THRESHOLD, KEYS_SLOT_SLACK, type BalanceBy, type RebalanceOptions} from './rebalance.js'
export {planDrain, type DrainOptions} from './drain.js'
export {planMove, planMoves, type MoveOptions} from './move.js'
export {parsePlan, serializePlan} from './plan-json.js'
export {MAX_WEIGHT} from './weights.js'
export {pickSlotsByCount, pickFromDonor, shareCount, CONTIGUOUS_SLACK, type Donor, type PickedSlot} from './pick-count.js'
