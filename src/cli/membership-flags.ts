// Flags that add-node and remove-node share.
import {Flags} from './oclif.js'

export const membershipFlags = {
  yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (required when stdin is not a terminal)'}),
  'dry-run': Flags.boolean({description: 'print the exact commands that would be sent; change nothing'}),
  wait: Flags.integer({description: 'seconds to wait for every node to agree (gossip)', default: 30, min: 1, max: 600}),
}
