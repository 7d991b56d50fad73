// The argument rules `move` and `plan move` share: slots or --count, and --to.
import {UsageError} from '../errors.js'

/** Slots or --count (one of them) and --to: one-line usage errors that show the fix. */
export function checkMoveArgs(slots: string | undefined, f: {to?: string; count?: number; from?: string}): {slotsText?: string; count?: number; to: string} {
  if (slots !== undefined && f.count !== undefined) {
    throw new UsageError('give slots or --count, not both', `e.g. \`reshard move ${slots} --to ${f.to ?? 'nodeB'}\` or \`reshard move --count ${f.count} --to ${f.to ?? 'nodeB'}\``)
  }
  if (slots === undefined && f.count === undefined) {
    throw new UsageError('no slots given: say which slots to move, or how many', `e.g. \`reshard move 0-99 --to ${f.to ?? 'nodeB'}\` or \`reshard move --count 100 --to ${f.to ?? 'nodeB'}\``)
  }
  if (!f.to) {
    const what = slots ?? `--count ${f.count}`
    throw new UsageError('missing --to: name the primary that takes the slots', `e.g. \`reshard move ${what} --to nodeB\` (see \`reshard status\` for names)`)
  }
  if (slots !== undefined && f.from !== undefined && f.from.includes(',')) {
    throw new UsageError('--from takes one node when slots are given', 'leave --from out (each slot comes from its owner), or use --count with --from A,B')
  }
  return {slotsText: slots, count: f.count, to: f.to}
}
