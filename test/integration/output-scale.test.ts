// Output that stays readable at cluster scale, without a terminal: slot lists as ranges with
// counts (check, status, the skips of a re-run, a run left open), progress by keys printed on
// change only, dry runs "planned", real slot-done times, 80-column tables, --json --quiet silent.
import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, startTestCluster, type TestCluster, type TestNode} from './helpers/cluster.js'

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '')

describe('output at scale (plain)', () => {
  let cluster: TestCluster
  let nodeA: TestNode
  let nodeB: TestNode
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 6000})
    nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    nodeB = cluster.nodes.find((n) => n.hostname === 'nodeB')!
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('a move prints progress by keys, on change only; a re-run prints one skip line; --json has real slot-done times', async () => {
    const r = await runCli(['move', '0-999', '--to', 'nodeB', '--yes'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    const progress = lines(r.stdout).filter((l) => l.startsWith('progress:'))
    expect(progress.length).toBeGreaterThan(0)
    for (let i = 1; i < progress.length; i++) expect(progress[i], 'a repeated progress line').not.toBe(progress[i - 1])
    expect(progress.at(-1)).toMatch(/^progress: 100%, (\d+)\/\1 keys, 1000\/1000 slots, \d+ keys\/s, eta 0s$/)
    expect(r.stdout).toMatch(/^done: 1000 slot\(s\) moved/m)

    const again = await runCli(['move', '0-999', '--to', 'nodeB', '--yes'], {env: cluster.env})
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).not.toMatch(/skip slot/)
    expect(lines(again.stdout).filter((l) => l.startsWith('skipped'))).toEqual(['skipped 0-999 (1000 slots, target already owns the slot)'])
    expect(lines(again.stdout).length).toBeLessThan(6)

    const j = await runCli(['move', '1000-1099', '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    expect(j.code, j.stderr).toBe(0)
    const events = lines(j.stderr).map((l) => JSON.parse(l) as Record<string, unknown>)
    const done = events.filter((e) => e.type === 'slot-done')
    const finished = events.find((e) => e.type === 'run-finished')!
    expect(done).toHaveLength(100)
    expect(done.some((e) => (e.ms as number) > 0), 'every slot-done.ms is 0').toBe(true)
    for (const e of done) expect(e.ms as number).toBeLessThanOrEqual(finished.ms as number)
    expect(events.some((e) => e.type === 'keys-moved' && 'bytes' in e)).toBe(false)
  })

  it('a dry run reports planned slots, not done ones', async () => {
    const r = await runCli(['move', '2000-2099', '--to', 'nodeC', '--dry-run'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^planned: 100%, \d+\/\d+ keys, 100\/100 slots$/m)
    expect(r.stdout).toMatch(/^dry run: 100 slot\(s\) with \d+ keys planned; nothing was sent$/m)
    expect(r.stdout).not.toMatch(/^(progress|done):/m)
    const j = await runCli(['move', '2000-2099', '--to', 'nodeC', '--dry-run', '--json'], {env: cluster.env})
    const doc = JSON.parse(j.stdout) as {moved: Array<{outcome: string; state: string}>}
    expect(new Set(doc.moved.map((m) => `${m.outcome}/${m.state}`))).toEqual(new Set(['planned/pending']))
  })

  it('--json --quiet writes the document and no events', async () => {
    const r = await runCli(['move', '2100-2109', '--to', 'nodeC', '--yes', '--json', '--quiet'], {env: cluster.env})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout).ok).toBe(true)
  })

  it('203 open slots: check, status and recover print ranges with counts, and status fits 80 columns', async () => {
    const a = new Redis({port: nodeA.port, lazyConnect: true})
    const b = new Redis({port: nodeB.port, lazyConnect: true})
    try {
      // slots 3000-3202 are nodeA's: open them towards nodeB by hand, as a Ctrl-C would leave them
      for (let s = 3000; s <= 3202; s++) {
        await b.call('CLUSTER', 'SETSLOT', String(s), 'IMPORTING', nodeA.id)
        await a.call('CLUSTER', 'SETSLOT', String(s), 'MIGRATING', nodeB.id)
      }
    } finally {
      a.disconnect()
      b.disconnect()
    }
    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code).toBe(3)
    const problems = lines(check.stdout)
    expect(problems).toContain('✗ slots 3000-3202 (203 slots) are MIGRATING on nodeA (to nodeB)')
    expect(problems).toContain('✗ slots 3000-3202 (203 slots) are IMPORTING on nodeB (from nodeA)')
    expect(problems.length).toBeLessThan(6)

    const status = await runCli(['status'], {env: cluster.env})
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('  3000-3202 (203 slots, MIGRATING on nodeA to nodeB)')
    expect(lines(status.stdout).length).toBeLessThan(25)
    for (const l of status.stdout.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80)

    const rec = await runCli(['recover', '--yes'], {env: cluster.env})
    expect(rec.code, rec.stderr).toBe(0)
    expect(rec.stdout).toMatch(/^slots 3000-3202 \(203 slots\): \S+ \(nodeA -> nodeB\)/m)
    expect(rec.stdout).toMatch(/^repaired 3000-3202 \(203 slots\)$/m)
    expect(lines(rec.stdout).length).toBeLessThan(20)
    expect((await runCli(['check'], {env: cluster.env})).code).toBe(0)
  })
})
