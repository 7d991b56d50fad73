// Which slots are open right now, for a listener that holds only the bus (the second Ctrl-C
// report of cli/mover-command.ts): a silent SlotLedger that follows the run's ledger through its
// events, so the open list is read by the same rules as the run result's.
import type {EventBus} from '../events/events.js'
import type {OpenSlot} from '../errors.js'
import {SlotLedger} from './slot-ledger.js'

export function trackOpenSlots(bus: EventBus, name: (id: string) => string = (x) => x): () => OpenSlot[] {
  const ledger = new SlotLedger()
  bus.on((e) => ledger.follow(e))
  return () => ledger.open(name)
}
