// Authentication and TLS against real sandbox clusters, through the built CLI (DESIGN.md §4):
// - requirepass: move, rebalance, recover work with REDISCLI_AUTH; a wrong or missing password
//   exits 3 and changes nothing; the password never shows in stdout/stderr (plain, --json,
//   --dry-run which prints the MIGRATE commands) nor in `ps` while a move runs (§1: secrets never
//   in argv of spawned processes, logs, --json output or error messages).
// - an ACL user with exactly the permissions the tool needs (--user): the same, plus BUSYKEY
//   handling and recover, which need DUMP and ASKING. This user has no +eval, so slot lists go
//   as pipelines (the fallback of the scripted SETSLOT/COUNTKEYSINSLOT lists).
// - TLS: status, check, move and recover over TLS; TLS flags against a plain server, and no TLS
//   against a TLS server, exit 3.
import {execFileSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {hashTagForSlot} from '../../src/sandbox/keyslot.js'
import {clusterNodesOfAll, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'
import {keysMoved, spawnCli} from './helpers/cli-process.js'
import {auditKeys, clientsOf, closeClients, range, snapshotKeys} from './helpers/key-audit.js'
import {RESHARD_ACL} from './helpers/acl.js'

function expectCode(r: CliResult, code: number, what: string): void {
  expect(r.code, `${what} exited ${r.code}, expected ${code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`).toBe(code)
}

const n = (cluster: TestCluster, hostname: string): TestNode => cluster.nodes.find((x) => x.hostname === hostname)!

describe('a cluster with requirepass, and an ACL user with exactly the permissions needed', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  const userPassword = `acl-pw-${Math.random().toString(36).slice(2)}`
  /** stdout+stderr of every command run against this cluster, and `ps` listings taken during moves: scanned for secrets at the end. */
  const transcripts: string[] = []
  const run = async (args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult> => {
    const r = await runCli(args, {env, timeoutMs})
    transcripts.push(`$ reshard ${args.join(' ')}\n${r.stdout}\n${r.stderr}`)
    return r
  }
  const userEnv = () => ({...cluster.env, REDISCLI_AUTH: userPassword})

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, password: true})
    expect(cluster.password).toBeTruthy()
    clients = await clientsOf(cluster)
    for (const c of clients.values()) await c.call('ACL', 'SETUSER', 'reshard', 'reset', 'on', `>${userPassword}`, '-@all', ...RESHARD_ACL)
    await cluster.seed({count: 1000, slots: range(2000, 2009), prefix: 'pw', mix: 'strings'})
    await cluster.seed({count: 8000, slots: [2100], prefix: 'pw-big', mix: 'strings'})
    await cluster.seed({count: 1000, slots: range(2200, 2209), prefix: 'acl', mix: 'strings'})
    await cluster.seed({count: 8000, slots: [2300], prefix: 'acl-big', mix: 'strings'})
    await cluster.seed({count: 100, slots: [2400, 2401], prefix: 'acl-rec', mix: 'strings'})
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  /** Move `slot` (many keys) with `env`, and list every process's argv while it streams. */
  async function moveWatchingPs(slot: number, extra: string[], env: NodeJS.ProcessEnv): Promise<void> {
    const cli = spawnCli(['move', String(slot), '--to', 'nodeB', '--yes', '--json', '--batch-size', '50', ...extra], {env})
    await cli.waitFor(keysMoved(slot))
    const ps = execFileSync('ps', ['-eo', 'args'], {encoding: 'utf8', maxBuffer: 16 * 1024 * 1024})
    transcripts.push(`$ ps -eo args (during move ${slot})\n${ps}`)
    // the listing did see the move running
    expect(ps).toContain(`move ${slot} --to nodeB`)
    const end = await cli.done
    transcripts.push(`$ reshard move ${slot} ...\n${end.stdout}\n${end.stderr}`)
    expectCode(end, 0, `move ${slot}`)
  }

  it('--dry-run shows the MIGRATE commands it would send, with the password masked (requirepass: AUTH ***; ACL user: AUTH2 reshard ***)', async () => {
    const before = await clusterNodesOfAll(cluster)
    const dry = await run(['move', '2000-2009', '--to', 'nodeB', '--dry-run'], cluster.env)
    const dryJson = await run(['move', '2000-2009', '--to', 'nodeB', '--dry-run', '--json'], cluster.env)
    const dryUser = await run(['move', '2200-2209', '--to', 'nodeB', '--dry-run', '--user', 'reshard'], userEnv())
    expectCode(dry, 0, 'dry-run')
    expectCode(dryJson, 0, 'dry-run --json')
    expectCode(dryUser, 0, 'dry-run as ACL user')
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
    expect(dry.stdout + dry.stderr).toMatch(/MIGRATE .* AUTH \*\*\* KEYS/)
    expect(dryJson.stderr).toMatch(/"type":"command".*MIGRATE .* AUTH \*\*\*/)
    expect(dryUser.stdout + dryUser.stderr).toMatch(/MIGRATE .* AUTH2 reshard \*\*\* KEYS/)
  })

  it('requirepass (REDISCLI_AUTH): move (plain and --json, ps during it), status and check work', async () => {
    const snap = await snapshotKeys(clients, [...range(2000, 2009), 2100])
    expectCode(await run(['move', '2000-2009', '--to', 'nodeB', '--yes'], cluster.env), 0, 'move')
    await moveWatchingPs(2100, [], cluster.env)
    expectCode(await run(['status', '--json'], cluster.env), 0, 'status')
    expectCode(await run(['check'], cluster.env), 0, 'check')
    expect(await auditKeys(clients, cluster.state.host, snap)).toEqual([])
    for (const s of [2000, 2100]) expect(Number(await clients.get(n(cluster, 'nodeB').address)!.call('CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBeGreaterThan(0)
  })

  it('requirepass: rebalance works (and --json)', async () => {
    const snap = await snapshotKeys(clients, [...range(2000, 2009), 2100])
    const r = await run(['rebalance', '--threshold', '0', '--yes', '--json'], cluster.env)
    expectCode(r, 0, 'rebalance')
    expect(JSON.parse(r.stdout).ok).toBe(true)
    expectCode(await run(['rebalance', '--check', '--threshold', '0'], cluster.env), 0, 'rebalance --check after rebalance')
    expect(await auditKeys(clients, cluster.state.host, snap)).toEqual([])
  })

  it('wrong or missing password: exit 3, cluster unchanged, the password is not printed', async () => {
    const before = await clusterNodesOfAll(cluster)
    const wrong = `wrong-${Math.random().toString(36).slice(2)}`
    const cases: Array<[string, NodeJS.ProcessEnv, string[]]> = [
      ['wrong password', {...cluster.env, REDISCLI_AUTH: wrong}, []],
      ['wrong password --json', {...cluster.env, REDISCLI_AUTH: wrong}, ['--json']],
      ['no password', {...cluster.env, REDISCLI_AUTH: ''}, []],
      ['wrong user password', {...cluster.env, REDISCLI_AUTH: wrong}, ['--user', 'reshard']],
      ['unknown user', {...cluster.env}, ['--user', 'nobody']],
    ]
    for (const [what, env, extra] of cases) {
      const r = await run(['move', '2500-2501', '--to', 'nodeB', '--yes', ...extra], env)
      expectCode(r, 3, what)
      expect(r.stdout + r.stderr, what).toMatch(/authenticat|password/i)
      expect(r.stdout + r.stderr, what).not.toContain(wrong)
    }
    const rb = await run(['rebalance', '--threshold', '0', '--yes'], {...cluster.env, REDISCLI_AUTH: wrong})
    expectCode(rb, 3, 'rebalance with a wrong password')
    expect(rb.stdout + rb.stderr).not.toContain(wrong)
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
  })

  it('ACL user with only the needed permissions (--user): --dry-run, move, ps during it, status, check, rebalance', async () => {
    const snap = await snapshotKeys(clients, [...range(2200, 2209), 2300])
    const env = userEnv()
    const mv = await run(['move', '2200-2209', '--to', 'nodeB', '--yes', '--json', '--user', 'reshard'], env)
    expectCode(mv, 0, 'move as ACL user')
    expect(JSON.parse(mv.stdout)).toMatchObject({ok: true, verified: true})
    await moveWatchingPs(2300, ['--user', 'reshard'], env)
    expectCode(await run(['status', '--user', 'reshard'], env), 0, 'status as ACL user')
    expectCode(await run(['check', '--user', 'reshard'], env), 0, 'check as ACL user')
    expect(await auditKeys(clients, cluster.state.host, snap)).toEqual([])
    const rb = await run(['rebalance', '--threshold', '0', '--yes', '--json', '--user', 'reshard'], env)
    expectCode(rb, 0, 'rebalance as ACL user')
    expectCode(await run(['rebalance', '--check', '--threshold', '0', '--user', 'reshard'], env), 0, 'balanced after rebalance')
    expect(await auditKeys(clients, cluster.state.host, snap)).toEqual([])
  })

  it('ACL user: BUSYKEY with an identical copy and `recover` of a half-moved slot work', async () => {
    const env = userEnv()
    const nodeA = n(cluster, 'nodeA')
    const nodeB = n(cluster, 'nodeB')
    const a = clients.get(nodeA.address)!
    const b = clients.get(nodeB.address)!
    const snap = await snapshotKeys(clients, [2400, 2401])
    // identical copy of one key of 2400 on the target (as admin: MIGRATE COPY while the target imports)
    const key = `acl-rec:{${hashTagForSlot(2400)}}:0`
    await b.call('CLUSTER', 'SETSLOT', '2400', 'IMPORTING', nodeA.id)
    expect(String(await a.call('MIGRATE', nodeB.host, String(nodeB.port), key, '0', '5000', 'COPY', 'AUTH', cluster.password!))).toBe('OK')
    await b.call('CLUSTER', 'SETSLOT', '2400', 'STABLE')
    const mv = await run(['move', '2400', '--to', 'nodeB', '--yes', '--json', '--user', 'reshard'], env, 30_000)
    expectCode(mv, 0, 'move over an identical copy as ACL user')
    expect(mv.stderr).toMatch(/BUSYKEY/)
    // a half-moved slot: both sides open, half the keys moved
    await b.call('CLUSTER', 'SETSLOT', '2401', 'IMPORTING', nodeA.id)
    await a.call('CLUSTER', 'SETSLOT', '2401', 'MIGRATING', nodeB.id)
    const keys = (await a.callBuffer('CLUSTER', 'GETKEYSINSLOT', '2401', '25')) as Buffer[]
    expect(String(await a.call('MIGRATE', nodeB.host, String(nodeB.port), '', '0', '5000', 'AUTH', cluster.password!, 'KEYS', ...keys))).toBe('OK')
    expectCode(await run(['check', '--user', 'reshard'], env), 3, 'check with an open slot')
    // recover --dry-run prints the commands it would send: the MIGRATE authenticates as the user, masked
    const recDry = await run(['recover', '--dry-run', '--user', 'reshard'], env)
    expectCode(recDry, 0, 'recover --dry-run as ACL user')
    expect(recDry.stdout + recDry.stderr).toMatch(/MIGRATE .* AUTH2 reshard \*\*\* KEYS/)
    const rec = await run(['recover', '--yes', '--json', '--user', 'reshard'], env)
    expectCode(rec, 0, 'recover as ACL user')
    expectCode(await run(['check', '--user', 'reshard'], env), 0, 'check after recover')
    expect(await auditKeys(clients, cluster.state.host, snap)).toEqual([])
  })

  it('no command output and no process argv ever contained a password', () => {
    expect(transcripts.length).toBeGreaterThan(10)
    const all = transcripts.join('\n')
    expect(all.includes(cluster.password!), 'the requirepass password appeared').toBe(false)
    expect(all.includes(userPassword), 'the ACL user password appeared').toBe(false)
  })
})

describe('a TLS sandbox', () => {
  let tls: TestCluster
  let plain: TestCluster

  beforeAll(async () => {
    ;[tls, plain] = await Promise.all([startTestCluster({primaries: 3, tls: true}), startTestCluster({primaries: 3})])
    expect(tls.cliArgs).toContain('--tls')
    await tls.seed({count: 600, slots: range(3000, 3005), prefix: 'tls', mix: 'strings'})
  })

  afterAll(async () => {
    await Promise.all([tls?.stop(), plain?.stop()])
  })

  it('status, check, move and recover work over TLS', async () => {
    const clients = await clientsOf(tls)
    try {
      const snap = await snapshotKeys(clients, range(3000, 3005))
      expect(snap.keys.size).toBe(600)
      const st = await runCli(['status', '--json', ...tls.cliArgs], {env: tls.env})
      expectCode(st, 0, 'status over TLS')
      expect(JSON.parse(st.stdout).primaries).toHaveLength(3)
      expectCode(await runCli(['check', ...tls.cliArgs], {env: tls.env}), 0, 'check over TLS')
      const mv = await runCli(['move', '3000-3004', '--to', 'nodeB', '--yes', '--json', ...tls.cliArgs], {env: tls.env})
      expectCode(mv, 0, 'move over TLS')
      expect(JSON.parse(mv.stdout)).toMatchObject({ok: true, verified: true, open: []})
      // a half-moved slot, repaired over TLS
      const nodeA = n(tls, 'nodeA')
      const nodeB = n(tls, 'nodeB')
      const a = clients.get(nodeA.address)!
      await clients.get(nodeB.address)!.call('CLUSTER', 'SETSLOT', '3005', 'IMPORTING', nodeA.id)
      await a.call('CLUSTER', 'SETSLOT', '3005', 'MIGRATING', nodeB.id)
      const keys = (await a.callBuffer('CLUSTER', 'GETKEYSINSLOT', '3005', '50')) as Buffer[]
      // the cluster's own MIGRATE over TLS (tls-cluster yes)
      expect(String(await a.call('MIGRATE', nodeB.host, String(nodeB.port), '', '0', '5000', 'KEYS', ...keys))).toBe('OK')
      expectCode(await runCli(['check', ...tls.cliArgs], {env: tls.env}), 3, 'check with an open slot over TLS')
      const rec = await runCli(['recover', '--yes', '--json', ...tls.cliArgs], {env: tls.env})
      expectCode(rec, 0, 'recover over TLS')
      expect(JSON.parse(rec.stdout).slots).toEqual([expect.objectContaining({slot: 3005, outcome: 'fixed'})])
      expectCode(await runCli(['check', ...tls.cliArgs], {env: tls.env}), 0, 'check after recover over TLS')
      expect(await auditKeys(clients, tls.state.host, snap)).toEqual([])
    } finally {
      closeClients(clients)
    }
  })

  it('TLS flags against a plain server, and no TLS against a TLS server: exit 3, nothing changed', async () => {
    const before = await clusterNodesOfAll(plain)
    const r = await runCli(['move', '100', '--to', 'nodeB', '--yes', ...tls.cliArgs], {env: plain.env})
    expectCode(r, 3, 'TLS flags against a plain cluster')
    console.log(`[auth-tls] TLS flags against a plain server: ${r.stderr.trim()}`)
    expect(await clusterNodesOfAll(plain)).toEqual(before)
    const st = await runCli(['status', ...tls.cliArgs], {env: plain.env})
    expectCode(st, 3, 'status with TLS flags against a plain cluster')
    const noTls = await runCli(['status'], {env: tls.env})
    expectCode(noTls, 3, 'status without TLS against a TLS cluster')
    console.log(`[auth-tls] no TLS against a TLS server: ${noTls.stderr.trim()}`)
  })
})
