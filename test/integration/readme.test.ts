// The README's command reference is generated from the commands (`npm run readme`, i.e.
// `oclif readme`); this keeps it current. Its sample session (between the readme-session
// markers) is replayed against a real cluster, and every line must match what the CLI prints.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT, runCli, startTestCluster, type TestCluster} from './helpers/cluster.js'

function commandsSection(text: string): string {
  // markers on lines of their own (oclif also prints "replacing <!-- commands --> in ...")
  const start = text.indexOf('\n<!-- commands -->\n')
  const end = text.indexOf('\n<!-- commandsstop -->')
  expect(start).toBeGreaterThanOrEqual(0)
  expect(end).toBeGreaterThan(start)
  return text.slice(start, end).trim()
}

describe('README command reference', () => {
  it('matches `oclif readme` output (run `npm run readme` after changing a command)', () => {
    const generated = execFileSync(join(REPO_ROOT, 'node_modules/.bin/oclif'), ['readme', '--no-aliases', '--no-source-links', '--readme-path', 'README.md', '--dry-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {...process.env, COLUMNS: '120', OCLIF_DISABLE_UPDATE_CHECK: '1'},
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    expect(commandsSection(readme)).toBe(commandsSection(generated))
  }, 60_000)
})

/** The session's blocks: the command (after `$ reshard `) and the lines it printed. */
export function sessionBlocks(readme: string): Array<{args: string[]; lines: string[]}> {
  const start = readme.indexOf('<!-- readme-session')
  const end = readme.indexOf('<!-- /readme-session -->')
  expect(start).toBeGreaterThanOrEqual(0)
  expect(end).toBeGreaterThan(start)
  return [...readme.slice(start, end).matchAll(/```\n\$ reshard (.*)\n([\s\S]*?)```/g)].map((m) => ({args: m[1]!.split(' '), lines: m[2]!.replace(/\n$/, '').split('\n')}))
}

/** A line as compared: ids, numbers and bars made placeholders, runs of spaces one space. */
export function shape(line: string): string {
  return line
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/\b[0-9a-f]{8,40}\b/g, 'ID')
    .replace(/\d+(\.\d+)?/g, 'N')
    .replace(/[█░·]+/g, 'BAR')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The lines compared: without the plain progress lines, whose number depends on timing. */
function comparable(lines: string[]): string[] {
  return lines.map(shape).filter((l) => !/^(progress|planned): /.test(l))
}

describe('README sample session', () => {
  let cluster: TestCluster
  let fresh: string
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 20_000})
    const bare = await cluster.startBareNode()
    fresh = bare.address
    // the README's fresh server announces no hostname, so it is shown by its address: this one
    // stops announcing its own before it meets the cluster
    const c = new Redis({port: bare.port, lazyConnect: true})
    await c.connect()
    await c.call('CONFIG', 'SET', 'cluster-announce-hostname', '')
    c.disconnect()
  }, 180_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('every command of the session prints what the README shows (ids, numbers and bars aside)', async () => {
    const blocks = sessionBlocks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))
    expect(blocks.map((b) => b.args.slice(0, 2).join(' '))).toEqual(expect.arrayContaining(['status', 'check', 'move 0-99', 'plan move', 'apply plan.json', 'add-node 127.0.0.1:43010', 'remove-node 127.0.0.1:43010']))
    const plan = join(mkdtempSync(join(tmpdir(), 'reshard-readme-')), 'plan.json')
    for (const b of blocks) {
      const args = b.args.map((a) => (a === '127.0.0.1:43010' ? fresh : a === 'plan.json' ? plan : a))
      const r = await runCli(args, {env: {...cluster.env, COLUMNS: '80'}})
      const printed = `${r.stdout}${r.stderr}`
        .replaceAll(plan, 'plan.json')
        .replace(/\n$/, '')
        .split('\n')
      if (r.code !== 0) printed.push(`(exit ${r.code})`)
      expect(comparable(printed), `reshard ${b.args.join(' ')}:\n${printed.join('\n')}`).toEqual(comparable(b.lines))
    }
  }, 300_000)
})
