// Permissions and verdicts (issue 11 item 6): preflight proves every right a run needs before the
// first change (exit 3 naming the right, nothing changed); status/check never turn a permission
// error into a verdict on the cluster; check finds orphaned keys and slots no node serves.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {hashTagForSlot} from '../../src/sandbox/keyslot.js'
import {clusterNodesOfAll, runCli, type CliResult, startTestCluster, type TestCluster} from './helpers/cluster.js'
import {clientsOf, closeClients, range} from './helpers/key-audit.js'
import {RESHARD_ACL} from './helpers/acl.js'

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`

const FULL = RESHARD_ACL

describe('permissions are proven before the first change; check verdicts', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  const pw = `pp-${Math.random().toString(36).slice(2)}`
  const user = (right: string) => `no-${right.replace(/[^a-z]/g, '-')}`

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3})
    clients = await clientsOf(cluster)
    await cluster.seed({count: 500, slots: range(100, 104), prefix: 'perm', mix: 'strings'})
    for (const c of clients.values()) {
      await c.call('ACL', 'SETUSER', 'full', 'reset', 'on', `>${pw}`, '-@all', ...FULL)
      for (const r of FULL.slice(1)) await c.call('ACL', 'SETUSER', user(r), 'reset', 'on', `>${pw}`, '-@all', ...FULL.filter((x) => x !== r))
    }
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  const as = (name: string, args: string[]) => runCli([...args, '--user', name], {env: {...cluster.env, REDISCLI_AUTH: pw}, timeoutMs: 60_000})

  it('a user lacking any one right a move needs: exit 3 naming it, nothing changed', async () => {
    const before = await clusterNodesOfAll(cluster)
    for (const r of ['+cluster|getkeysinslot', '+cluster|countkeysinslot', '+cluster|setslot', '+migrate', '+restore-asking', '+select', '+client|setname', '+client|list']) {
      const mv = await as(user(r), ['move', '100-104', '--to', 'nodeB', '--yes'])
      expect(mv.code, `${r}: ${show(mv)}`).toBe(3)
      expect(mv.stderr, r).toContain(r.replace('+', ''))
      expect(mv.stderr, r).toMatch(/nothing was changed/)
    }
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
    // and the full set works
    const ok = await as('full', ['move', '100-104', '--to', 'nodeB', '--yes'])
    expect(ok.code, show(ok)).toBe(0)
  })

  it('status and check without +dbsize or +cluster|nodes: exit 3 naming the right, never a verdict on the cluster', async () => {
    for (const [r, cmd] of [['+dbsize', 'status'], ['+cluster|nodes', 'status'], ['+cluster|nodes', 'check'], ['+cluster|countkeysinslot', 'check']] as const) {
      const res = await as(user(r), [cmd])
      expect(res.code, `${cmd} ${r}: ${show(res)}`).toBe(3)
      expect(res.stderr, `${cmd} ${r}`).toContain(r.replace('+', ''))
      expect(res.stdout + res.stderr).not.toMatch(/uncovered|0 primaries/)
    }
  })

  it('check finds an orphaned key (a primary holds a key of a slot it does not own) and a slot no node serves', async () => {
    const ids = Object.fromEntries(cluster.nodes.map((n) => [n.hostname, n.id]))
    const b = clients.get(cluster.nodes.find((n) => n.hostname === 'nodeB')!.address)!
    const a = clients.get(cluster.nodes.find((n) => n.hostname === 'nodeA')!.address)!
    // slot 300 is nodeA's: plant a key of it on nodeB through a short-lived IMPORTING mark
    await b.call('CLUSTER', 'SETSLOT', '300', 'IMPORTING', ids.nodeA!)
    await b.call('ASKING')
    await b.call('SET', `orphan:{${hashTagForSlot(300)}}`, 'x')
    await b.call('CLUSTER', 'SETSLOT', '300', 'STABLE')
    const ck = await runCli(['check'], {env: cluster.env})
    expect(ck.code, show(ck)).toBe(3)
    expect(ck.stdout).toMatch(/1 orphaned key\(s\) on nodeB in slot\(s\) it does not own: 300\b/)
    const rec = await runCli(['recover', '--yes'], {env: cluster.env, timeoutMs: 60_000})
    expect(rec.code, show(rec)).toBe(0)
    expect((await runCli(['check'], {env: cluster.env})).code).toBe(0)

    // slot 400 (nodeA's, no keys): nodeA hands it to nodeB, which never learns it owns it
    await a.call('CLUSTER', 'SETSLOT', '400', 'NODE', ids.nodeB!)
    const ck2 = await runCli(['check'], {env: cluster.env})
    expect(ck2.code, show(ck2)).toBe(3)
    expect(ck2.stdout).toMatch(/slots served by no node \(each node names another as owner\): 400\b/)
    expect(ck2.stdout).toMatch(/reshard recover --slot .*400/)
    await a.call('CLUSTER', 'SETSLOT', '400', 'NODE', ids.nodeA!)
  })
})
