// The closed list of migration events. The engine emits only these; reporters (bars, plain
// lines, NDJSON) listen to them (docs/architecture.md "Layers").
/** Where one slot's move stands (docs/architecture.md "Slot states"); the transitions live in migration/slot-state.ts. */
export type SlotState = 'pending' | 'importing' | 'migrating' | 'streaming' | 'finalizing' | 'complete' | 'failed' | 'aborted'

export interface RunStarted {
  type: 'run-started'
  moves: number
  /** Node ids, like every other event. */
  /** mechanism: how the pair moves (legacy SETSLOT + MIGRATE, or the servers' atomic migration). */
  pairs: Array<{from: string; to: string; slots: number; keys: number; mechanism: 'legacy' | 'atomic'}>
  /** Node id -> the name people read (hostname or host:port). */
  nodes: Record<string, string>
  keys: number
  dryRun: boolean
  parallel: number
}
export interface SlotSkipped {
  type: 'slot-skipped'
  slot: number
  reason: string
}
export interface SlotStateChanged {
  type: 'slot-state'
  slot: number
  from: string
  to: string
  state: SlotState
  keysTotal: number
}
export interface KeysMoved {
  type: 'keys-moved'
  slot: number
  from: string
  to: string
  /** Keys moved by this batch. */
  count: number
  /** Keys moved in this slot so far. */
  slotMoved: number
  slotTotal: number
}
export interface BatchRetry {
  type: 'batch-retry'
  slot: number
  reason: string
  batchSize: number
  timeoutMs: number
}
export interface LargeKey {
  type: 'large-key'
  slot: number
  key: string
  timeoutMs: number
}
export interface SlotDone {
  type: 'slot-done'
  slot: number
  from: string
  to: string
  keys: number
  /** Wall-clock from opening the slot (IMPORTING on the target) to its last SETSLOT NODE. */
  ms: number
}
export interface SlotFailed {
  type: 'slot-failed'
  slot: number
  from: string
  to: string
  state: SlotState
  error: string
}
export interface CommandSent {
  type: 'command'
  node: string
  command: string
  dryRun: boolean
}
export interface Warning {
  type: 'warning'
  message: string
}
export interface RecoverStep {
  type: 'recover-step'
  slot: number
  case: string
  /** What is about to be done, in words, before it is done. */
  action: string
}
export interface RecoverSlotDone {
  type: 'recover-slot'
  slot: number
  case: string
  outcome: 'fixed' | 'undecidable' | 'failed' | 'dry-run'
  message: string
}
export interface RunFinished {
  type: 'run-finished'
  ok: boolean
  dryRun: boolean
  slotsDone: number
  slotsSkipped: number
  slotsFailed: number
  keys: number
  ms: number
  keysPerSecond: number
}

export type MigrationEvent =
  | RunStarted
  | SlotSkipped
  | SlotStateChanged
  | KeysMoved
  | BatchRetry
  | LargeKey
  | SlotDone
  | SlotFailed
  | CommandSent
  | Warning
  | RecoverStep
  | RecoverSlotDone
  | RunFinished

export type EventListener = (e: MigrationEvent) => void

/** A tiny typed emitter: the engine holds one, reporters subscribe. */
export class EventBus {
  private listeners: EventListener[] = []
  on(l: EventListener): () => void {
    this.listeners.push(l)
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l)
    }
  }
  emit(e: MigrationEvent): void {
    for (const l of this.listeners) l(e)
  }
}
