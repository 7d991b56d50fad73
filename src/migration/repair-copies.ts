// The read-only check a repair makes before any key moves (step compare-copies): a key present on
// a holder and on the node that keeps the slot with different values cannot be decided, unless
// the holder serves the slot (its copy is the one clients wrote last). Reads only.
import type {ClusterReader} from '../cluster/cluster-admin.js'
import {printable} from '../cluster/migrate-args.js'
import type {SlotDiagnosis} from './recovery-cases.js'
import {compareValues} from './value-compare.js'

export interface CopiesVerdict {
  /** Keys that differ and cannot be decided (printable), and the first holder with one. */
  conflicts: string[]
  conflictHolder?: string
  /** A copy could not be read to compare. */
  unreadable: boolean
  /** holder -> keys whose copy on the holder is kept (it serves the slot). */
  served: Map<string, string[]>
}

/** Compare every key of `slot` on each holder with its copy on `keeper` (in chunks of 1000). */
export async function compareCopies(reader: ClusterReader, slot: number, keeper: string, holders: ReadonlyArray<{id: string; keys: number}>, servedBy: string | undefined, replace: boolean): Promise<CopiesVerdict> {
  const out: CopiesVerdict = {conflicts: [], unreadable: false, served: new Map()}
  for (const h of holders) {
    const keys = await reader.getKeys(h.id, slot, h.keys + 100)
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000)
      const onKeeper = await reader.dump(keeper, chunk)
      const both = chunk.filter((_, j) => onKeeper[j] !== null && onKeeper[j] !== undefined)
      if (both.length === 0) continue
      const onH = await reader.dump(h.id, both)
      const verdicts = await compareValues(reader, h.id, keeper, both, onH, both.map((k) => onKeeper[chunk.indexOf(k)]))
      both.forEach((k, j) => {
        if (replace || verdicts[j] === 'same' || verdicts[j] === 'absent') return
        // The holder serves the slot (it owns it, MIGRATING): clients read and write every key
        // it holds there, so its copy is the newest and the one on the keeper is unreachable
        // (e.g. the late RESTORE of a batch that timed out on a frozen target). Keeping it loses nothing.
        if (verdicts[j] === 'different' && servedBy === h.id && h.id !== keeper) {
          out.served.set(h.id, [...(out.served.get(h.id) ?? []), printable(k)])
          return
        }
        if (verdicts[j] === 'unreadable') out.unreadable = true
        out.conflicts.push(printable(k))
        out.conflictHolder ??= h.id
      })
    }
  }
  return out
}

/**
 * Which of two different copies clients wrote last, and the next step that keeps it. Clients are
 * routed to the node that owns the slot (the claimant, highest config epoch). An owner serves
 * every key it holds itself (MIGRATING redirects only keys it lacks), so where the owner holds a
 * copy, that copy is the one clients read and wrote; the other copy became unreachable when the
 * owner got its own, and is the older one. `--replace` keeps the copies being moved (the other
 * node's): it is suggested only when those are the newer ones.
 */
export function whichIsNewer(d: Pick<SlotDiagnosis, 'claimant'>, holder: string, keeper: string, name: (id: string) => string): string {
  const served = d.claimant
  if (served === holder) {
    return `clients last wrote the copies on ${name(holder)}: it owns the slot and serves every key it holds, so the copies on ${name(keeper)} were unreachable and are older; re-run with --replace to keep the copies on ${name(holder)}`
  }
  if (served === keeper) {
    return `clients last wrote the copies on ${name(keeper)}: it owns the slot and serves every key it holds, so the copies on ${name(holder)} were unreachable and are older; do NOT use --replace (it would overwrite the newer copies): delete the older copies on ${name(holder)}, then run \`reshard recover\` again`
  }
  return 'no single node owns the slot, so which copy clients wrote last cannot be told; compare the copies by hand, keep one, then run `reshard recover` again'
}
