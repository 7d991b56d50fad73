// The fast start (README "Start-up time"; scripts/bundle.js, bin/run.js) keeps what oclif gives:
// help (root, topics, per command, the help plugin), the manifest, the plugins (autocomplete),
// flag and command suggestions, and `--version` answers exactly what oclif would answer.
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT, runCli} from './helpers/cluster.js'

const require = createRequire(import.meta.url)
const pjson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {version: string; oclif: {plugins: string[]; commands: string}}
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {version: string; commands: Record<string, {relativePath: string[]; pluginName: string}>}

describe('the built CLI after the start-up work', () => {
  it('--version prints what oclif prints (config.userAgent), and no plugin has an init hook that could change it', async () => {
    const {Config} = require('@oclif/core') as typeof import('@oclif/core')
    const config = await Config.load(REPO_ROOT)
    const r = await runCli(['--version'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${config.userAgent}\n`)
    for (const p of config.getPluginsList()) expect(p.hooks.init ?? [], `${p.name} has an init hook: bin/run.js must leave --version to oclif`).toEqual([])
  })

  it('help: the root with topics and commands, a topic, a command (--help and the help plugin)', async () => {
    const root = await runCli(['--help'])
    expect(root.code, root.stderr).toBe(0)
    expect(root.stdout).toMatch(/^TOPICS\n {2}plan +Make a migration plan/m)
    for (const c of ['add-node', 'apply', 'autocomplete', 'check', 'help', 'move', 'remove-node', 'status', 'wizard']) expect(root.stdout).toMatch(new RegExp(`^ {2}${c} `, 'm'))
    const topic = await runCli(['plan'])
    expect(topic.stdout).toMatch(/plan rebalance/)
    const viaFlag = await runCli(['move', '--help'])
    const viaPlugin = await runCli(['help', 'move'])
    expect(viaFlag.code).toBe(0)
    expect(viaPlugin.code, viaPlugin.stderr).toBe(0)
    expect(viaFlag.stdout).toMatch(/^USAGE\n {2}\$ reshard move \[SLOTS\]/m)
    expect(viaPlugin.stdout).toBe(viaFlag.stdout)
  })

  it('the manifest is the one in use: every command it lists is a bundled file, and runs', async () => {
    expect(manifest.version).toBe(pjson.version)
    expect(pjson.oclif.commands).toBe('./dist/bundle/commands')
    const ids = Object.keys(manifest.commands).sort()
    expect(ids).toEqual(expect.arrayContaining(['add-node', 'check', 'move', 'plan:rebalance', 'remove-node', 'sandbox:up', 'status']))
    for (const id of ids) expect(existsSync(join(REPO_ROOT, ...manifest.commands[id]!.relativePath)), id).toBe(true)
    // a command file is loaded from the manifest's path: sandbox status with no sandbox answers
    const r = await runCli(['sandbox', 'status', '--json'])
    expect([0, 3]).toContain(r.code)
    expect(() => JSON.parse(r.stdout)).not.toThrow()
  })

  it('the autocomplete plugin works (bash script and its cache), and suggestions for a mistyped command or flag', async () => {
    const home = mkdtempSync(join(tmpdir(), 'reshard-ac-'))
    const env = {...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), NO_COLOR: '1'}
    const ac = await runCli(['autocomplete', 'bash'], {env})
    expect(ac.code, ac.stderr).toBe(0)
    expect(ac.stdout).toMatch(/Setup Instructions for RESHARD CLI Autocomplete/)
    const script = await runCli(['autocomplete', 'script', 'bash'], {env})
    expect(script.code, script.stderr).toBe(0)
    expect(script.stdout).toMatch(/autocomplete/)
    const mistyped = await runCli(['mvoe'])
    expect(mistyped.code).toBe(2)
    expect(mistyped.stderr).toMatch(/did you mean "move"\?/)
    const flag = await runCli(['move', '1', '--too', 'nodeB'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toMatch(/did you mean --to\?/)
  })

  it('no TypeScript lookup under NODE_ENV=test or development: the bundle runs as built, silently', async () => {
    for (const NODE_ENV of ['test', 'development']) {
      const r = await runCli(['plan', '--help'], {env: {...process.env, NODE_ENV, NO_COLOR: '1'}})
      expect(r.code).toBe(0)
      expect(r.stderr).toBe('')
    }
  })

  it("V8's code cache (bin/code-cache.js): written once per kind of run, used after, refused when not V8's, off with RESHARD_CODE_CACHE=0; the output is the same", async () => {
    const home = mkdtempSync(join(tmpdir(), 'reshard-cc-'))
    const dir = join(home, 'reshard')
    const env = (extra: Record<string, string> = {}) => ({...process.env, XDG_CACHE_HOME: home, NO_COLOR: '1', ...extra})
    const files = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cache')) : [])
    const kinds = () => (JSON.parse(readFileSync(join(dir, `${files()[0]}.json`), 'utf8')) as {kinds: string[]}).kinds
    const off = await runCli(['plan', '--help'], {env: env({RESHARD_CODE_CACHE: '0'})})
    expect(files()).toEqual([])
    const first = await runCli(['plan', '--help'], {env: env()})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe(off.stdout)
    expect(files()).toHaveLength(1)
    expect(kinds()).toEqual(['plan'])
    const cache = join(dir, files()[0]!)
    const written = statSync(cache).mtimeMs
    // the same kind again: read, not written
    const again = await runCli(['plan', '--help'], {env: env()})
    expect(again.stdout).toBe(off.stdout)
    expect(again.stderr).toBe('')
    expect(statSync(cache).mtimeMs).toBe(written)
    // another kind: added (the cache then holds the functions of both)
    const other = await runCli(['sandbox', 'status', '--json'], {env: env({RESHARD_SANDBOX: 'cc-test-none'})})
    expect([0, 3]).toContain(other.code)
    expect(kinds()).toEqual(['plan', 'sandbox status'])
    // a mistyped command is not added
    const typo = await runCli(['mvoe', '100'], {env: env()})
    expect(typo.code).toBe(2)
    expect(kinds()).toEqual(['plan', 'sandbox status'])
    // a file V8 refuses (not a cache, or made by other flags) is no cache, and is replaced
    writeFileSync(cache, 'not a code cache')
    const refused = await runCli(['plan', '--help'], {env: env()})
    expect(refused.stdout).toBe(off.stdout)
    expect(refused.stderr).toBe('')
    expect(statSync(cache).size).toBeGreaterThan(100_000)
    expect(kinds()).toEqual(['plan'])
  })
})
