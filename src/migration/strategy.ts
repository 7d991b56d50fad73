// The mechanism seam (docs/architecture.md "Layers"): one source -> target pair is moved by a strategy chosen per
// pair, legacy streaming (PairMover) or the servers' atomic slot migration (AtomicMover). Both
// report the same events (slot-state, keys-moved, slot-done, slot-failed) and slot states.
import type {SlotResult} from './pair-mover.js'

export interface PairStrategy {
  /** Move every slot of the pair; throws a typed error after marking what failed. */
  run(): Promise<SlotResult[]>
  /** What became of one slot (after run settled, or threw). */
  resultOf(slot: number): SlotResult
}
