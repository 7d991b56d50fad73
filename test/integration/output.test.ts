// Output contract: plain progress lines and no escape codes without a TTY, NO_COLOR wins over
// FORCE_COLOR, and --json stdout is exactly one JSON document.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, startTestCluster, type TestCluster} from './helpers/cluster.js'

// eslint-disable-next-line no-control-regex
const ESC = /\x1b\[/

describe('output without a terminal', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 6000})
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('move prints plain progress lines and no escape codes', async () => {
    const r = await runCli(['move', '0-199', '--to', 'nodeB', '--yes'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toMatch(ESC)
    expect(r.stderr).not.toMatch(ESC)
    expect(r.stdout).toMatch(/^moving 200 slot\(s\), \d+ keys$/m)
    expect(r.stdout).toMatch(/^  nodeA -> nodeB: 200 slot\(s\), \d+ keys$/m)
    expect(r.stdout).toMatch(/^progress: 100%, (\d+)\/\1 keys, 200\/200 slots, \d+ keys\/s, eta 0s$/m)
    expect(r.stdout).toMatch(/^done: 200 slot\(s\) moved, \d+ keys in [\d.]+ s \(\d+ keys\/s\)$/m)
  })

  it('rebalance prints plain progress lines and no escape codes', async () => {
    const r = await runCli(['rebalance', '--threshold', '0', '--yes'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toMatch(ESC)
    expect(r.stdout).toMatch(/^progress: \d+%, \d+\/\d+ keys, \d+\/\d+ slots/m)
    expect(r.stdout).toMatch(/^done: \d+ slot\(s\) moved/m)
  })

  it('FORCE_COLOR colours status; NO_COLOR=1 removes the colour again', async () => {
    const noColorUnset = {...cluster.env}
    delete noColorUnset.NO_COLOR
    const coloured = await runCli(['status'], {env: {...noColorUnset, FORCE_COLOR: '1'}})
    expect(coloured.code).toBe(0)
    expect(coloured.stdout).toMatch(ESC)
    const plain = await runCli(['status'], {env: {...noColorUnset, FORCE_COLOR: '1', NO_COLOR: '1'}})
    expect(plain.code).toBe(0)
    expect(plain.stdout).not.toMatch(ESC)
    expect(plain.stdout).toContain('Health: OK')
  })

  it('--json: stdout is one JSON document, progress events are NDJSON on stderr', async () => {
    const r = await runCli(['move', '200-299', '--to', 'nodeC', '--yes', '--json'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.ok).toBe(true)
    expect(doc.moved).toHaveLength(100)
    const events = r.stderr
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l))
    expect(events[0].type).toBe('run-started')
    expect(events.at(-1).type).toBe('run-finished')
    for (const cmd of [['status'], ['check'], ['plan', 'rebalance']]) {
      const s = await runCli([...cmd, '--json'], {env: cluster.env})
      expect(() => JSON.parse(s.stdout), cmd.join(' ')).not.toThrow()
    }
  })
})
