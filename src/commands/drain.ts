// `reshard drain NODE`: `plan drain` + `apply`, then what became of the drained node.
import {engineFlags} from '../cli/engine-flags.js'
import {EXIT_CODE_HELP} from '../errors.js'
import {goalCommand, makePlan, writePlanFile} from '../operations/plan.js'
import {openSession, type Session} from '../operations/session.js'
import {paint} from '../output/colour.js'
import {nodeById, shortName, type Topology} from '../topology/topology.js'
import {PlanRunnerCommand, type PlanRunDocument} from './apply.js'
import {drainArgs, drainFlags, drainGoal} from './plan/drain.js'
import {outputFlag} from './plan/rebalance.js'

export interface DrainedNode {
  id: string
  name: string
  address: string
  /** The node's own view after the run. */
  role: 'primary' | 'replica' | 'unknown'
  /** For a replica: the primary it now follows. */
  primary?: string
  slots: number
  keys?: number
  message: string
}

export type DrainDocument = PlanRunDocument & {drained: DrainedNode}

export default class Drain extends PlanRunnerCommand<typeof Drain> {
  static override summary = 'Empty a primary: move all its slots to the other primaries, live'
  static override description = `Makes the plan \`reshard plan drain\` would print and runs it like \`reshard apply\`, then reports what became of the node. By default Redis turns a primary that lost its last slot into a replica of the new owner (cluster-allow-replica-migration); otherwise it stays an empty primary. Either way \`reshard remove-node NODE\` takes it out of the cluster (it also drains, so it can replace this command when the node is to go).

${EXIT_CODE_HELP}`
  static override examples = [
    '<%= config.bin %> drain nodeC --yes',
    '<%= config.bin %> drain 127.0.0.1:30003 --to nodeA --to nodeB --dry-run',
    '<%= config.bin %> drain nodeC --yes --json -o drain-plan.json',
  ]
  static override args = drainArgs
  static override flags = {
    ...drainFlags,
    output: outputFlag,
    ...engineFlags,
  }

  async run(): Promise<DrainDocument> {
    const goal = drainGoal(this.args.node, this.flags)
    const session = await openSession(await this.connection(), {dryRun: this.flags['dry-run'], withKeys: true})
    this.onCleanup(() => session.close())
    const plan = await makePlan(session.real, session.topology, goal)
    if (this.flags.output) await writePlanFile(this.flags.output, plan)
    const nodeId = String(plan.options.node)
    const resume = this.flags.output ? `reshard apply ${this.flags.output} --yes` : `${goalCommand(goal, 'drain')} --yes`
    const doc = await this.runPlan(session, plan, resume)

    const drained = session.admin.dryRun ? describeDrained(session.topology, nodeId, true) : await this.settle(session, nodeId)
    if (!this.json) this.log(drained.role === 'unknown' ? paint.yellow(drained.message) : paint.green(drained.message))
    return {...doc, drained}
  }

  /** Re-read the cluster: roles are never cached (docs/architecture.md "Safety rules"). The node's own view decides. */
  private async settle(session: Session, nodeId: string): Promise<DrainedNode> {
    const deadline = Date.now() + 2000
    for (;;) {
      const t = await session.real.refresh()
      const d = describeDrained(t, nodeId, false)
      // A replica, or an empty primary that the others see empty too, is the final answer.
      if (d.role === 'replica' || Date.now() > deadline || (d.role === 'primary' && d.slots === 0 && t.disagreements.length === 0)) return d
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

function describeDrained(t: Topology, id: string, dryRun: boolean): DrainedNode {
  const n = nodeById(t, id)
  if (!n) return {id, name: id.slice(0, 8), address: '?', role: 'unknown', slots: 0, message: `node ${id.slice(0, 8)} is no longer in the cluster`}
  const name = shortName(n)
  // A replica's DBSIZE is its primary's data: report keys of a primary only.
  const base = {id, name, address: n.address, slots: n.slots.length, keys: n.role === 'primary' ? n.keyCount : undefined}
  if (dryRun) return {...base, role: n.role, message: `dry run: ${name} was not changed (it still owns ${n.slots.length} slot(s))`}
  if (!n.reachable) return {...base, role: 'unknown', message: `${name} did not answer after the drain; run \`reshard status\``}
  if (n.role === 'replica') {
    const p = n.primaryId ? nodeById(t, n.primaryId) : undefined
    const primary = p ? shortName(p) : n.primaryId?.slice(0, 8)
    return {...base, role: 'replica', primary, message: `${name} now has no slots and is a replica of ${primary ?? 'another primary'}`}
  }
  if (n.slots.length > 0) return {...base, role: 'primary', message: `${name} still owns ${n.slots.length} slot(s); run \`reshard status\``}
  return {
    ...base,
    role: 'primary',
    message: `${name} is an empty primary; remove it with \`reshard remove-node ${name}\` or keep it`,
  }
}
