// The one pipeline (operations/run-moves.ts) on an in-memory cluster: a plan is reconciled with
// the cluster under the lease, confirmed, run and turned into a document; a stale plan, a foreign
// open slot and a declined confirmation change nothing, each with its exit code.
import {describe, expect, it} from 'vitest'
import {EXIT, ReshardError} from '../../src/errors.js'
import type {Lease} from '../../src/cluster/lease.js'
import {runMoves} from '../../src/operations/run-moves.js'
import type {Session} from '../../src/operations/session.js'
import {planMove} from '../../src/planner/move.js'
import {DONE_REASON} from '../../src/planner/reconcile.js'
import {A, B, C, FAST, primaries, recorder} from './fakes/engine-harness.js'
import type {FakeCluster} from './fakes/fake-cluster.js'

async function sessionOn(fake: FakeCluster): Promise<{session: Session; bus: ReturnType<typeof recorder>}> {
  const admin = fake.admin()
  const rec = recorder()
  // a held lease: takeLease keeps it and the session's topology (the real one is tested live)
  const lease = {onLost: () => () => undefined, release: async () => undefined} as unknown as Lease
  const session = {
    admin,
    bus: rec.bus,
    reader: admin,
    conn: {seeds: []},
    topology: await admin.refresh(),
    lease,
    membership: () => {
      throw new Error('not used')
    },
    proveRights: async () => undefined,
    proveProbes: async () => undefined,
    close: async () => undefined,
  } as unknown as Session
  return {session, bus: rec}
}

async function failure(p: Promise<unknown>): Promise<ReshardError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(ReshardError)
  return e as ReshardError
}

describe('runMoves: one plan through the one pipeline', () => {
  it('moves every slot of the plan, keys and all, and says so in the document', async () => {
    const fake = primaries(3, {5: 40, 6: 0, 7: 12})
    const {session, bus} = await sessionOn(fake)
    const plan = planMove(session.topology, [5, 6, 7], B)
    const {document} = await runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy'})
    expect(document.ok).toBe(true)
    expect(document.moved.map((m) => [m.slot, m.outcome])).toEqual([
      [5, 'done'],
      [6, 'done'],
      [7, 'done'],
    ])
    expect(document.keys).toBe(52)
    for (const s of [5, 6, 7]) expect(fake.ownerOf(s)).toBe(B)
    expect(fake.count(B, 5) + fake.count(B, 7)).toBe(52)
    expect(fake.count(A, 5)).toBe(0)
  })

  it('a plan whose slot moved elsewhere meanwhile is stale: exit 4, every difference listed, nothing sent', async () => {
    const fake = primaries(3, {5: 10, 8: 10})
    const {session, bus} = await sessionOn(fake)
    const plan = planMove(session.topology, [5, 8], B)
    // slot 8 goes to C behind the plan's back
    for (const n of fake.nodes.values()) n.owners[8] = C
    fake.node(C).keys.set(8, fake.node(A).keys.get(8)!)
    fake.node(A).keys.delete(8)
    session.topology = await session.admin.refresh()
    const before = fake.log.filter((l) => / SETSLOT | MIGRATE /.test(l)).length
    const e = await failure(runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy'}))
    expect(e.exitCode).toBe(EXIT.STALE_PLAN)
    expect(e.message).toMatch(/stale/)
    expect(fake.log.filter((l) => / SETSLOT | MIGRATE /.test(l)).length).toBe(before)
    expect(fake.ownerOf(5)).toBe(A)
  })

  it('a slot open towards another node is a foreign migration: exit 3, nothing sent', async () => {
    const fake = primaries(3, {5: 10})
    const {session, bus} = await sessionOn(fake)
    const plan = planMove(session.topology, [5], B)
    fake.node(A).migrating.set(5, C)
    fake.node(C).importing.set(5, A)
    session.topology = await session.admin.refresh()
    const e = await failure(runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy'}))
    expect(e.exitCode).toBe(EXIT.PRECONDITION)
    expect(e.message).toMatch(/slot 5/)
    expect(fake.count(A, 5)).toBe(10)
  })

  it('a declined confirmation changes nothing (exit 130); a re-run of a done plan skips every slot', async () => {
    const fake = primaries(3, {5: 10})
    const {session, bus} = await sessionOn(fake)
    const plan = planMove(session.topology, [5], B)
    const e = await failure(runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy', confirm: async () => false}))
    expect(e.exitCode).toBe(EXIT.INTERRUPTED_PROMPT)
    expect(fake.ownerOf(5)).toBe(A)
    await runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy', confirm: async () => true})
    session.topology = await session.admin.refresh()
    const again = await runMoves({session, plan, bus: bus.bus, engine: FAST, mechanism: 'legacy'})
    expect(again.document.moved).toEqual([])
    expect(again.document.skipped).toEqual([{slot: 5, reason: DONE_REASON}])
    expect(again.document.ok).toBe(true)
  })
})
