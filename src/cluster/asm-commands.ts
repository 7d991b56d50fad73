// The atomic slot migration commands on one node's client (servers/ASM.md), and the parsing of
// their replies into one AsmTask shape. Replies are maps (RESP3) or flat key/value arrays (RESP2).
import type {Redis} from 'ioredis'
import type {AsmFlavour, AsmTask} from './cluster-admin.js'

/** COMMAND INFO CLUSTER|MIGRATESLOTS CLUSTER|MIGRATION: each element is null or the command's info. */
export async function readFlavour(c: Redis): Promise<AsmFlavour | 'none'> {
  const info = (await c.call('COMMAND', 'INFO', 'CLUSTER|MIGRATESLOTS', 'CLUSTER|MIGRATION')) as unknown[]
  const has = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)
  if (has(info?.[0])) return 'valkey'
  if (has(info?.[1])) return 'redis'
  return 'none'
}

export function rangeArgs(ranges: ReadonlyArray<readonly [number, number]>): string[] {
  return ranges.flatMap(([s, e]) => [String(s), String(e)])
}

/** A map reply (RESP3 Map or object, or a RESP2 flat array) as a plain record of strings. */
export function asRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  const put = (k: unknown, x: unknown) => {
    out[String(k)] = x === null || x === undefined ? '' : Buffer.isBuffer(x) ? x.toString() : String(x)
  }
  if (v instanceof Map) for (const [k, x] of v) put(k, x)
  else if (Array.isArray(v)) for (let i = 0; i + 1 < v.length; i += 2) put(v[i], v[i + 1])
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) put(k, x)
  return out
}

export function valkeyTask(v: unknown): AsmTask {
  const r = asRecord(v)
  return {
    id: r.name ?? '',
    operation: /^import$/i.test(r.operation ?? '') ? 'import' : 'export',
    ranges: r.slot_ranges ?? '',
    source: r.source_node ?? '',
    target: r.target_node ?? '',
    state: r.state ?? '',
    error: r.message ?? '',
    retries: 0,
  }
}

export function redisTask(v: unknown): AsmTask {
  const r = asRecord(v)
  return {
    id: r.id ?? '',
    operation: /^import$/i.test(r.operation ?? '') ? 'import' : 'export',
    ranges: r.slots ?? '',
    source: r.source ?? '',
    target: r.dest ?? '',
    state: r.state ?? '',
    error: r.last_error ?? '',
    retries: Number(r.retries ?? 0) || 0,
  }
}

export async function getSlotMigrations(c: Redis): Promise<AsmTask[]> {
  const r = (await c.call('CLUSTER', 'GETSLOTMIGRATIONS')) as unknown[]
  return (r ?? []).map(valkeyTask)
}

export async function migrationStatus(c: Redis, id?: string): Promise<AsmTask[]> {
  const r = (await (id === undefined ? c.call('CLUSTER', 'MIGRATION', 'STATUS', 'ALL') : c.call('CLUSTER', 'MIGRATION', 'STATUS', 'ID', id))) as unknown[]
  return (r ?? []).map(redisTask)
}

/** The exact command lines, for dry-run and messages. */
export const asmCommandText = {
  migrateSlots: (ranges: ReadonlyArray<readonly [number, number]>, targetId: string) => `CLUSTER MIGRATESLOTS SLOTSRANGE ${rangeArgs(ranges).join(' ')} NODE ${targetId}`,
  cancelSlotMigrations: () => 'CLUSTER CANCELSLOTMIGRATIONS',
  getSlotMigrations: () => 'CLUSTER GETSLOTMIGRATIONS',
  migrationImport: (ranges: ReadonlyArray<readonly [number, number]>) => `CLUSTER MIGRATION IMPORT ${rangeArgs(ranges).join(' ')}`,
  migrationStatus: (id?: string) => (id === undefined ? 'CLUSTER MIGRATION STATUS ALL' : `CLUSTER MIGRATION STATUS ID ${id}`),
  migrationCancel: (id: string) => `CLUSTER MIGRATION CANCEL ID ${id}`,
}
