// The views of output/views/: what people read and the exit code for each kind of result, and
// BaseCommand.present() printing a result once (its document under --json, else the view's text).
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {Config} from '@oclif/core'
import {BaseCommand} from '../../src/cli/base-command.js'
import {EXIT} from '../../src/errors.js'
import type {PlanRunDocument} from '../../src/operations/apply.js'
import type {MoveRunDocument} from '../../src/operations/run-moves.js'
import {statusOf} from '../../src/operations/status.js'
import {planRebalance, serializePlan} from '../../src/planner/index.js'
import {primaries} from '../../src/topology/topology.js'
import {planView} from '../../src/output/views/plan.js'
import {rebalanceCheckView} from '../../src/output/views/rebalance-check.js'
import {removeNodeView} from '../../src/output/views/membership.js'
import {recoverView} from '../../src/output/views/recover.js'
import {moveRunView, planRunView} from '../../src/output/views/run.js'
import {sandboxStatusView, sandboxUpView, type SandboxStatusDocument, type SandboxUpDocument} from '../../src/output/views/sandbox.js'
import {checkView, statusView} from '../../src/output/views/status.js'
import type {View} from '../../src/output/views/view.js'
import {withCounts} from './planner-fixtures.js'

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')
const human = <R>(v: View<R, object>, r: R, quiet = false) => plain(v.human(r, {quiet}))
const balanced = () => withCounts([5461, 5462, 5461])

describe('status and check views', () => {
  it('status: the map, exit 0; exit 3 (after the map) when a node does not answer', () => {
    const doc = statusOf(balanced())
    expect(human(statusView, doc)).toMatch(/^Cluster .*: 3 primaries, 0 replicas/)
    expect(human(statusView, doc)).toMatch(/Health: OK$/)
    expect(statusView.exitCode!(doc)).toBe(0)
    expect(statusView.exitCode!({...doc, unreachable: [{address: '127.0.0.1:30009', error: 'timeout'}]})).toBe(EXIT.PRECONDITION)
  })

  it('check: one OK line and exit 0 when healthy; one line per problem and exit 3 when not', () => {
    const ok = statusOf(balanced())
    expect(human(checkView, ok)).toBe('OK: 3 primaries, all 16384 slots covered, no open slot, all nodes agree')
    expect(checkView.exitCode!(ok)).toBe(0)
    expect(checkView.document!(ok)).toEqual({ok: true, problems: []})

    const bad = statusOf(withCounts([5000, 5000, 5000]))
    expect(bad.problems.length).toBeGreaterThan(0)
    expect(human(checkView, bad).split('\n')).toEqual(bad.problems.map((p) => `✗ ${p}`))
    expect(checkView.exitCode!(bad)).toBe(EXIT.PRECONDITION)
    expect(checkView.document!(bad)).toEqual({ok: false, problems: bad.problems})
  })
})

describe('rebalance --check view', () => {
  it('within the threshold: OK, exit 0, and a note naming an empty primary left out', () => {
    const t = withCounts([5461, 5462, 5461, 0])
    const plan = planRebalance(t, {threshold: 2})
    const idle = primaries(t).filter((p) => p.slots.length === 0).map((p) => ({id: p.id, name: p.id.slice(0, 8), address: p.address}))
    const c = {plan, emptyPrimaries: idle}
    const text = human(rebalanceCheckView, c).split('\n')
    expect(text[0]).toBe('OK: the primaries are within the 2% threshold (spread 1); no move needed')
    expect(text[1]).toBe(`note: ${idle[0]!.name} (${idle[0]!.address}) is an empty primary and took no part; add --use-empty-primaries to give it slots`)
    expect(rebalanceCheckView.exitCode!(c)).toBe(0)
    expect(rebalanceCheckView.document!(c)).toMatchObject({ok: true, movesNeeded: false, moves: 0, threshold: 2, emptyPrimaries: idle})
  })

  it('remove-node names a node without a hostname by its address once, then its id', () => {
    const doc = {ok: true, dryRun: false, repointed: [], forgottenBy: 3, forgetMs: 18, reset: true, shutdown: true, commands: [], ms: 40}
    const id = '1b2587c42bd80d90da6798ae2b0638b4f33cd64e'
    const bare = human(removeNodeView, {...doc, node: {id, name: '127.0.0.1:43010', address: '127.0.0.1:43010', role: 'primary' as const, reachable: true}})
    expect(bare).toBe('removed 127.0.0.1:43010 (1b2587c4): forgotten by all 3 other node(s) in 18 ms; the node was shut down')
    const named = human(removeNodeView, {...doc, node: {id, name: 'nodeD', address: '127.0.0.1:43010', role: 'primary' as const, reachable: true}})
    expect(named).toBe('removed nodeD (127.0.0.1:43010, 1b2587c4): forgotten by all 3 other node(s) in 18 ms; the node was shut down')
  })

  it('an empty primary without a hostname is named once, by its address', () => {
    const t = withCounts([5461, 5462, 5461, 0])
    const plan = planRebalance(t, {threshold: 2})
    const idle = primaries(t).filter((p) => p.slots.length === 0).map((p) => ({id: p.id, name: p.address, address: p.address}))
    const text = human(rebalanceCheckView, {plan, emptyPrimaries: idle}).split('\n')
    expect(text[1]).toBe(`note: ${idle[0]!.address} is an empty primary and took no part; add --use-empty-primaries to give it slots`)
  })

  it('moves needed: the pairs and before/after tables, exit 10', () => {
    const plan = planRebalance(withCounts([8000, 4000, 4384]), {threshold: 2})
    const c = {plan, emptyPrimaries: []}
    const text = human(rebalanceCheckView, c)
    expect(text).toMatch(new RegExp(`^Moves needed: ${plan.moves.length} slot\\(s\\) in 2 pair\\(s\\); spread \\d+ -> \\d+\n\nFROM`))
    expect(text).toMatch(/SLOTS BEFORE/)
    expect(rebalanceCheckView.exitCode!(c)).toBe(EXIT.MOVES_NEEDED)
    const doc = rebalanceCheckView.document!(c)
    expect(doc).toMatchObject({ok: false, movesNeeded: true, moves: plan.moves.length, emptyPrimaries: []})
    expect(doc.pairs.reduce((a, p) => a + p.count, 0)).toBe(plan.moves.length)
  })
})

const run = (o: Partial<MoveRunDocument> = {}): MoveRunDocument => ({ok: true, dryRun: false, moved: [], skipped: [], keys: 0, ms: 0, keysPerSecond: 0, verified: true, open: [], ...o})

describe('run views', () => {
  it('move: says nothing was to do only when every slot was already the target’s', () => {
    const skipped = [{slot: 1, reason: 'target already owns it'}, {slot: 2, reason: 'target already owns it'}]
    expect(human(moveRunView, run({skipped}))).toBe('nothing to do: 2 slot(s) already owned by the target')
    expect(human(moveRunView, run({skipped, moved: [{slot: 3, from: 'a', to: 'b', outcome: 'done', state: 'done', keys: 1, mechanism: 'legacy'}]}))).toBe('')
    expect(human(moveRunView, run())).toBe('')
    expect(human(moveRunView, {...run({skipped}), picked: {count: 0, keys: 0, slots: '', from: []} as never})).toBe('')
    expect(moveRunView.exitCode).toBeUndefined()
  })

  it('apply/rebalance: a plan whose every move is done says so, except under --quiet', () => {
    const plan = planRebalance(withCounts([8000, 4000, 4384]), {threshold: 2})
    const summary = {kind: plan.kind, cluster: plan.cluster.id, options: plan.options, summary: plan.summary, spread: plan.spread}
    const done: PlanRunDocument = {...run(), plan: {...summary, moves: 5, alreadyDone: 5}}
    expect(human(planRunView, done)).toBe('nothing to do: all 5 move(s) of the rebalance plan are done (each target owns its slot)')
    expect(human(planRunView, done, true)).toBe('')
    expect(human(planRunView, {...done, plan: {...done.plan, alreadyDone: 2}})).toBe('')
    expect(human(planRunView, {...done, plan: {...done.plan, moves: 0, alreadyDone: 0}})).toBe('')
  })
})

describe('plan, recover and sandbox views', () => {
  it('plan: tables for people, the plan file bytes under --json', () => {
    const plan = planRebalance(withCounts([8000, 4000, 4384]), {threshold: 2})
    expect(planView.text!({plan})).toBe(serializePlan(plan))
    expect(planView.document!({plan})).toBe(plan)
    const text = human(planView, {plan, output: 'p.json'})
    expect(text).toMatch(/^Plan: rebalance by slots, threshold 2%/)
    expect(text.endsWith('\n\nPlan written to p.json; run it with: reshard apply p.json')).toBe(true)
    expect(human(planView, {plan})).not.toMatch(/Plan written/)
  })

  it('recover: nothing found, or the slots repaired (dry run: would repair)', () => {
    expect(human(recoverView, {ok: true, dryRun: false, slots: [], tasks: []})).toBe('nothing to recover: no open slot, no orphaned key, no uncovered slot')
    const slots = [{slot: 7}, {slot: 8}] as never
    expect(human(recoverView, {ok: true, dryRun: true, slots, tasks: []})).toBe('dry run: would repair 7-8 (2 slots)')
  })

  it('sandbox status: none recorded, one, or several separated by a blank line', () => {
    expect(human(sandboxStatusView, {ok: true, running: false, name: 'x', nodes: []})).toBe('No sandbox named "x" is recorded; start one with `reshard sandbox up --name x`.')
    const one = (name: string): SandboxStatusDocument => ({ok: true, name, server: null, running: false, healthy: false, statePath: `/s/${name}`, dataDir: `/d/${name}`, password: true, tls: false, nodes: []})
    expect(human(sandboxStatusView, one('a'))).toBe('Sandbox "a" not running: unknown server, 0/0 nodes alive (password); data in /d/a\n  HOSTNAME  ADDRESS  ROLE  SLOTS  PID  STATE\nEvery node is gone; `reshard sandbox down --name a` cleans up the record.')
    const both = human(sandboxStatusView, {ok: true, running: false, sandboxes: [one('a'), one('b')]})
    expect(both.split('\n\n').map((b) => b.split('\n')[0]!.slice(0, 11))).toEqual(['Sandbox "a"', 'Sandbox "b"'])
  })
})

describe('sandbox up view', () => {
  it('the first line, the password and TLS lines, the state and the hint; --json: the document alone', () => {
    const document: SandboxUpDocument = {ok: true, name: 'v', server: null, statePath: '/s/v.json', dataDir: '/d', redisServer: 'redis-server', password: true, tls: {caCert: '/d/ca.crt', cert: '/d/n.crt', key: '/d/n.key'}, nodes: [], seeded: null, ms: 2500}
    const up = {document, named: true, server: 'valkey 8.0.1', primaries: 3, replicas: 1, user: 'ops', replicationAuth: ['masterauth'], statusHint: 'reshard status'}
    expect(human(sandboxUpView, up).split('\n')).toEqual([
      'Sandbox "v" up in 2.5 s: valkey 8.0.1, 3 primaries, 1 replica each; data in /d',
      '  HOSTNAME  ADDRESS  ROLE  SLOTS  PID  STATE',
      'Password: set, ACL user ops (kept in the 0600 state file; reshard commands use it, redis-cli needs REDISCLI_AUTH; replication: masterauth)',
      'TLS: CA certificate /d/ca.crt (reshard commands use it; redis-cli needs --tls --cacert)',
      'State: /s/v.json',
      'try: reshard status',
    ])
    expect(human(sandboxUpView, {...up, named: false, replicas: 0, document: {...document, password: false, tls: null}}).split('\n')[0]).toBe('Sandbox up in 2.5 s: valkey 8.0.1, 3 primaries; data in /d')
    expect(sandboxUpView.document!(up)).toBe(document)
  })
})

/** A command with nothing but present(), run as oclif would: its argv, then logJson of the returned value. */
class Shows extends BaseCommand<typeof Shows> {
  async run(): Promise<unknown> {
    return undefined
  }
  show<R extends object, D extends object>(r: R, v: View<R, D>, quiet = false): D {
    ;(this as unknown as {flags: {quiet: boolean}}).flags = {quiet}
    const returned = this.present(r, v)
    // what oclif's _run does with the returned value under --json
    if (this.jsonEnabled()) this.logJson(returned)
    return returned
  }
}

describe('BaseCommand.present', () => {
  const saved = process.exitCode
  afterEach(() => {
    process.exitCode = saved
    vi.restoreAllMocks()
  })
  const capture = () => {
    const out: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true))
    return out
  }
  const command = (argv: string[]) => new Shows(argv, {scopedEnvVar: () => undefined} as unknown as Config)

  it('--json: the document once (not again as the returned value), and the verdict’s exit code', () => {
    const bad = statusOf(withCounts([5000, 5000, 5000]))
    const out = capture()
    const doc = command(['--json']).show(bad, checkView)
    expect(out.length).toBe(1)
    expect(JSON.parse(out[0]!)).toEqual({ok: false, problems: bad.problems})
    expect(doc).toEqual({ok: false, problems: bad.problems})
    expect(process.exitCode).toBe(EXIT.PRECONDITION)
  })

  it('--json with a canonical text: exactly those bytes (a plan file)', () => {
    const plan = planRebalance(withCounts([8000, 4000, 4384]), {threshold: 2})
    const out = capture()
    command(['--json']).show({plan}, planView)
    expect(out).toEqual([serializePlan(plan)])
    expect(process.exitCode).toBe(saved)
  })

  it('for people: the view’s text, nothing when it is empty', () => {
    const out = capture()
    command([]).show(statusOf(balanced()), checkView)
    expect(out.map(plain)).toEqual(['OK: 3 primaries, all 16384 slots covered, no open slot, all nodes agree\n'])
    expect(process.exitCode).toBe(saved)
    command([]).show(run(), moveRunView)
    expect(out.length).toBe(1)
  })
})
