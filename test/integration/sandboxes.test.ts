// Several sandboxes at once, from the built CLI: each has a --name and its own state file; other
// commands take env RESHARD_SANDBOX or the only one running, and refuse (exit 2, listing them)
// when several run and none is chosen. `sandbox up` prints the server it probed and a hint that
// works as typed; with --password and --user, replicas replicate as that user. The state file of
// older versions is still read (as "default") and cleaned up by `down`.
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, renameSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {connectNode} from '../../src/cluster/connection.js'
import {findFreePortRange} from '../../src/sandbox/ports.js'
import {isPidAlive, waitForExit} from '../../src/sandbox/process.js'
import {REPO_ROOT, runCli, type CliResult} from './helpers/cluster.js'

function explain(r: CliResult, what: string): string {
  return `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
}

/** Run a command line exactly as a user would type it in a shell, in the repository. */
function shell(line: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((res) => {
    execFile('sh', ['-c', line], {cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 30_000}, (err, stdout, stderr) => {
      res({code: err ? ((err as {code?: number}).code ?? 1) : 0, stdout, stderr})
    })
  })
}

describe('several named sandboxes (the CLI)', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  let portA: number
  let portB: number
  const pids: Record<string, number[]> = {}

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'reshard-sandboxes-'))
    env = {...process.env, RESHARD_HOME: home, NO_COLOR: '1'}
    for (const k of ['REDISCLI_AUTH', 'RESHARD_CLUSTER', 'RESHARD_SANDBOX', 'RESHARD_SANDBOX_STATE']) delete env[k]
    portA = await findFreePortRange(3)
    portB = await findFreePortRange(6)
    while (Math.abs(portB - portA) < 10) portB = await findFreePortRange(6)
  })

  afterAll(async () => {
    for (const name of ['a', 'b', 'default']) await runCli(['sandbox', 'down', '--name', name], {env})
    rmSync(home, {recursive: true, force: true})
  })

  it('up --name records each sandbox in its own file with the server it probed', async () => {
    const a = await runCli(['sandbox', 'up', '--name', 'a', '--port', String(portA), '--json'], {env})
    expect(a.code, explain(a, 'up a')).toBe(0)
    const docA = JSON.parse(a.stdout)
    expect(docA).toMatchObject({name: 'a', statePath: join(home, 'sandboxes', 'a.json')})
    expect(docA.server.label).toMatch(/^redis \d+\.\d+\.\d+/)
    pids.a = docA.nodes.map((n: {pid: number}) => n.pid)

    const b = await runCli(['sandbox', 'up', '--name', 'b', '--port', String(portB), '--replicas', '1', '--user', 'ops'], {env: {...env, REDISCLI_AUTH: 'pw-b'}})
    expect(b.code, explain(b, 'up b')).toBe(0)
    expect(b.stdout).toContain(`Sandbox "b" up`)
    expect(b.stdout).toContain(docA.server.label)
    expect(b.stdout).toMatch(/ACL user ops .*replication: masterauth.*masteruser/)
    expect(b.stdout + b.stderr).not.toContain('pw-b')
    expect(existsSync(join(home, 'sandboxes', 'b.json'))).toBe(true)
    // the hint names the sandbox (two run now) and works as typed
    const hint = /try: (.*)$/m.exec(b.stdout)![1]!
    expect(hint).toMatch(/^RESHARD_SANDBOX=b (reshard|npx reshard|node \S+) status$/)
    const typed = await shell(hint, env)
    expect(typed.code, explain(typed, hint)).toBe(0)
    expect(typed.stdout).toContain(`127.0.0.1:${portB + 5}`)
  })

  it('replicas of the password sandbox replicate as its ACL user', async () => {
    const c = await connectNode({seeds: [], password: 'pw-b', source: 'flag', connectTimeoutMs: 3000}, '127.0.0.1', portB + 3)
    try {
      expect(await c.call('CONFIG', 'GET', 'masteruser')).toEqual(['masteruser', 'ops'])
      expect(String(await c.call('INFO', 'replication'))).toMatch(/master_link_status:up/)
      // the user really exists with that password
      expect(await c.call('AUTH', 'ops', 'pw-b')).toBe('OK')
    } finally {
      c.disconnect()
    }
  })

  it('with two running, a command without connection flags names them and exits 2; RESHARD_SANDBOX or -c chooses', async () => {
    const st = await runCli(['status'], {env})
    expect(st.code, explain(st, 'status')).toBe(2)
    expect(st.stderr).toMatch(new RegExp(`2 sandboxes are running: a \\(redis [^,]+, ports ${portA}-${portA + 2}\\); b \\(redis [^,]+, ports ${portB}-${portB + 5}\\)`))
    expect(st.stderr).toMatch(/RESHARD_SANDBOX=/)
    const chosen = await runCli(['check'], {env: {...env, RESHARD_SANDBOX: 'a'}})
    expect(chosen.code, explain(chosen, 'RESHARD_SANDBOX=a check')).toBe(0)
    const seeded = await runCli(['check', '-c', `127.0.0.1:${portA}`], {env})
    expect(seeded.code, explain(seeded, 'check -c')).toBe(0)
    const unknown = await runCli(['check'], {env: {...env, RESHARD_SANDBOX: 'nope'}})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no sandbox named "nope"/)
  })

  it('sandbox status shows every one; sandbox down without --name stops nothing', async () => {
    const st = await runCli(['sandbox', 'status', '--json'], {env})
    expect(st.code, explain(st, 'sandbox status')).toBe(0)
    expect(JSON.parse(st.stdout).sandboxes.map((s: {name: string; healthy: boolean}) => [s.name, s.healthy])).toEqual([
      ['a', true],
      ['b', true],
    ])
    const one = await runCli(['sandbox', 'status', '--name', 'b'], {env})
    expect(one.stdout).toMatch(/Sandbox "b" healthy: redis [\d.]+.*, 6\/6 nodes alive \(password\)/)
    const down = await runCli(['sandbox', 'down'], {env})
    expect(down.code, explain(down, 'sandbox down')).toBe(2)
    expect(down.stderr).toMatch(/--name/)
    expect(pids.a!.every(isPidAlive)).toBe(true)
  })

  it('down --name stops that one; the other is then the one commands use', async () => {
    const down = await runCli(['sandbox', 'down', '--name', 'a'], {env})
    expect(down.code, explain(down, 'down a')).toBe(0)
    expect(await waitForExit(pids.a!, 5000)).toEqual([])
    const st = await runCli(['status'], {env})
    expect(st.code, explain(st, 'status')).toBe(0)
    expect(st.stdout).toContain(`127.0.0.1:${portB}`)
  })

  it('the state file of older versions is read as "default" and removed by down', async () => {
    const legacy = join(home, 'sandbox.json')
    renameSync(join(home, 'sandboxes', 'b.json'), legacy)
    const st = await runCli(['sandbox', 'status'], {env})
    expect(st.stdout).toMatch(/Sandbox "default" healthy/)
    const check = await runCli(['check'], {env})
    expect(check.code, explain(check, 'check on the old state file')).toBe(0)
    const down = await runCli(['sandbox', 'down'], {env})
    expect(down.code, explain(down, 'down')).toBe(0)
    expect(existsSync(legacy)).toBe(false)
  })
})
