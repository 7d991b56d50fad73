// Diagnosis and repair steps of every case of recovery-cases.ts, pure: the topology is built from
// each node's CLUSTER NODES (repair-fixtures.ts), the diagnosis from it and key counts, the steps
// from the diagnosis. Each row names the case and the exact steps, so a changed order or a
// dropped step fails its row.
import {describe, expect, it} from 'vitest'
import {diagnoseSlot, type RecoveryCase} from '../../src/migration/recovery-cases.js'
import {describeStep, repairSteps, type RepairStep} from '../../src/migration/repair-steps.js'
import {repairProbes} from '../../src/migration/repair-rights.js'
import {sortTasks} from '../../src/operations/recover.js'
import type {RunningAsmTask} from '../../src/operations/asm-tasks.js'
import type {Topology} from '../../src/topology/topology.js'
import {A, B, C, cluster, name, without} from './repair-fixtures.js'

const n = (id?: string) => name(id).replace('node', '')

/** A step in a few letters: "setslot B importing<-A", "migrate A>B ask", "announce B to A,C". */
function compact(s: RepairStep): string {
  switch (s.kind) {
    case 'setslot':
      return `setslot ${n(s.node)} ${s.action}${s.peer ? ` ${n(s.peer)}` : ''}`
    case 'announce-owner':
      return `announce ${n(s.owner)} to ${s.nodes.map(n).join(',')}`
    case 'wait-owner':
      return `wait ${n(s.owner)}`
    case 'compare-copies':
      return `compare ${s.holders.map(n).join(',')} with ${n(s.keeper)}`
    case 'migrate-keys':
      return `migrate ${s.keys} ${n(s.from)}>${n(s.to)}${s.asking ? ' ask' : ''}${s.keepServed ? ' keep' : ''}`
    case 'expect-no-keys':
      return `expect-empty ${s.nodes.map(n).join(',')}${s.reopen ? ` reopen ${n(s.reopen.node)}` : ''}`
    case 'move-slot':
      return `move ${n(s.from)}>${n(s.to)}`
    case 'cancel-asm-task':
      return `cancel ${s.id} on ${n(s.node)}`
    case 'verify':
      return `verify ${n(s.owner)}`
  }
}

const S = 100 // a slot of A
const keys = (m: Record<string, number>) => new Map(Object.entries(m))

interface Row {
  what: string
  t: Topology
  counts: Map<string, number>
  case: RecoveryCase
  rollback?: boolean
  owner?: string
  steps: string[]
}

const halfInitMigrating = cluster((x) => (x.A.migrating = {[S]: B}))
const halfInitImporting = cluster((x) => (x.B.importing = {[S]: A}))
const bothOpen = cluster((x) => {
  x.A.migrating = {[S]: B}
  x.B.importing = {[S]: A}
})
// the source gave the slot away (SETSLOT NODE B on A clears its MIGRATING), B still imports
const halfFinalisedOnMigrating = cluster((x) => {
  x.A.claims = without(x.A.claims, S)
  x.B.importing = {[S]: A}
})
// B took the slot with a higher epoch, A still claims it and migrates
const halfFinalisedOnImporting = cluster((x) => {
  x.A.migrating = {[S]: B}
  x.B.claims = [S, ...x.B.claims]
})
const unowned = cluster((x) => (x.A.claims = without(x.A.claims, S)))

const ROWS: Row[] = [
  {what: 'half-init on the source, forward', t: halfInitMigrating, counts: keys({[A]: 5}), case: 'half-init-migrating-only', owner: B,
    steps: ['compare A with B', 'setslot B importing A', 'migrate 5 A>B keep', 'expect-empty A,C', 'setslot B node B', 'announce B to A,C', 'verify B']},
  {what: 'half-init on the source, rollback', t: halfInitMigrating, counts: keys({[A]: 5}), case: 'half-init-migrating-only', rollback: true, owner: A,
    steps: ['expect-empty B,C reopen B', 'setslot A stable', 'announce A to B,C', 'verify A']},
  {what: 'half-init on the target, forward', t: halfInitImporting, counts: keys({[A]: 5}), case: 'half-init-importing-only', owner: B,
    steps: ['compare A with B', 'setslot A migrating B', 'migrate 5 A>B keep', 'expect-empty A,C', 'setslot B node B', 'announce B to A,C', 'verify B']},
  {what: 'half-init on the target, rollback: the mark on the target goes', t: halfInitImporting, counts: keys({[A]: 5}), case: 'half-init-importing-only', rollback: true, owner: A,
    steps: ['setslot B stable', 'expect-empty B,C', 'announce A to B,C', 'verify A']},
  {what: 'both open, forward', t: bothOpen, counts: keys({[A]: 3, [B]: 2}), case: 'both-open', owner: B,
    steps: ['compare A with B', 'migrate 3 A>B keep', 'expect-empty A,C', 'setslot B node B', 'announce B to A,C', 'verify B']},
  {what: 'both open, rollback with keys on the target: forward first, then a normal move back', t: bothOpen, counts: keys({[A]: 3, [B]: 2}), case: 'both-open', rollback: true, owner: A,
    steps: ['compare A with B', 'migrate 3 A>B keep', 'expect-empty A,C', 'setslot B node B', 'announce B to A,C', 'wait B', 'move B>A', 'verify A']},
  {what: 'both open, rollback before any key moved', t: bothOpen, counts: keys({[A]: 3}), case: 'both-open', rollback: true, owner: A,
    steps: ['setslot B stable', 'expect-empty B,C reopen B', 'setslot A stable', 'announce A to B,C', 'verify A']},
  {what: 'half-finalised on the source', t: halfFinalisedOnMigrating, counts: keys({[B]: 5}), case: 'half-finalised-on-migrating', owner: B,
    steps: ['setslot B node B', 'expect-empty A,C', 'announce B to A,C', 'verify B']},
  // SETSLOT NODE B on A (the announcement) also ends A's MIGRATING
  {what: 'half-finalised on the target: the source learns the owner', t: halfFinalisedOnImporting, counts: keys({[B]: 5}), case: 'half-finalised-on-importing', owner: B,
    steps: ['expect-empty A,C', 'announce B to A,C', 'verify B']},
  {what: 'orphaned keys on C go to the owner A through an IMPORTING mark (ASKING)', t: cluster(), counts: keys({[A]: 4, [C]: 2}), case: 'orphaned-keys', owner: A,
    steps: ['compare C with A', 'setslot C importing A', 'migrate 2 C>A ask', 'setslot C stable', 'expect-empty B,C', 'announce A to B,C', 'verify A']},
  {what: 'unowned with keys on A and C: the bigger holder takes it first, then the other keys', t: unowned, counts: keys({[A]: 4, [C]: 2}), case: 'unowned', owner: A,
    steps: ['setslot A node A', 'announce A to B,C', 'wait A', 'compare C with A', 'setslot C importing A', 'migrate 2 C>A ask', 'setslot C stable', 'expect-empty B,C', 'announce A to B,C', 'verify A']},
  {what: 'unowned without keys: the primary with the fewest slots takes it', t: unowned, counts: keys({}), case: 'unowned', owner: A,
    steps: ['setslot A node A', 'announce A to B,C', 'expect-empty B,C', 'announce A to B,C', 'verify A']},
]

describe('diagnosis and repair steps, per case', () => {
  it.each(ROWS)('$what', (row) => {
    const d = diagnoseSlot(row.t, S, row.counts)!
    expect(d.case).toBe(row.case)
    const plan = repairSteps(d, row.t, {rollback: row.rollback})
    expect(plan.undecidable).toBeUndefined()
    expect(name(plan.owner)).toBe(name(row.owner))
    expect(plan.steps.map(compact)).toEqual(row.steps)
    // every step renders from its data alone, and names its nodes
    for (const s of plan.steps) expect(describeStep(s, name)).toMatch(/node[ABC]|slot/)
  })

  it('a healthy slot needs no repair', () => {
    expect(diagnoseSlot(cluster(), S, keys({[A]: 5}))).toBeUndefined()
  })

  it('two migrations of one slot are undecidable: no step at all', () => {
    const t = cluster((x) => {
      x.A.migrating = {[S]: B}
      x.C.importing = {[S]: A}
    })
    const d = diagnoseSlot(t, S, keys({[A]: 5}))!
    expect(d.case).toBe('undecidable')
    expect(d.reason).toMatch(/conflicting migrations/)
    const plan = repairSteps(d, t)
    expect(plan.steps).toEqual([])
    expect(plan.undecidable).toMatch(/conflicting migrations/)
  })

  it('two primaries with the same epoch claiming one slot are undecidable', () => {
    const t = cluster((x) => {
      x.C.claims = [S, ...x.C.claims]
      x.C.epoch = x.A.epoch
    })
    const d = diagnoseSlot(t, S, keys({[A]: 5}))!
    expect(d).toMatchObject({case: 'undecidable', reason: '2 primaries claim the slot'})
  })

  it('the rights to prove follow the steps: SETSLOT only where a step sets slots, MIGRATE and RESTORE-ASKING only on a moving pair', () => {
    const d = diagnoseSlot(cluster(), S, keys({[A]: 4, [C]: 2}))!
    const probes = repairProbes(repairSteps(d, cluster()).steps, cluster())
    const rights = (id: string) => (probes.get(id) ?? []).map((p) => p.right).sort()
    expect(rights(C)).toEqual(['+asking', '+cluster|countkeysinslot', '+cluster|getkeysinslot', '+cluster|setslot', '+dump', '+migrate'])
    expect(rights(A)).toEqual(['+asking', '+cluster|getkeysinslot', '+dump', '+restore-asking', '+select'])
    expect(rights(B)).toEqual(['+cluster|countkeysinslot', '+cluster|setslot'])
  })
})

describe('atomic migration tasks', () => {
  const task = (x: Partial<RunningAsmTask>): RunningAsmTask => ({
    id: 't1', operation: 'import', ranges: '0-99', source: A, target: B, state: 'connecting', error: '', retries: 0, flavour: 'redis', driver: B, slots: [0, 1, 2], stuck: false, ...x,
  })

  it('slots under a running task are never repaired; a stuck Redis import is cancelled and its slots repaired', () => {
    const running = task({id: 'run', slots: [10, 11]})
    const stuck = task({id: 'stuck', slots: [20], state: 'failed', retries: 5, stuck: true})
    const r = sortTasks([running, stuck], false)
    expect(r.cancel.map((x) => x.id)).toEqual(['stuck'])
    expect(r.keep.map((x) => x.id)).toEqual(['run'])
    expect([...r.untouchable].sort((a, b) => a - b)).toEqual([10, 11])
  })

  it('--cancel-tasks cancels every task; a cancelled Valkey task keeps its slots out of this run', () => {
    const v = task({id: 'v', flavour: 'valkey', driver: A, operation: 'export', slots: [30]})
    const r = sortTasks([v, task({id: 'r', slots: [40]})], true)
    expect(r.cancel.map((x) => x.id)).toEqual(['v', 'r'])
    expect([...r.untouchable]).toEqual([30])
  })

  it('the cancel step names the command of each flavour and proves +cluster|migration only where it can be probed', async () => {
    const {cancelTaskSteps} = await import('../../src/migration/repair-steps.js')
    const steps = cancelTaskSteps([
      {flavour: 'redis', driver: B, id: 'abc', slots: [0, 1, 2, 5], source: A, target: B, why: 'stuck'},
      {flavour: 'valkey', driver: A, id: 'job', slots: [7], source: A, target: C, why: 'asked'},
    ])
    expect(steps.map((s) => describeStep(s, name))).toEqual([
      'cancel the atomic slot migration abc of slot(s) 0-2,5 nodeA -> nodeB on nodeB (CLUSTER MIGRATION CANCEL ID abc): stuck',
      'cancel the atomic slot migration job of slot(s) 7 nodeA -> nodeC on nodeA (CLUSTER CANCELSLOTMIGRATIONS): asked',
    ])
    const probes = repairProbes(steps, cluster())
    expect(probes.get(B)!.map((p) => p.args.join(' '))).toEqual(['CLUSTER MIGRATION CANCEL ID reshard-permission-probe'])
    expect(probes.has(A)).toBe(false)
  })
})
