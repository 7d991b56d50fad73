// The smaller items of issue 11 (item 7): DEBUG output never shows the password; a slow reader of
// stdout never fails a run nor cuts its document; `drain <replica>` is exit 3 like `move --to
// <replica>`; an HTTP server as seed is named as not a Redis node; a killed source is reported as
// what happened and what to do, not as ioredis' "Connection is closed.".
import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {REPO_ROOT, runCli, startTestCluster, type CliResult, type TestCluster} from './helpers/cluster.js'
import {spawnCli} from './helpers/cli-process.js'
import {clientsOf, closeClients, range} from './helpers/key-audit.js'

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`

describe('CLI edges: secrets in DEBUG, slow readers, exit codes, typed connection messages', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  const secret = `dbg-${Math.random().toString(36).slice(2)}`

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 1})
    clients = await clientsOf(cluster)
    for (const c of clients.values()) await c.call('ACL', 'SETUSER', 'dbg', 'on', `>${secret}`, '~*', '+@all')
    await cluster.seed({count: 2000, prefix: 'edge', mix: 'strings'})
    await cluster.seed({count: 3000, slots: range(12000, 12049), prefix: 'edge-kill', mix: 'strings'})
  })

  afterAll(async () => {
    if (clients) closeClients(clients)
    await cluster?.stop()
  })

  it('DEBUG=* and DEBUG=ioredis:* never print the password (ioredis logs AUTH and MIGRATE ... AUTH2)', async () => {
    for (const debug of ['*', 'ioredis:*']) {
      const env = {...cluster.env, DEBUG: debug, REDISCLI_AUTH: secret}
      const st = await runCli(['status', '--user', 'dbg'], {env})
      expect(st.code, show(st)).toBe(0)
      expect(st.stderr).toMatch(/ioredis/)
      expect(st.stderr).toMatch(/auth/i)
      expect(st.stdout + st.stderr).not.toContain(secret)
      const mv = await runCli(['move', '5462', '--to', debug === '*' ? 'nodeA' : 'nodeB', '--yes', '--user', 'dbg'], {env})
      expect(mv.code, show(mv)).toBe(0)
      expect(mv.stderr).toMatch(/migrate/i)
      expect(mv.stdout + mv.stderr).not.toContain(secret)
    }
  })

  it('a slow reader of stdout (`move --json | (sleep 12; cat)`): exit 0 and the whole JSON document', async () => {
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'bin', 'run.js'))}`
    const script = `${cli} move 11000-11599 --to nodeA --yes --json 2>/dev/null | (sleep 12; cat); echo "exit=\${PIPESTATUS[0]}" >&2`
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn('bash', ['-c', script], {cwd: REPO_ROOT, env: cluster.env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('close', () => resolve({code: Number(/exit=(\d+)/.exec(stderr)?.[1] ?? -1), stdout, stderr}))
    })
    expect(r.code, show(r)).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(65_536)
    const doc = JSON.parse(r.stdout) as {ok: boolean; moved: unknown[]}
    expect(doc.ok).toBe(true)
    expect(doc.moved).toHaveLength(600)
  }, 60_000)

  it('drain <replica> exits 3, like move --to <replica>', async () => {
    const replica = cluster.nodes.find((n) => n.role === 'replica')!
    const dr = await runCli(['drain', replica.hostname, '--yes'], {env: cluster.env})
    expect(dr.code, show(dr)).toBe(3)
    expect(dr.stderr).toMatch(/is a replica/)
    const mv = await runCli(['move', '1', '--to', replica.hostname, '--yes'], {env: cluster.env})
    expect(mv.code, show(mv)).toBe(3)
    // one exit code per mistake: the same for `move --count` and `plan move` (it was 2 with --count)
    for (const args of [
      ['move', '--count', '2', '--to', replica.hostname, '--yes'],
      ['move', '--count', '2', '--from', replica.hostname, '--to', 'nodeB', '--yes'],
      ['plan', 'move', '1', '--to', replica.hostname],
      ['plan', 'move', '--count', '2', '--to', replica.hostname],
    ]) {
      const r = await runCli(args, {env: cluster.env})
      expect(r.code, `${args.join(' ')}\n${show(r)}`).toBe(3)
      expect(r.stderr).toMatch(/is a replica/)
    }
  })

  it('an uncovered slot exits 3 from `move` and from `plan move` alike (move said 2)', async () => {
    // slot 16000 (nodeC's) owned by no node: DELSLOTS everywhere, then given back to its owner
    const slot = '16000'
    const owner = cluster.nodes.find((n) => n.hostname === 'nodeC')!
    for (const c of clients.values()) await c.call('CLUSTER', 'DELSLOTS', slot).catch(() => undefined)
    try {
      for (const args of [
        ['move', slot, '--to', 'nodeB', '--yes'],
        ['plan', 'move', slot, '--to', 'nodeB'],
      ]) {
        const r = await runCli(args, {env: cluster.env})
        expect(r.code, `${args.join(' ')}\n${show(r)}`).toBe(3)
        expect(r.stderr).toMatch(/slot 16000 has no owner/)
      }
    } finally {
      await clients.get(`${cluster.state.host}:${owner.port}`)!.call('CLUSTER', 'ADDSLOTS', slot)
      // every node sees the owner again before the next test
      for (let i = 0; i < 100; i++) {
        const st = await runCli(['check'], {env: cluster.env})
        if (st.code === 0) break
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  })

  it('an HTTP server as seed: one line saying it is not a Redis node, exit 3', async () => {
    const server: Server = createServer((_, res) => res.end('hello'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    try {
      const r = await runCli(['status', '-c', `127.0.0.1:${port}`], {env: cluster.env})
      expect(r.code, show(r)).toBe(3)
      expect(r.stderr).toMatch(new RegExp(`^Error: 127\\.0\\.0\\.1:${port} is not a Redis node`))
      expect(r.stderr).not.toMatch(/Unknown RESP type|Please report/)
      expect(r.stderr.trim().split('\n')).toHaveLength(2)
    } finally {
      server.close()
    }
  })

  it('a source killed mid-move: exit 5, the message says which node went away and what to do', async () => {
    const c = cluster.nodes.find((n) => n.hostname === 'nodeC')!
    const live = spawnCli(['move', '12000-12049', '--to', 'nodeA', '--yes', '--json', '--max-keys-per-second', '300'], {env: cluster.env, timeoutMs: 60_000})
    await live.waitFor((e) => e.type === 'keys-moved', 30_000)
    process.kill(c.pid, 'SIGKILL')
    const r = await live.done
    expect(r.code, show(r)).toBe(5)
    const err = (JSON.parse(r.stdout) as {error: {message: string; hint: string}}).error
    expect(err.message).toMatch(/^source nodeC closed the connection \(Connection is closed\): the node stopped, crashed or restarted; slots left open: \d+/)
    expect(err.hint).toMatch(/run `reshard recover`/)
  })
})
