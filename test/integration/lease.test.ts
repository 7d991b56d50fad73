// One run at a time (issue 11 item 2): a run that changes slots holds a lease (a named connection
// on every primary, README "One run at a time"); a second run refuses with exit 3 naming the
// holder and changes nothing; `recover` takes over an expired lease.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {connectNode} from '../../src/cluster/connection.js'
import {runCli, startTestCluster, type CliResult, type TestCluster} from './helpers/cluster.js'
import {clientsOf, closeClients, range} from './helpers/key-audit.js'
import {startLiveWriter} from './helpers/live-writer.js'

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`

describe('the lease: one reshard run at a time', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3})
    clients = await clientsOf(cluster)
    await cluster.seed({count: 6000, slots: range(11000, 11299), prefix: 'lease', mix: 'strings'})
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('two moves of the same slots started together: exactly one runs, the other exits 3 naming it; no acknowledged write lost', async () => {
    const seed = cluster.nodes[0]!
    const writer = await startLiveWriter({host: seed.host, port: seed.port}, range(11000, 11299), {password: cluster.password})
    let a: CliResult, b: CliResult
    try {
      ;[a, b] = await Promise.all([
        runCli(['move', '11000-11299', '--to', 'nodeA', '--yes'], {env: cluster.env, timeoutMs: 90_000}),
        runCli(['move', '11000-11299', '--to', 'nodeB', '--yes'], {env: cluster.env, timeoutMs: 90_000}),
      ])
    } finally {
      await writer.stop()
    }
    const codes = [a.code, b.code].sort()
    expect(codes, `${show(a)}\n---\n${show(b)}`).toEqual([0, 3])
    const [winner, loser, winnerTo] = a.code === 0 ? [a, b, 'nodeA'] : [b, a, 'nodeB']
    expect(loser.stderr).toMatch(new RegExp(`another reshard run holds the cluster: \`reshard move 11000-11299 --to ${winnerTo} --yes\` \\(host \\S+, pid \\d+`))
    expect(loser.stderr).toMatch(/nothing was changed/)
    expect(winner.stdout).toMatch(/300 slot\(s\) moved/)
    const bad = [...writer.nilReads, ...writer.staleReads, ...(await writer.audit())]
    expect(writer.acked.size).toBeGreaterThan(50)
    expect(bad.slice(0, 10), `${bad.length} acknowledged writes lost`).toEqual([])
    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, show(check)).toBe(0)
  })

  it('an expired lease (a frozen run) blocks move (exit 3, "expired"); recover takes it over; a live one blocks recover too', async () => {
    const nodeC = cluster.nodes.find((n) => n.hostname === 'nodeC')!
    const fake = await connectNode(cluster.connection, nodeC.host, nodeC.port)
    try {
      const started = Date.now() - 120_000
      await fake.call('CLIENT', 'SETNAME', `reshard-lease:v1:held:${Date.now() + 60_000}:${started}:4242:otherhost:reshard%20drain%20nodeC%20--yes`)
      const rec = await runCli(['recover', '--yes'], {env: cluster.env})
      expect(rec.code, show(rec)).toBe(3)
      expect(rec.stderr).toMatch(/another reshard run holds the cluster: `reshard drain nodeC --yes` \(host otherhost, pid 4242.*valid until/)

      await fake.call('CLIENT', 'SETNAME', `reshard-lease:v1:held:${Date.now() - 1000}:${started}:4242:otherhost:reshard%20drain%20nodeC%20--yes`)
      const mv = await runCli(['move', '12000', '--to', 'nodeA', '--yes'], {env: cluster.env})
      expect(mv.code, show(mv)).toBe(3)
      expect(mv.stderr).toMatch(/lease expired/)
      expect(mv.stderr).toMatch(/run `reshard recover` to take over/)

      const take = await runCli(['recover', '--yes'], {env: cluster.env})
      expect(take.code, show(take)).toBe(0)
      // the frozen holder's connection was killed: its name is gone
      const list = String(await clients.get(nodeC.address)!.call('CLIENT', 'LIST'))
      expect(list).not.toMatch(/otherhost/)
      const mv2 = await runCli(['move', '12000', '--to', 'nodeA', '--yes'], {env: cluster.env})
      expect(mv2.code, show(mv2)).toBe(0)
    } finally {
      fake.disconnect()
    }
  })
})
