// `reshard remove-node NODE`: drain it when it owns slots (the drain of `reshard drain`: same
// engine, events and safety), then forget it on every node (operations/remove-node).
import {Args, Flags} from '../cli/oclif.js'
import {engineFlags} from '../cli/engine-flags.js'
import {formatCommand} from '../cluster/membership.js'
import {AbortedError, EXIT_CODE_HELP} from '../errors.js'
import {makePlan} from '../operations/plan.js'
import {removalBlockers, removeNode, settleAfterDrain} from '../operations/remove-node.js'
import {openSession} from '../operations/session.js'
import {paint} from '../output/colour.js'
import {removeNodeView, type RemoveNodeRunDocument} from '../output/views/membership.js'
import {selectNode} from '../topology/node-selector.js'
import {nodeById, nodeLabel, type Topology} from '../topology/topology.js'
import {staleHint} from '../cli/mover-command.js'
import {drainFlags} from '../cli/plan-flags.js'
import {PlanRunnerCommand} from '../cli/plan-runner-command.js'
import type {PlanRunDocument} from '../operations/apply.js'

export default class RemoveNode extends PlanRunnerCommand<typeof RemoveNode> {
  static override summary = 'Remove a node from the cluster: drain it if it owns slots, then forget it everywhere'
  static override description = `A primary that owns slots is drained first, exactly like \`reshard drain\` (--to and --weight choose where its slots go). Replicas of the removed node are re-pointed to the primary with the fewest replicas (CLUSTER REPLICATE), so no replica is left without a primary. Then every other node gets CLUSTER FORGET at once: Redis bans a forgotten id for 60 s only, so all nodes must forget it within that window. Finally the node gets CLUSTER RESET SOFT (it stops gossiping and forgets the cluster) and, with --shutdown, SHUTDOWN.

Refuses (exit 3) while the node still owns a slot, holds keys as an empty primary, has a slot open, or another node does not answer. A node that is down can be removed: it is only forgotten.

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> remove-node nodeD --yes',
    '<%= config.bin %> remove-node 127.0.0.1:30007 --shutdown --yes --json',
    '<%= config.bin %> remove-node 3f2a --dry-run',
  ]
  static override args = {
    node: Args.string({description: 'the node to remove: id, id prefix, host:port or hostname', required: true}),
  }
  static override flags = {
    ...drainFlags,
    shutdown: Flags.boolean({description: 'send SHUTDOWN to the node once the cluster has forgotten it'}),
    wait: Flags.integer({description: 'seconds to wait for every node to agree (gossip)', default: 30, min: 1, max: 600}),
    ...engineFlags,
  }

  private confirmed = false

  async run(): Promise<RemoveNodeRunDocument> {
    const dryRun = this.flags['dry-run']
    const session = await openSession(await this.connection(), {dryRun, withKeys: true})
    this.onCleanup(() => session.close())
    const n = selectNode(session.topology, this.args.node, 'node to remove')
    const owns = n.role === 'primary' && n.slots.length > 0
    // What would stop the forget (an unreachable node, an open slot) stops us before the drain.
    const early = removalBlockers(session.topology, nodeById(asDrained(session.topology, n.id), n.id)!)
    if (early) throw early
    this.confirmed = await this.askBeforeChange(`Remove ${nodeLabel(n)} from the cluster${owns ? ` (its ${n.slots.length} slot(s) move to the other primaries first)` : ''}?`)
    if (!this.confirmed) throw new AbortedError('nothing was changed')
    let drained: PlanRunDocument | undefined
    let t = session.topology
    if (owns) {
      const plan = await makePlan(session.reader, t, {kind: 'drain', node: n.id, to: this.flags.to, weights: this.flags.weight})
      const again = `reshard remove-node ${this.args.node} --yes`
      drained = await this.runPlan(session, plan, again, {staleHint: staleHint(again)})
      if (!dryRun) t = await settleAfterDrain(() => session.reader.refresh(), n.id, this.flags.wait * 1000)
    }
    const human = !this.json && !this.flags.quiet
    const m = session.membership(Boolean(dryRun), (c) => {
      if (human) this.log(`${dryRun ? paint.dim('would send to') : paint.dim('send to')} ${formatCommand(c)}`)
    })
    // a dry run did not drain: show the rest as if it had
    if (dryRun && owns) t = asDrained(t, n.id)
    const doc = await removeNode(m, t, {nodeId: n.id, shutdown: this.flags.shutdown, timeoutMs: this.flags.wait * 1000})
    return this.present({...doc, drained}, removeNodeView)
  }

  protected override async confirmOrRefuse(): Promise<boolean> {
    return this.confirmed
  }
}

/** The topology a dry run shows the forget step against: the node owns nothing. */
function asDrained(t: Topology, id: string): Topology {
  return {...t, nodes: t.nodes.map((x) => (x.id === id ? {...x, slots: [], claims: [], keyCount: 0} : x))}
}
