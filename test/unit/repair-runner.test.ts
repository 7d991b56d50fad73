// The one step runner against a minimal in-memory admin (local to this file: it records what is
// sent and moves keys between maps). The dry run goes through the same runner with the real
// DryRunAdmin wrapped around the fake, and must announce exactly the steps the real run takes.
import {describe, expect, it} from 'vitest'
import type {ClusterAdmin, MigrateBatch, MigrateOptions, MigrateResult, SetSlotOp} from '../../src/cluster/cluster-admin.js'
import {DryRunAdmin} from '../../src/cluster/dry-run-admin.js'
import {EventBus, type MigrationEvent} from '../../src/events/events.js'
import {DEFAULT_ENGINE_OPTIONS} from '../../src/migration/options.js'
import {diagnoseSlot} from '../../src/migration/recovery-cases.js'
import {runSlotRepair, runTaskSteps, verifyAll, type RepairContext} from '../../src/migration/repair-runner.js'
import {cancelTaskSteps, describeStep, repairSteps} from '../../src/migration/repair-steps.js'
import {StopControl} from '../../src/migration/stop-control.js'
import type {Topology} from '../../src/topology/topology.js'
import {A, B, C, cluster, name, without} from './repair-fixtures.js'

const S = 100

/** Keys per node and slot, values by key; every command that changes something is logged. */
class RecordingAdmin {
  readonly dryRun = false
  readonly log: string[] = []
  readonly keys = new Map<string, Map<string, Buffer>>()
  /** After each SETSLOT: may return an error text, or request a stop. */
  onSetSlot?: (node: string, op: SetSlotOp) => string | undefined
  constructor(
    public view: Topology,
    slotKeys: Record<string, string[]>,
  ) {
    for (const [node, ks] of Object.entries(slotKeys)) this.keys.set(node, new Map(ks.map((k) => [k, Buffer.from(`v:${k}`)])))
  }
  on(node: string): Map<string, Buffer> {
    if (!this.keys.has(node)) this.keys.set(node, new Map())
    return this.keys.get(node)!
  }
  async refresh(): Promise<Topology> {
    return this.view
  }
  async setSlots(node: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    return ops.map((op) => {
      this.log.push(`${name(node)} SETSLOT ${op.slot} ${op.action}${op.nodeId ? ` ${name(op.nodeId)}` : ''}`)
      return this.onSetSlot?.(node, op)
    })
  }
  async countKeys(node: string, slots: readonly number[]): Promise<number[]> {
    return slots.map((s) => (s === S ? this.on(node).size : 0))
  }
  async getKeys(node: string, _slot: number, count: number): Promise<Buffer[]> {
    return [...this.on(node).keys()].slice(0, count).map((k) => Buffer.from(k))
  }
  async migrate(from: string, to: string, batches: readonly MigrateBatch[], o: MigrateOptions): Promise<MigrateResult> {
    const outcomes = batches.map((b) => {
      for (const k of b.keys) {
        const key = k.toString()
        if (this.on(to).has(key) && !b.replace) return {ok: false as const, error: 'BUSYKEY Target key name already exists.'}
        this.on(to).set(key, this.on(from).get(key)!)
        this.on(from).delete(key)
      }
      this.log.push(`${name(from)} MIGRATE ${b.keys.length} to ${name(to)}${b.replace ? ' REPLACE' : ''}${o.asking ? ' ASKING' : ''}`)
      return {ok: true as const, nokey: false}
    })
    return {outcomes, listed: o.listAfter ? await this.getKeys(from, S, o.listAfter.count) : undefined}
  }
  async dump(node: string, keys: readonly Buffer[]): Promise<Array<Buffer | null>> {
    return keys.map((k) => this.on(node).get(k.toString()) ?? null)
  }
  canonical(node: string, keys: readonly Buffer[]) {
    return this.dump(node, keys)
  }
  async ping(): Promise<boolean> {
    return true
  }
  async migrationCancel(node: string, id: string): Promise<number> {
    this.log.push(`${name(node)} CLUSTER MIGRATION CANCEL ID ${id}`)
    return 1
  }
  async cancelSlotMigrations(node: string): Promise<void> {
    this.log.push(`${name(node)} CLUSTER CANCELSLOTMIGRATIONS`)
  }
}

function context(admin: ClusterAdmin, reader: ClusterAdmin, t: Topology, stop = new StopControl()) {
  const bus = new EventBus()
  const events: MigrationEvent[] = []
  bus.on((e) => events.push(e))
  const ctx: RepairContext = {admin, reader, topology: t, opts: {...DEFAULT_ENGINE_OPTIONS, verifyDeadlineMs: 300}, bus, stop, name, pollMs: 5}
  const said = () => events.flatMap((e) => (e.type === 'recover-step' ? [e.action] : []))
  return {ctx, events, said}
}

const asAdmin = (x: RecordingAdmin) => x as unknown as ClusterAdmin

// Each: a broken state, the keys per node, and the owner the repair must end on.
const CASES = [
  {what: 'both open', t: () => cluster((x) => ((x.A.migrating = {[S]: B}), (x.B.importing = {[S]: A}))), keys: {[A]: ['k1', 'k2', 'k3'], [B]: ['k4']}, owner: B},
  {what: 'orphaned keys', t: () => cluster(), keys: {[A]: ['k1', 'k2'], [C]: ['k3', 'k4']}, owner: A},
  {what: 'unowned with keys on two nodes', t: () => cluster((x) => (x.A.claims = without(x.A.claims, S))), keys: {[A]: ['k1', 'k2', 'k3'], [C]: ['k4']}, owner: A},
  {what: 'half-init on the source', t: () => cluster((x) => (x.A.migrating = {[S]: B})), keys: {[A]: ['k1', 'k2']}, owner: B},
]

/** The cluster once slot S is owned by `owner` everywhere and open nowhere. */
const settledOn = (owner: string) =>
  cluster((x) => {
    x.A.claims = without(x.A.claims, S)
    ;[x.A, x.B, x.C].find((n) => n.id === owner)!.claims.push(S)
  })

const countsOf = (keys: Record<string, string[]>) => new Map(Object.entries(keys).map(([id, ks]) => [id, ks.length]))

describe('the step runner', () => {
  it.each(CASES)('$what: the dry run announces exactly the steps the real run takes, and only the real run changes anything', async (c) => {
    const t = c.t()
    const d = diagnoseSlot(t, S, countsOf(c.keys))!
    const plan = repairSteps(d, t)
    const announced = plan.steps.filter((s) => s.kind !== 'verify').map((s) => describeStep(s, name))

    const forDry = new RecordingAdmin(t, c.keys)
    const recorded: unknown[] = []
    const dry = new DryRunAdmin(asAdmin(forDry), (c) => recorded.push(c))
    await dry.refresh()
    const D = context(dry, asAdmin(forDry), t)
    const dryResult = await runSlotRepair(D.ctx, d, plan)
    expect(dryResult.outcome).toBe('dry-run')
    expect(forDry.log).toEqual([]) // nothing sent
    expect(recorded.length).toBeGreaterThan(0) // but every command recorded

    // the real run: the settled cluster is what its verify will see
    const real = new RecordingAdmin(settledOn(c.owner), c.keys)
    const R = context(asAdmin(real), asAdmin(real), t)
    const res = await runSlotRepair(R.ctx, d, plan)
    expect(res.outcome, res.message).toBe('fixed')
    expect(R.said()).toEqual(announced)
    expect(D.said()).toEqual(R.said())
    expect(dryResult.steps).toEqual(res.steps)
    // every key ends on the owner
    const all = Object.values(c.keys).flat().sort()
    expect([...real.on(c.owner).keys()].sort()).toEqual(all)
    expect(res.keysMoved).toBe(all.length - (c.keys[c.owner]?.length ?? 0))
  })

  it('a stop request ends the repair after the step in flight: nothing after it is sent', async () => {
    const t = cluster((x) => (x.A.migrating = {[S]: B}))
    const admin = new RecordingAdmin(t, {[A]: ['k1']})
    const stop = new StopControl()
    admin.onSetSlot = () => {
      stop.request('hard', 'interrupted by SIGINT')
      return undefined
    }
    const d = diagnoseSlot(t, S, countsOf({[A]: ['k1']}))!
    const {ctx, said} = context(asAdmin(admin), asAdmin(admin), t, stop)
    const r = await runSlotRepair(ctx, d, repairSteps(d, t))
    expect(admin.log).toEqual([`nodeB SETSLOT ${S} importing nodeA`])
    expect(said()).toHaveLength(2) // compare, then the SETSLOT in flight
    expect(r).toMatchObject({outcome: 'failed', interrupted: true})
    expect(r.message).toMatch(/^interrupted by SIGINT before: move 1 key\(s\) from nodeA to nodeB/)
  })

  it('a key on two nodes with different values stops the repair before any change (undecidable)', async () => {
    const t = cluster()
    const admin = new RecordingAdmin(t, {[A]: ['k1'], [C]: ['k1', 'k2']})
    admin.on(C).set('k1', Buffer.from('other'))
    const d = diagnoseSlot(t, S, countsOf({[A]: ['k1'], [C]: ['k1', 'k2']}))!
    const {ctx} = context(asAdmin(admin), asAdmin(admin), t)
    const r = await runSlotRepair(ctx, d, repairSteps(d, t))
    expect(r.outcome).toBe('undecidable')
    expect(r.keys).toEqual(['k1'])
    expect(r.message).toMatch(/1 key\(s\) exist on nodeA and on nodeC with different values: k1; clients last wrote the copies on nodeA/)
    expect(admin.log).toEqual([])
  })

  it('different copies where the holder serves the slot: its copies are kept (REPLACE) and the run says so', async () => {
    const t = cluster((x) => ((x.A.migrating = {[S]: B}), (x.B.importing = {[S]: A})))
    const admin = new RecordingAdmin(t, {[A]: ['k1', 'k2'], [B]: ['k1']})
    admin.on(B).set('k1', Buffer.from('late restore'))
    const d = diagnoseSlot(t, S, countsOf({[A]: ['k1', 'k2'], [B]: ['k1']}))!
    const {ctx, events} = context(asAdmin(admin), asAdmin(admin), t)
    const r = await runSlotRepair(ctx, d, repairSteps(d, t))
    expect(r.outcome, r.message).toBe('fixed')
    expect(admin.log).toContain('nodeA MIGRATE 2 to nodeB REPLACE')
    expect(admin.on(B).get('k1')!.toString()).toBe('v:k1')
    expect(events).toContainEqual(expect.objectContaining({type: 'warning', message: expect.stringMatching(/keep the copies clients last wrote on nodeA .*: k1/)}))
  })

  it('a refused SETSLOT fails the slot with the server message', async () => {
    const t = cluster((x) => (x.A.migrating = {[S]: B}))
    const admin = new RecordingAdmin(t, {[A]: ['k1']})
    admin.onSetSlot = () => 'ERR I am not the owner'
    const d = diagnoseSlot(t, S, countsOf({[A]: ['k1']}))!
    const {ctx} = context(asAdmin(admin), asAdmin(admin), t)
    const r = await runSlotRepair(ctx, d, repairSteps(d, t))
    expect(r).toMatchObject({outcome: 'failed', message: `CLUSTER SETSLOT ${S} IMPORTING failed on nodeB: ERR I am not the owner`})
    expect(admin.log).toHaveLength(1)
  })

  it('verify: a slot whose nodes do not agree on the new owner by the deadline is failed', async () => {
    const broken = cluster((x) => (x.A.migrating = {[S]: B}))
    const admin = new RecordingAdmin(broken, {})
    const {ctx} = context(asAdmin(admin), asAdmin(admin), broken)
    const results = [{slot: S, case: 'x', direction: 'forward' as const, ownerId: A, outcome: 'fixed' as const, keysMoved: 0, message: '', steps: []}]
    await verifyAll(ctx, results, 50)
    expect(results[0]).toMatchObject({outcome: 'failed', message: expect.stringMatching(/do not agree/)})
    admin.view = cluster()
    results[0]!.outcome = 'fixed'
    await verifyAll(ctx, results, 50)
    expect(results[0]!.outcome).toBe('fixed')
  })

  it('cancel steps go to the node that can cancel, per flavour; a stop before them sends nothing', async () => {
    const steps = cancelTaskSteps([
      {flavour: 'redis', driver: B, id: 'abc', slots: [0], source: A, target: B, why: 'stuck'},
      {flavour: 'valkey', driver: A, id: 'job', slots: [7], source: A, target: C, why: 'asked'},
    ])
    const admin = new RecordingAdmin(cluster(), {})
    const {ctx} = context(asAdmin(admin), asAdmin(admin), cluster())
    expect(await runTaskSteps(ctx, steps)).toHaveLength(2)
    expect(admin.log).toEqual(['nodeB CLUSTER MIGRATION CANCEL ID abc', 'nodeA CLUSTER CANCELSLOTMIGRATIONS'])
    const stopped = new RecordingAdmin(cluster(), {})
    const stop = new StopControl()
    stop.request('hard', 'interrupted by SIGINT')
    expect(await runTaskSteps(context(asAdmin(stopped), asAdmin(stopped), cluster(), stop).ctx, steps)).toEqual([])
    expect(stopped.log).toEqual([])
  })
})
