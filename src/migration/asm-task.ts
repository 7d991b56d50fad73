// One atomic slot migration task, per flavour (servers/ASM.md): how it starts, how it is found
// and polled, how it is cancelled, and what its server states mean in our slot states.
import type {AsmFlavour, AsmTask, ClusterAdmin} from '../cluster/cluster-admin.js'
import {AsmError} from '../errors.js'
import {formatSlots, parseSlots} from '../topology/slot-set.js'
import type {SlotState} from './slot-state.js'

export type Range = readonly [number, number]

/** Where a server state puts the task: one of our slot states, or an end. */
export type Phase = SlotState | 'success' | 'failed' | 'cancelled' | 'retrying'

const VALKEY: Record<string, Phase> = {
  connecting: 'importing',
  'sending-auth-command': 'importing',
  'reading-auth-response': 'importing',
  'sending-establish-command': 'importing',
  'reading-establish-response': 'importing',
  'waiting-to-snapshot': 'migrating',
  snapshotting: 'migrating',
  replicating: 'streaming',
  'waiting-to-pause': 'finalizing',
  'failover-paused': 'finalizing',
  'failover-granted': 'finalizing',
  success: 'success',
  failed: 'failed',
  cancelled: 'cancelled',
}

const REDIS: Record<string, Phase> = {
  connecting: 'importing',
  'auth-reply': 'importing',
  'send-handshake': 'importing',
  'handshake-reply': 'importing',
  'send-syncslots': 'importing',
  'syncslots-reply': 'importing',
  'init-rdbchannel': 'importing',
  'accumulate-buffer': 'migrating',
  'ready-to-stream': 'streaming',
  'streaming-buffer': 'streaming',
  'wait-stream-eof': 'streaming',
  takeover: 'finalizing',
  completed: 'success',
  // not an end for an import: the target retries every second until cancelled
  failed: 'retrying',
  canceled: 'cancelled',
}

/**
 * PURE. The phase of a server state; undefined for a state we do not know (kept as it was).
 * Only a Redis import retries after `failed`; the source's copy of the task (migrate) has ended.
 */
export function phaseOf(flavour: AsmFlavour, state: string, operation: 'import' | 'export' = 'import'): Phase | undefined {
  if (flavour === 'redis' && operation === 'export' && state === 'failed') return 'failed'
  return (flavour === 'valkey' ? VALKEY : REDIS)[state]
}

/** PURE. Sorted slots as [start, end] ranges. */
export function toRanges(slots: readonly number[]): Range[] {
  const s = [...slots].sort((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (const x of s) {
    const last = out[out.length - 1]
    if (last && x === last[1] + 1) last[1] = x
    else if (!last || x > last[1]) out.push([x, x])
  }
  return out
}

/** PURE. Whether a server's slot_ranges text ("0-99 200-219") names exactly these ranges. */
export function sameRanges(text: string, ranges: readonly Range[]): boolean {
  try {
    const have = parseSlots(text.trim().split(/[\s,]+/).join(','))
    return formatSlots(have) === formatSlots(ranges.flatMap(([a, b]) => Array.from({length: b - a + 1}, (_, i) => a + i)))
  } catch {
    return false
  }
}

export interface AsmHandle {
  readonly flavour: AsmFlavour
  /** The node whose report is polled (Valkey: the source; Redis: the target). */
  readonly reporter: string
  /** The task as its node reports it now; undefined while it is not listed. */
  poll(): Promise<AsmTask | undefined>
  /** Cancel at the node that can (Valkey: the source; Redis: the target). */
  cancel(): Promise<void>
}

/** A server's refusal to start, as a typed error with the server's own words and a next step. */
function refusal(e: unknown, where: string): AsmError {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/^ERR\s+/, '')
  let hint = 'run `reshard status` to see the running tasks and open slots'
  if (/manually migrated|STABLE|importing|migrating/i.test(msg)) hint = 'slots are open by a legacy migration, which blocks atomic slot migration: run `reshard recover` first'
  else if (/another ASM task|in progress|overlap/i.test(msg)) hint = 'another atomic migration runs on this node: wait for it (see `reshard status`) or cancel it with `reshard recover`'
  return new AsmError(`${where} refused the atomic slot migration: ${msg}`, hint)
}

export async function startValkey(admin: ClusterAdmin, from: string, to: string, ranges: readonly Range[], fromLabel: string): Promise<AsmHandle> {
  // The reply has no job id: the job is the new EXPORT entry whose slot_ranges are ours.
  const before = new Set((await admin.slotMigrations(from)).map((t) => t.id))
  try {
    await admin.migrateSlots(from, to, ranges)
  } catch (e) {
    if ((e as Error).name === 'ReplyError') throw refusal(e, `source ${fromLabel}`)
    throw e
  }
  let id: string | undefined
  return {
    flavour: 'valkey',
    reporter: from,
    poll: async () => {
      const all = await admin.slotMigrations(from)
      const t = id !== undefined ? all.find((x) => x.id === id) : all.find((x) => x.operation === 'export' && !before.has(x.id) && sameRanges(x.ranges, ranges))
      if (t) id = t.id
      return t
    },
    cancel: () => admin.cancelSlotMigrations(from),
  }
}

export async function startRedis(admin: ClusterAdmin, to: string, ranges: readonly Range[], toLabel: string): Promise<AsmHandle> {
  let id: string
  try {
    id = await admin.migrationImport(to, ranges)
  } catch (e) {
    if ((e as Error).name === 'ReplyError') throw refusal(e, `target ${toLabel}`)
    throw e
  }
  return {
    flavour: 'redis',
    reporter: to,
    poll: async () => (await admin.migrationStatus(to, id))[0],
    cancel: async () => {
      await admin.migrationCancel(to, id)
    },
  }
}

/** The server's failure message as our error, naming the missing setting for NOAUTH (Valkey). */
export function taskFailure(flavour: AsmFlavour, task: AsmTask, fromLabel: string, toLabel: string): AsmError {
  const msg = task.error || `the task ended in state ${task.state}`
  const details = {task: task.id, state: task.state, serverMessage: task.error}
  if (flavour === 'valkey' && /NOAUTH|WRONGPASS|Authentication|auth/i.test(msg)) {
    return new AsmError(
      `atomic slot migration ${fromLabel} -> ${toLabel} failed: the source could not log in to the target (${msg})`,
      `set \`primaryauth\` (and \`primaryuser\` when the target needs an ACL user) on the source ${fromLabel} to credentials the target accepts, e.g. \`CONFIG SET primaryauth <password>\`; that user needs +cluster|syncslots +select +@write ~* on the target. Nothing was changed: the source kept its keys`,
      details,
    )
  }
  return new AsmError(`atomic slot migration ${fromLabel} -> ${toLabel} failed: ${msg}`, 'nothing was changed: the source kept its keys; run `reshard check`, fix the cause, and re-run the command (or use --mechanism legacy)', details)
}
