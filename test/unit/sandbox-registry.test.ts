// Named sandboxes: one state file per name under $RESHARD_HOME/sandboxes, the file of older
// versions read as "default", RESHARD_SANDBOX_STATE as the one file, and which sandbox a
// command means (env RESHARD_SANDBOX, else the only one running; several: a usage error).
// "Running" is checked like `down` does (the PID is a server on its port), so fake servers are
// node processes whose command line names redis-server and the port.
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {EXIT, UsageError} from '../../src/errors.js'
import {chooseSandbox, listSandboxes, sandboxForConnection} from '../../src/sandbox/registry.js'
import {findSandboxState, legacySandboxStatePath, sandboxStatePath, type SandboxState} from '../../src/sandbox/state.js'
import {resolveConnection} from '../../src/cli/connection-target.js'

let home: string
const saved = {...process.env}
const fakes: ChildProcess[] = []

/** A process whose command line looks like `redis-server 127.0.0.1:<port>`. */
async function fakeServer(port: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)', 'redis-server', `127.0.0.1:${port}`], {stdio: 'ignore'})
  fakes.push(child)
  await new Promise((r) => setTimeout(r, 50))
  return child.pid!
}

function state(name: string | undefined, ports: number[], pids: number[], extra: Partial<SandboxState> = {}): SandboxState {
  return {
    version: 1,
    name,
    host: '127.0.0.1',
    dataDir: join(home, `data-${name}`),
    redisServer: '/usr/bin/redis-server',
    nodes: ports.map((port, i) => ({port, pid: pids[i] ?? 999999, hostname: `node${String.fromCharCode(65 + i)}`, dir: join(home, `d${port}`)})),
    primaries: ports.length,
    replicas: 0,
    createdAt: new Date(0).toISOString(),
    ...extra,
  }
}

function record(name: string, s: SandboxState, path = join(home, 'sandboxes', `${name}.json`)): void {
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, JSON.stringify(s))
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'reshard-registry-'))
})

beforeEach(() => {
  rmSync(home, {recursive: true, force: true})
  mkdirSync(home, {recursive: true})
  process.env.RESHARD_HOME = home
  delete process.env.RESHARD_SANDBOX_STATE
  delete process.env.RESHARD_SANDBOX
  delete process.env.RESHARD_CLUSTER
  delete process.env.REDISCLI_AUTH
})

afterEach(() => {
  for (const f of fakes.splice(0)) f.kill('SIGKILL')
})

afterAll(() => {
  process.env = saved
  rmSync(home, {recursive: true, force: true})
})

describe('state files', () => {
  it('one file per name under $RESHARD_HOME/sandboxes; RESHARD_SANDBOX_STATE is the one file for any name', () => {
    expect(sandboxStatePath()).toBe(join(home, 'sandboxes', 'default.json'))
    expect(sandboxStatePath('valkey')).toBe(join(home, 'sandboxes', 'valkey.json'))
    process.env.RESHARD_SANDBOX_STATE = join(home, 'x.json')
    expect(sandboxStatePath('valkey')).toBe(join(home, 'x.json'))
  })

  it('refuses a name that is not a plain file name (exit 2)', () => {
    for (const bad of ['../x', 'a/b', '', '.hidden', 'x'.repeat(70)]) {
      expect(() => sandboxStatePath(bad), bad).toThrow(UsageError)
    }
  })

  it('reads the file of older versions as the sandbox "default"', () => {
    record('legacy', state(undefined, [30001], []), legacySandboxStatePath())
    expect(findSandboxState()?.path).toBe(legacySandboxStatePath())
    expect(listSandboxes().map((s) => [s.name, s.path])).toEqual([['default', legacySandboxStatePath()]])
    // a new "default" wins over the old file
    record('default', state('default', [30011], []))
    expect(findSandboxState()?.state.nodes[0]!.port).toBe(30011)
  })
})

describe('which sandbox a command means', () => {
  it('none recorded: none', () => {
    expect(chooseSandbox()).toBeUndefined()
  })

  it('the only one running, even with stopped ones recorded', async () => {
    record('a', state('a', [31001], []))
    record('b', state('b', [31011], [await fakeServer(31011)]))
    expect(listSandboxes().map((s) => [s.name, s.running])).toEqual([['a', false], ['b', true]])
    expect(chooseSandbox()?.name).toBe('b')
  })

  it('several running and none chosen: a usage error naming them (exit 2); RESHARD_SANDBOX chooses', async () => {
    record('a', state('a', [31001], [await fakeServer(31001)], {server: {name: 'redis', version: '7.0.15', label: 'redis 7.0.15'}}))
    record('b', state('b', [31011, 31012], [await fakeServer(31011)], {server: {name: 'valkey', version: '8.0.1', label: 'valkey 8.0.1'}}))
    let err: unknown
    try {
      chooseSandbox()
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(EXIT.USAGE)
    expect((err as UsageError).message).toBe('2 sandboxes are running: a (redis 7.0.15, port 31001); b (valkey 8.0.1, ports 31011-31012)')
    expect((err as UsageError).hint).toMatch(/RESHARD_SANDBOX=a .* status/)
    // commands with no connection flags get the same error; a seed or env RESHARD_CLUSTER needs no sandbox
    await expect(resolveConnection({})).rejects.toThrow(/2 sandboxes are running/)
    await expect(resolveConnection({cluster: ['127.0.0.1:7000']})).resolves.toMatchObject({source: 'flag'})
    process.env.RESHARD_SANDBOX = 'b'
    expect(chooseSandbox()?.name).toBe('b')
    const conn = await resolveConnection({})
    expect(conn).toMatchObject({source: 'sandbox', seeds: [{host: '127.0.0.1', port: 31011}, {host: '127.0.0.1', port: 31012}]})
  })

  it('RESHARD_SANDBOX naming no recorded sandbox: a usage error listing the recorded ones', () => {
    record('a', state('a', [31001], []))
    process.env.RESHARD_SANDBOX = 'nope'
    expect(() => sandboxForConnection()).toThrow(/no sandbox named "nope" is recorded/)
  })

  it("the sandbox's password is used when none is given", async () => {
    record('a', state('a', [31001], [], {password: 'pw', user: 'ops'}))
    expect(await resolveConnection({})).toMatchObject({password: 'pw', user: undefined, source: 'sandbox'})
    process.env.REDISCLI_AUTH = 'other'
    expect(await resolveConnection({})).toMatchObject({password: 'other'})
  })
})
