// Which slots are open right now, from the engine's own events: used when the run is
// interrupted and must say what it leaves behind.
import type {EventBus} from '../events/events.js'
import type {OpenSlot} from '../errors.js'

export function trackOpenSlots(bus: EventBus, name: (id: string) => string = (x) => x): () => OpenSlot[] {
  const open = new Map<number, OpenSlot>()
  bus.on((e) => {
    if (e.type === 'slot-state') {
      if (e.state === 'complete' || e.state === 'pending' || e.state === 'aborted') open.delete(e.slot)
      else open.set(e.slot, {slot: e.slot, state: e.state, source: name(e.from), target: name(e.to)})
    }
  })
  return () => [...open.values()].sort((a, b) => a.slot - b.slot)
}
