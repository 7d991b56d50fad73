// Progress bars and the status table in a real 80-column terminal (tmux): the overall bar counts
// keys (slots beside), the per-pair line shows that pair's real keys, and no line is cut.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startTestCluster, type TestCluster} from './helpers/cluster.js'
import {hasTmux, Terminal} from './helpers/tmux.js'

describe.skipIf(!hasTmux)('progress and tables in an 80-column terminal', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 6000})
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  const run = async (args: string[]): Promise<string[]> => {
    const term = new Terminal()
    try {
      term.start({...cluster.env, NO_COLOR: '1'}, args, {columns: 80, rows: 40})
      expect(await term.exitCode()).toBe(0)
      return term.screen().split('\n').map((l) => l.trimEnd())
    } finally {
      term.stop()
    }
  }

  it('a move ends with full bars whose key counts are the real ones, every line whole', async () => {
    const screen = await run(['move', '0-299', '--to', 'nodeB', '--yes'])
    const text = screen.join('\n')
    const keys = Number(/^Moving 300 slot\(s\), (\d+) keys$/m.exec(text)?.[1])
    expect(keys).toBeGreaterThan(0)
    // overall: percentage of keys, keys, slots beside, rate, ETA: the whole line is on screen
    const overall = screen.find((l) => / keys\/s, ETA /.test(l))
    expect(overall, text).toMatch(new RegExp(`^\\S+ 100% ${keys}/${keys} keys, 300/300 slots, \\S+ keys/s, ETA \\S+$`))
    const pair = screen.find((l) => l.startsWith('  nodeA -> nodeB'))
    expect(pair, text).toMatch(new RegExp(`^  nodeA -> nodeB +\\S+ 100% ${keys}/${keys} keys, slot \\d+ done$`))
    expect(text).toMatch(/^done: 300 slot\(s\) moved/m)
    for (const l of screen) expect(l.length).toBeLessThanOrEqual(80)
  })

  it('status fits 80 columns: share bars whole, ranges on their own lines', async () => {
    const screen = await run(['status'])
    const text = screen.join('\n')
    const rows = screen.filter((l) => /^node[ABC] /.test(l) && l.includes('127.0.0.1'))
    expect(rows, text).toHaveLength(3)
    // both share bars are whole (10 cells each) on every row
    for (const r of rows) expect((r.match(/[█·]{10}/g) ?? []).length, r).toBe(2)
    expect(text).toMatch(/^RANGES$/m)
    expect(text).toMatch(/^nodeB\s+0-299,5462-10922$/m)
  })
})
