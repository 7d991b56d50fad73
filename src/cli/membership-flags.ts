// Flags and the confirmation that add-node and remove-node share.
import {Flags} from './oclif.js'
import {UsageError} from '../errors.js'

export const membershipFlags = {
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required when stdin is not a terminal)'}),
  'dry-run': Flags.boolean({description: 'print the exact commands that would be sent; change nothing'}),
  wait: Flags.integer({description: 'seconds to wait for every node to agree (gossip)', default: 30, min: 1, max: 600}),
}

interface Confirmer {
  flags: unknown
  interactive: boolean
}

/** --yes and --dry-run need no answer; without a terminal we refuse rather than wait for input. */
export async function confirmChange(cmd: unknown, question: string): Promise<boolean> {
  const c = cmd as Confirmer
  const f = c.flags as Record<string, unknown>
  if (f.yes || f['dry-run']) return true
  if (!c.interactive) {
    throw new UsageError('refusing to change the cluster without --yes: stdin is not a terminal', 'add --yes to run without confirmation, or --dry-run to preview')
  }
  const {confirm} = await import('@inquirer/prompts')
  try {
    return await confirm({message: question, default: false})
  } catch {
    return false
  }
}
