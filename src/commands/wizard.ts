import type {ConnectionOptions} from '../cluster/connection.js'
import {resolveConnection} from '../cli/connection-target.js'
import {AbortedError, EXIT_CODE_HELP, ReshardError, UsageError} from '../errors.js'
import {EventBus} from '../events/events.js'
import {makePlan} from '../operations/plan.js'
import {recover} from '../operations/recover.js'
import {addNode} from '../operations/add-node.js'
import {removeNode, settleAfterDrain} from '../operations/remove-node.js'
import {formatCommand} from '../cluster/membership.js'
import type {MovePreview, MoveRunDocument} from '../operations/run-moves.js'
import {openSession, type Session} from '../operations/session.js'
import {statusOf} from '../operations/status.js'
import {paint} from '../output/colour.js'
import {renderPreview} from '../output/plan-table.js'
import {attachReporter} from '../output/progress.js'
import {renderStatus} from '../output/views/status.js'
import type {Plan} from '../planner/index.js'
import {askPassword} from '../prompts/password.js'
import * as q from '../prompts/wizard-questions.js'
import {formatSlots} from '../topology/slot-set.js'
import {nameOf, nodeById, primaries, type Topology} from '../topology/topology.js'
import {MoverCommand, staleHint} from '../cli/mover-command.js'
import {engineFlags} from '../cli/engine-flags.js'

/** Rough planning figure for the preview; the real rate is printed at the end. */
const ESTIMATED_KEYS_PER_SECOND = 60_000
const ESTIMATED_MS_PER_SLOT = 2

export default class Wizard extends MoverCommand<typeof Wizard> {
  static override summary = 'A guided migration: see the cluster, choose what to move, preview, run'
  static override description = `Walks you through moving slots, rebalancing, draining a primary, adding or removing a node, or recovering open slots. It shows the plan, the keys to move, an estimate of the time and the equivalent non-interactive command before anything changes. Needs a terminal; scripts use the other commands. Ctrl-C at any question exits with 130 and changes nothing.

${EXIT_CODE_HELP}`
  static override examples = ['<%= config.bin %> wizard', '<%= config.bin %> wizard -c 10.0.0.1:6379']
  static override enableJsonFlag = false
  static override flags = {
    'batch-size': engineFlags['batch-size'],
    'max-pause': engineFlags['max-pause'],
    parallel: engineFlags.parallel,
    mechanism: engineFlags.mechanism,
  }

  /** The command line the operator could have typed, shown before confirmation. */
  private equivalent = ''

  async run(): Promise<void> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UsageError('the wizard needs a terminal', 'in scripts use `reshard move`, `reshard rebalance`, `reshard drain` or `reshard recover` with --yes')
    }
    try {
      await this.flow()
    } catch (e) {
      // Ctrl-C inside an @inquirer prompt
      if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) throw new AbortedError('cancelled; nothing was changed')
      throw e
    }
  }

  private async connect(): Promise<Session> {
    let conn: ConnectionOptions
    try {
      conn = await this.connection()
    } catch (e) {
      if (!(e instanceof UsageError) || !/no cluster given/.test(e.message)) throw e
      conn = await resolveConnection({cluster: [await q.askSeed()]})
    }
    try {
      return await openSession(conn)
    } catch (e) {
      if (e instanceof ReshardError && e.kind === 'auth' && !conn.password) {
        this.log(paint.yellow('The cluster asks for a password.'))
        conn = {...conn, password: await askPassword('Password:')}
        return openSession(conn)
      }
      throw e
    }
  }

  private async flow(): Promise<void> {
    let session = await this.connect()
    this.onCleanup(() => session.close())
    const refresh = async () => {
      await session.close()
      session = await openSession(session.conn, {withKeys: true})
    }
    await refresh()
    this.log(renderStatus(statusOf(session.topology)))
    this.log('')
    const t = session.topology
    const task = await q.askTask(new Set(t.open.map((o) => o.slot)).size)
    if (task === 'quit') return
    if (task === 'recover') return this.runRecover(session)
    if (task === 'add-node') return this.runAddNode(session)
    if (task === 'remove-node') return this.runRemoveNode(session)

    const choices = this.nodeChoices(t)
    // the same plans as `reshard move|rebalance|drain` (makePlan), run through the same path
    let plan: Plan
    if (task === 'move') {
      const from = await q.askNode('Move slots from which primary?', choices.filter((c) => c.slots > 0))
      const to = await q.askNode('To which primary?', choices, [from])
      const slots = await this.askSlots(session, from)
      plan = await makePlan(session.reader, t, {kind: 'move', slots, to, from}, {keys: false})
      this.equivalent = `reshard move ${formatSlots(slots)} --from ${nameOf(t, from)} --to ${nameOf(t, to)} --yes`
    } else if (task === 'rebalance') {
      const threshold = await q.askThreshold()
      plan = await makePlan(session.reader, t, {kind: 'rebalance', threshold, useEmptyPrimaries: true})
      this.equivalent = `reshard rebalance --threshold ${threshold} --use-empty-primaries --yes`
      if (plan.moves.length === 0) {
        this.log(paint.green(`Already balanced within ${threshold}%: nothing to move.`))
        return
      }
    } else {
      const node = await q.askNode('Drain which primary?', choices.filter((c) => c.slots > 0))
      plan = await makePlan(session.reader, t, {kind: 'drain', node})
      this.equivalent = `reshard drain ${nameOf(t, node)} --yes`
    }
    const doc: MoveRunDocument = await this.executePlan(session, plan, this.equivalent, {staleHint: staleHint(this.equivalent), listAlreadyOwned: true})
    this.log('')
    this.log(paint.green(`Moved ${doc.moved.filter((m) => m.outcome === 'done').length} slot(s) and ${doc.keys} keys in ${(doc.ms / 1000).toFixed(2)} s (${doc.keysPerSecond} keys/s).`))
    this.log(`Next time, without the wizard: ${paint.bold(this.equivalent)}`)
    this.log('')
    await refresh()
    this.log(renderStatus(statusOf(session.topology)))
  }

  /** The wizard's preview: plan table, keys, time estimate, the command line; then confirm. */
  protected override async confirmOrRefuse(p: MovePreview, session: Session): Promise<boolean> {
    const seconds = p.keys / ESTIMATED_KEYS_PER_SECOND + (p.todo.length * ESTIMATED_MS_PER_SLOT) / 1000
    this.log('')
    this.log(paint.bold('Plan'))
    this.log(renderPreview(p, session.topology))
    this.log(`keys to move: ${p.keys}, estimated time: ${seconds < 1 ? 'under a second' : `about ${Math.ceil(seconds)} s`}`)
    this.log(`equivalent command: ${paint.bold(this.equivalent)}`)
    this.log('')
    return q.askConfirm('Run it now?')
  }

  private async askSlots(session: Session, from: string): Promise<number[]> {
    const t = session.topology
    const owned = nodeById(t, from)!.slots
    const mode = await q.askSlotMode()
    if (mode === 'count') {
      const n = await q.askSlotCount(owned.length)
      const order = await q.askSlotOrder()
      if (order === 'lowest') return owned.slice(0, n)
      const counts = await session.admin.countKeys(from, owned)
      return owned
        .map((s, i) => ({s, k: counts[i]!}))
        .sort((a, b) => a.k - b.k || a.s - b.s)
        .slice(0, n)
        .map((x) => x.s)
        .sort((a, b) => a - b)
    }
    const lo = owned[0] ?? 0
    const example = mode === 'range' ? `${lo}-${Math.min(lo + 99, owned.at(-1) ?? lo)}` : `${lo},${owned[1] ?? lo}`
    return q.askSlotExpression(mode, new Set(owned), example)
  }

  /** Add a node: the same operation as `reshard add-node`, after the equivalent command and a yes. */
  private async runAddNode(session: Session): Promise<void> {
    const t = session.topology
    const address = await q.askNewNodeAddress()
    const replicaOf = await q.askNewNodeRole(this.nodeChoices(t))
    this.equivalent = `reshard add-node ${address}${replicaOf ? ` --replica-of ${nameOf(t, replicaOf)}` : ''} --yes`
    const m = session.membership(false, (c) => this.log(`${paint.dim('send to')} ${formatCommand(c)}`))
    const doc = await addNode(m, t, {
      address,
      replicaOf,
      timeoutMs: 30_000,
      confirm: async (question) => {
        this.log(`equivalent command: ${paint.bold(this.equivalent)}`)
        return q.askConfirm(question)
      },
    })
    if (!doc.alreadyMember || doc.commands.length > 0) this.log(paint.green(`${address} joined as ${replicaOf ? `a replica of ${nameOf(t, replicaOf)}` : 'an empty primary'}; all ${doc.knownBy} nodes agree.`))
    else this.log(paint.green(`${address} is already in the cluster; nothing to do.`))
    await this.finish(session)
  }

  /** Remove a node: drained first through the engine when it owns slots, then forgotten everywhere. */
  private async runRemoveNode(session: Session): Promise<void> {
    const t = session.topology
    const choices = t.nodes.filter((n) => n.reachable || n.failed).map((n) => ({id: n.id, hostname: n.hostname, address: n.address, slots: n.slots.length, keys: n.role === 'primary' ? n.keyCount : undefined}))
    const id = await q.askNode('Remove which node?', choices)
    const node = nodeById(t, id)!
    this.equivalent = `reshard remove-node ${nameOf(t, id)} --yes`
    let view = t
    if (node.role === 'primary' && node.slots.length > 0) {
      this.log(`${nameOf(t, id)} owns ${node.slots.length} slot(s): they move to the other primaries first.`)
      const plan = await makePlan(session.reader, t, {kind: 'drain', node: id})
      await this.executePlan(session, plan, this.equivalent, {staleHint: staleHint(this.equivalent)})
      view = await settleAfterDrain(() => session.reader.refresh(), id, 30_000)
    } else {
      this.log(`equivalent command: ${paint.bold(this.equivalent)}`)
      if (!(await q.askConfirm(`Remove ${nameOf(t, id)} (${node.address}) from the cluster?`))) throw new AbortedError('nothing was changed')
    }
    const m = session.membership(false, (c) => this.log(`${paint.dim('send to')} ${formatCommand(c)}`))
    const doc = await removeNode(m, view, {nodeId: id, shutdown: false, timeoutMs: 30_000})
    this.log(paint.green(`Removed ${doc.node.name}: forgotten by all ${doc.forgottenBy} other node(s); it was reset and is still running.`))
    await this.finish(session)
  }

  private async finish(session: Session): Promise<void> {
    this.log(`Next time, without the wizard: ${paint.bold(this.equivalent)}`)
    this.log('')
    await session.close()
    const fresh = await openSession(session.conn, {withKeys: true})
    this.onCleanup(() => fresh.close())
    this.log(renderStatus(statusOf(fresh.topology)))
  }

  private async runRecover(session: Session): Promise<void> {
    const bus = new EventBus()
    const reporter = attachReporter(bus, 'plain')
    try {
      const doc = await recover(session, bus, {
        confirm: async (found) => {
          for (const d of found) this.log(`slot ${d.slot}: ${d.case}${d.reason ? ` - ${d.reason}` : ''}`)
          this.log(`equivalent command: ${paint.bold('reshard recover --yes')}`)
          return q.askConfirm(`Repair ${found.length} slot(s)?`)
        },
      })
      this.log(paint.green(doc.slots.length ? `Repaired ${doc.slots.length} slot(s).` : 'Nothing to recover.'))
    } finally {
      reporter.stop()
    }
  }

  private nodeChoices(t: Topology): q.NodeChoice[] {
    return primaries(t)
      .filter((p) => p.reachable)
      .map((p) => ({id: p.id, hostname: p.hostname, address: p.address, slots: p.slots.length, keys: p.keyCount}))
  }

}
