// The slot state machine (reference MigrationState, docs/architecture.md "Slot states"):
// importing -> migrating -> streaming -> finalizing -> complete, plus failed and aborted.
// The one holder of every slot's state is the run's SlotLedger (slot-ledger.ts).
import {InvalidTransitionError} from '../errors.js'
import type {SlotState} from '../events/events.js'

export type {SlotState}

const NEXT: Record<SlotState, readonly SlotState[]> = {
  pending: ['importing', 'complete', 'aborted', 'failed'],
  importing: ['migrating', 'failed', 'aborted'],
  migrating: ['streaming', 'failed', 'aborted'],
  streaming: ['finalizing', 'failed', 'aborted'],
  finalizing: ['complete', 'failed'],
  complete: [],
  failed: [],
  aborted: [],
}

export function canTransition(from: SlotState, to: SlotState): boolean {
  return NEXT[from].includes(to)
}

export function assertTransition(from: SlotState, to: SlotState): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to)
}

export function isTerminal(s: SlotState): boolean {
  return NEXT[s].length === 0
}

/** Progress 0-100 of a slot: keys moved / keys at start; a slot with no keys is 100 %. */
export function slotProgress(moved: number, total: number): number {
  if (total <= 0) return 100
  return Math.min(100, Math.floor((moved * 100) / total))
}
