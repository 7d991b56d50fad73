// The --json contract (docs/ci.md): every command's stdout document and every NDJSON event on
// stderr, from real runs against a sandbox, validated against the published schemas in schema/.
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {findFreePortRange} from '../../src/sandbox/ports.js'
import {REPO_ROOT, runCli, startTestCluster, type CliResult, type TestCluster} from './helpers/cluster.js'

const ajv = new Ajv2020({allErrors: true, strict: true})
for (const f of readdirSync(join(REPO_ROOT, 'schema'))) ajv.addSchema(JSON.parse(readFileSync(join(REPO_ROOT, 'schema', f), 'utf8')), f)
const EVENT_TYPES = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'schema/events.schema.json'), 'utf8')) as {$defs: object}).$defs)

function expectValid(schema: string, doc: unknown, what: string): void {
  const validate = ajv.getSchema(schema)!
  expect(validate(doc), `${what} against ${schema}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(doc).slice(0, 600)}`).toBe(true)
}

/** stdout is one document valid against `schema`; every stderr line is a known, valid event. Returns both. */
function contract(r: CliResult, schema: string, what: string): {doc: Record<string, unknown>; events: Array<Record<string, unknown>>} {
  const doc = JSON.parse(r.stdout) as Record<string, unknown>
  expectValid(schema, doc, what)
  const events = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const e of events) {
    expect(EVENT_TYPES, `${what}: undocumented event type`).toContain(e.type)
    expectValid('events.schema.json', e, `${what} event ${String(e.type)}`)
  }
  return {doc, events}
}

describe('--json documents and events match schema/', () => {
  let cluster: TestCluster
  const cli = (args: string[]) => runCli([...args, '--json'], {env: cluster.env})
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 3000})
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('status, check, plans and rebalance --check', async () => {
    contract(await cli(['status']), 'status.schema.json', 'status')
    expect(contract(await cli(['check']), 'check.schema.json', 'check').doc.ok).toBe(true)
    for (const args of [['plan', 'move', '0-9', '--to', 'nodeB'], ['plan', 'rebalance', '--threshold', '0'], ['plan', 'drain', 'nodeC']]) {
      const r = await cli(args)
      expect(r.code, r.stderr).toBe(0)
      contract(r, 'plan.schema.json', args.join(' '))
    }
    const rc = await cli(['rebalance', '--check', '--threshold', '0'])
    expect([0, 10]).toContain(rc.code)
    contract(rc, 'rebalance-check.schema.json', 'rebalance --check')
  })

  it('move, a dry run, apply, rebalance and drain: run documents and their events', async () => {
    const move = contract(await cli(['move', '0-99', '--to', 'nodeB', '--yes']), 'run.schema.json', 'move')
    const types = new Set(move.events.map((e) => e.type))
    for (const t of ['run-started', 'slot-state', 'keys-moved', 'slot-done', 'run-finished']) expect(types).toContain(t)
    const again = contract(await cli(['move', '0-99', '--to', 'nodeB', '--yes']), 'run.schema.json', 'move again')
    expect(again.events.some((e) => e.type === 'slot-skipped')).toBe(true)
    const dry = contract(await cli(['move', '100-109', '--to', 'nodeC', '--dry-run']), 'run.schema.json', 'move --dry-run')
    expect(dry.events.some((e) => e.type === 'command')).toBe(true)

    const dir = mkdtempSync(join(tmpdir(), 'reshard-contract-'))
    const plan = await cli(['plan', 'move', '200-219', '--to', 'nodeC'])
    writeFileSync(join(dir, 'plan.json'), plan.stdout)
    expect(contract(await cli(['apply', join(dir, 'plan.json'), '--yes']), 'run.schema.json', 'apply').doc.plan).toBeDefined()
    contract(await cli(['rebalance', '--threshold', '0', '--yes']), 'run.schema.json', 'rebalance')
    const drain = contract(await cli(['drain', 'nodeC', '--dry-run']), 'run.schema.json', 'drain --dry-run')
    expect(drain.doc.drained).toBeDefined()
  })

  it('recover and a failing check, with their events', async () => {
    const a = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    const b = cluster.nodes.find((n) => n.hostname === 'nodeB')!
    const owned = (await cli(['status'])).stdout
    const ranges = (JSON.parse(owned) as {primaries: Array<{hostname: string; ranges: string}>}).primaries.find((p) => p.hostname === 'nodeA')!.ranges
    const slot = Number(/^(\d+)/.exec(ranges)![1])
    const ca = new Redis({port: a.port, lazyConnect: true})
    const cb = new Redis({port: b.port, lazyConnect: true})
    try {
      await cb.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', a.id)
      await ca.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', b.id)
    } finally {
      ca.disconnect()
      cb.disconnect()
    }
    const bad = await cli(['check'])
    expect(bad.code).toBe(3)
    expect(contract(bad, 'check.schema.json', 'check (open slot)').doc.ok).toBe(false)
    contract(await cli(['status']), 'status.schema.json', 'status (open slot)')
    contract(await cli(['recover', '--dry-run']), 'recover.schema.json', 'recover --dry-run')
    const rec = contract(await cli(['recover', '--yes']), 'recover.schema.json', 'recover')
    expect(rec.events.some((e) => e.type === 'recover-step')).toBe(true)
  })

  it('failures of every kind are one error document, with the exit code', async () => {
    const cases: Array<[string[], number]> = [
      [['mvoe'], 2],
      [['move', '99999', '--to', 'nodeB', '--yes'], 2],
      [['move', '0-9', '--to', 'nodeZ', '--yes'], 2],
      [['move', '--to', 'nodeB'], 2],
      [['apply', '/nonexistent/plan.json', '--yes'], 2],
      [['status', '-c', '127.0.0.1:1'], 3],
      [['remove-node', 'nodeZ', '--yes'], 2],
      [['add-node', '127.0.0.1:1', '--yes'], 3],
    ]
    for (const [args, code] of cases) {
      const r = await cli(args)
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(code)
      const doc = contract(r, 'error.schema.json', args.join(' ')).doc as {error: {exitCode: number}}
      expect(doc.error.exitCode).toBe(code)
    }
  })

  it('--json --quiet: the document and no events', async () => {
    const r = await cli(['move', '0-9', '--to', 'nodeA', '--yes', '--quiet'])
    expect(r.stderr).toBe('')
    contract(r, 'run.schema.json', 'move --quiet')
  })

  it('add-node and remove-node (dry runs and real), move --count, rebalance --check naming the empty primary', async () => {
    const d = await cluster.startBareNode()
    const e = await cluster.startBareNode()
    const dryAdd = contract(await cli(['add-node', d.address, '--dry-run']), 'add-node.schema.json', 'add-node --dry-run').doc
    expect(dryAdd).toMatchObject({dryRun: true, knownBy: 0, alreadyMember: false})
    const add = contract(await cli(['add-node', d.address, '--yes']), 'add-node.schema.json', 'add-node').doc as {node: {id: string}; knownBy: number}
    expect(add.knownBy).toBe(4)
    const rc = await cli(['rebalance', '--check'])
    const idle = contract(rc, 'rebalance-check.schema.json', 'rebalance --check after add-node').doc as {emptyPrimaries: Array<{id: string}>}
    expect(idle.emptyPrimaries.map((x) => x.id)).toEqual([add.node.id])
    const rep = contract(await cli(['add-node', e.address, '--replica-of', d.address, '--yes']), 'add-node.schema.json', 'add-node --replica-of').doc as {replicaOf: {id: string}}
    expect(rep.replicaOf.id).toBe(add.node.id)

    const mv = contract(await cli(['move', '--count', '20', '--from', 'all', '--to', d.address, '--yes']), 'run.schema.json', 'move --count').doc as {picked: {count: number}}
    expect(mv.picked.count).toBe(20)

    const dry = contract(await cli(['remove-node', d.address, '--dry-run']), 'remove-node.schema.json', 'remove-node --dry-run')
    expect(dry.doc).toMatchObject({dryRun: true, forgetMs: 0, reset: true, shutdown: false})
    expect((dry.doc.drained as {moved: unknown[]}).moved).toHaveLength(20)
    expect(dry.events.some((x) => x.type === 'command')).toBe(true)
    const rm = contract(await cli(['remove-node', d.address, '--yes']), 'remove-node.schema.json', 'remove-node').doc as {
      dryRun: boolean
      forgottenBy: number
      drained: {moved: Array<{outcome: string}>}
      repointed: Array<{id: string; to: {id: string}}>
    }
    expect(rm.dryRun).toBe(false)
    expect(rm.forgottenBy).toBe(4)
    expect(rm.drained.moved.filter((x) => x.outcome === 'done')).toHaveLength(20)
    // e ends up following a primary still in the cluster: re-pointed by remove-node, or already
    // moved by Redis itself when d lost its last slot (replica migration)
    const after = JSON.parse((await cli(['status'])).stdout) as {primaries: Array<{id: string; replicas: Array<{address: string}>}>}
    const owner = after.primaries.find((p) => p.replicas.some((x) => x.address === e.address))
    expect(owner, 'the replica follows a primary of the cluster').toBeDefined()
    expect(owner!.id).not.toBe(add.node.id)
    for (const x of rm.repointed) expect(x.to.id).toBe(owner!.id)
    const rmReplica = contract(await cli(['remove-node', e.address, '--shutdown', '--yes']), 'remove-node.schema.json', 'remove-node (a replica)').doc
    expect(rmReplica).toMatchObject({shutdown: true, repointed: []})
    expect(rmReplica.drained).toBeUndefined()
  })

  it('remove-node --dry-run of a primary: the drain commands as ranges with counts, every command under --json', async () => {
    const human = await runCli(['remove-node', 'nodeC', '--dry-run'], {env: cluster.env})
    expect(human.code, human.stderr).toBe(0)
    const out = human.stdout + human.stderr
    const total = Number(/would send (\d+) commands/.exec(out)?.[1])
    expect(total, out).toBeGreaterThan(1000)
    expect(out.split('\n').length).toBeLessThan(60)
    expect(out).not.toMatch(/SETSLOT \d/)
    expect(out).toMatch(/nodeC: CLUSTER SETSLOT <slot> MIGRATING [0-9a-f]{8}… for \d+-\d+.* \(\d+ slots\)/)
    expect(out).toMatch(/nodeC: MIGRATE 127\.0\.0\.1 \d+ "" 0 \d+ KEYS … ×\d+, \d+ keys in all/)
    expect(out).toContain('CLUSTER FORGET')
    const json = contract(await cli(['remove-node', 'nodeC', '--dry-run']), 'remove-node.schema.json', 'remove-node nodeC --dry-run')
    expect(json.events.filter((x) => x.type === 'command')).toHaveLength(total)
  })

  it('sandbox up, status and down', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'reshard-contract-sb-')), 'sandbox.json')
    const env = {...process.env, RESHARD_SANDBOX_STATE: state, NO_COLOR: '1'}
    const port = await findFreePortRange(3)
    const up = await runCli(['sandbox', 'up', '--port', String(port), '--json'], {env, timeoutMs: 90_000})
    try {
      expect(up.code, up.stderr).toBe(0)
      contract({...up, stderr: ''}, 'sandbox.schema.json', 'sandbox up')
      contract({...(await runCli(['sandbox', 'status', '--json'], {env})), stderr: ''}, 'sandbox.schema.json', 'sandbox status')
    } finally {
      const down = await runCli(['sandbox', 'down', '--json'], {env})
      expect(down.code, down.stderr).toBe(0)
      contract({...down, stderr: ''}, 'sandbox.schema.json', 'sandbox down')
    }
  })
})

describe('the schemas check the documented fields', () => {
  it('a wrong type or a missing field fails; an added field passes', () => {
    const run = {ok: true, dryRun: false, moved: [{slot: 1, from: 'a', to: 'b', outcome: 'done', state: 'complete', keys: 3, mechanism: 'atomic'}], skipped: [], keys: 3, ms: 10, keysPerSecond: 300, verified: true, open: []}
    expect(ajv.getSchema('run.schema.json')!(run)).toBe(true)
    expect(ajv.getSchema('run.schema.json')!({...run, somethingNew: 1})).toBe(true)
    expect(ajv.getSchema('run.schema.json')!({...run, ms: '10'})).toBe(false)
    expect(ajv.getSchema('run.schema.json')!({...run, moved: [{...run.moved[0], mechanism: 'magic'}]})).toBe(false)
    const {keys: _k, ...noKeys} = run
    expect(ajv.getSchema('run.schema.json')!(noKeys)).toBe(false)
    const done = {ts: '2026-01-01T00:00:00.000Z', type: 'slot-done', slot: 1, from: 'a', to: 'b', keys: 1, ms: 2}
    expect(ajv.getSchema('events.schema.json')!(done)).toBe(true)
    expect(ajv.getSchema('events.schema.json')!({...done, ms: -1})).toBe(false)
    expect(ajv.getSchema('events.schema.json')!({ts: done.ts, type: 'something-new', x: 1})).toBe(true)
  })
})
