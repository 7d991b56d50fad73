// The mechanism seam (docs/architecture.md "Layers"): one source -> target pair is moved by a strategy chosen per
// pair, legacy streaming (PairMover) or the servers' atomic slot migration (AtomicMover). Both
// write every slot's state, keys and error to the run's SlotLedger, which emits the same events
// (slot-state, slot-failed, slot-done) for both; keys-moved comes from the movers.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import type {EventBus} from '../events/events.js'
import type {SlotResult} from './slot-ledger.js'
import type {StopControl} from './stop-control.js'

/** What every piece of a pair's move is given: the cluster, the run's bus and stop, the two ends. */
export interface PairContext {
  admin: ClusterAdmin
  bus: EventBus
  stop: StopControl
  from: string
  to: string
  fromLabel: string
  toLabel: string
}

export interface PairStrategy {
  /** Move every slot of the pair; throws a typed error after marking what failed. */
  run(): Promise<SlotResult[]>
  /** What became of one slot (after run settled, or threw), read from the ledger. */
  resultOf(slot: number): SlotResult
}
