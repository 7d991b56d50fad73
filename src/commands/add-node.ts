// `reshard add-node HOST:PORT [--replica-of NODE]`: thin command over operations/add-node.
import {Args, Flags} from '../cli/oclif.js'
import {BaseCommand} from '../cli/base-command.js'
import {formatCommand} from '../cluster/membership.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {addNode, type AddNodeDocument} from '../operations/add-node.js'
import {parseNodeAddress} from '../operations/membership-wait.js'
import {openSession} from '../operations/session.js'
import {paint} from '../output/colour.js'
import {addNodeView} from '../output/views/membership.js'
import {membershipFlags} from '../cli/membership-flags.js'

export default class AddNode extends BaseCommand<typeof AddNode> {
  static override summary = 'Add a fresh cluster-enabled node as an empty primary, or as a replica'
  static override description = `Sends CLUSTER MEET for the node from a primary of the cluster and waits (up to --wait seconds) until every node knows it, the node knows every node and reports cluster_state:ok. With --replica-of it then sends CLUSTER REPLICATE to the node and waits until every node sees it as that primary's replica. An empty new primary gets slots with \`reshard rebalance --use-empty-primaries\` or \`reshard move --count N --to NODE\`.

Refuses (exit 3) a node that already belongs to a cluster or holds keys. Re-running is safe: for a node that is already a member (and already the replica asked for) nothing is sent.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> add-node 127.0.0.1:30007 --yes',
    '<%= config.bin %> add-node 10.0.0.9:6379 --replica-of nodeA --yes',
    '<%= config.bin %> add-node 127.0.0.1:30007 --dry-run',
  ]
  static override args = {
    address: Args.string({description: 'the new node, HOST:PORT (cluster-enabled, empty, in no cluster)', required: true}),
  }
  static override flags = {
    'replica-of': Flags.string({description: 'make the new node a replica of this primary: id, id prefix, host:port or hostname'}),
    ...membershipFlags,
  }

  async run(): Promise<AddNodeDocument> {
    // a malformed address is a usage error before any connection
    parseNodeAddress(this.args.address)
    const session = await openSession(await this.connection())
    this.onCleanup(() => session.close())
    const dryRun = this.flags['dry-run']
    const human = !this.json && !this.flags.quiet
    const m = session.membership(Boolean(dryRun), (c) => {
      if (human) this.log(`${dryRun ? paint.dim('would send to') : paint.dim('send to')} ${formatCommand(c)}`)
    })
    const doc = await addNode(m, session.topology, {
      address: this.args.address,
      replicaOf: this.flags['replica-of'],
      timeoutMs: this.flags.wait * 1000,
      confirm: (q) => this.askBeforeChange(q),
    })
    return this.present(doc, addNodeView)
  }
}
