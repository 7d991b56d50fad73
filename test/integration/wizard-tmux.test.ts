// The built CLI's wizard in a real terminal (tmux), against a sandbox cluster: a move chosen by
// range, and Ctrl-C at the confirmation (exit 130, cluster unchanged).
import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {clusterNodesOfAll, startTestCluster, type TestCluster} from './helpers/cluster.js'
import {hasTmux, Terminal} from './helpers/tmux.js'

describe.skipIf(!hasTmux)('wizard in a terminal', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, keys: 5000})
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('moves slots chosen by range to a chosen target, showing the plan and the equivalent command', async () => {
    const term = new Terminal()
    try {
      term.start(cluster.env, ['wizard'])
      await term.waitFor('What do you want to do?')
      term.keys('Enter') // Move slots
      await term.waitFor('Move slots from which primary?')
      term.keys('Enter') // nodeA
      await term.waitFor('To which primary?')
      term.keys('Enter') // first remaining: nodeB
      await term.waitFor('Which slots?')
      term.keys('Down')
      term.keys('Enter') // a range
      await term.waitFor('Slot range')
      term.keys('100-149', 'Enter')
      const preview = await term.waitFor('Run it now?')
      expect(preview).toContain('FROM')
      expect(preview).toMatch(/nodeA\s+nodeB\s+100-149\s+50/)
      expect(preview).toContain('estimated time')
      expect(preview).toContain('equivalent command: reshard move 100-149 --from nodeA --to nodeB --yes')
      term.keys('y', 'Enter')
      expect(await term.exitCode()).toBe(0)
      const end = term.screen()
      expect(end).toContain('Next time, without the wizard: reshard move 100-149 --from nodeA --to nodeB --yes')
      expect(end).toContain('Health: OK')
    } finally {
      term.stop()
    }
    // the cluster shows the new owner and all keys
    const nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    const nodeB = cluster.nodes.find((n) => n.hostname === 'nodeB')!
    const a = new Redis({port: nodeA.port, lazyConnect: true})
    const b = new Redis({port: nodeB.port, lazyConnect: true})
    try {
      for (let s = 100; s < 150; s++) expect(Number(await a.call('CLUSTER', 'COUNTKEYSINSLOT', String(s)))).toBe(0)
      const sizes = await Promise.all(cluster.nodes.map(async (n) => {
        const c = new Redis({port: n.port, lazyConnect: true})
        try {
          return Number(await c.dbsize())
        } finally {
          c.disconnect()
        }
      }))
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(5000)
      const nodes = String(await b.call('CLUSTER', 'NODES'))
      const myself = nodes.split('\n').find((l) => l.includes('myself'))!
      expect(myself).toMatch(/ 100-149( |$)/)
    } finally {
      a.disconnect()
      b.disconnect()
    }
  })

  /** The wizard's "move a range" path from the first question to "Run it now?". */
  async function walkToConfirmation(term: Terminal, range: string): Promise<void> {
    term.start(cluster.env, ['wizard'])
    await term.waitFor('What do you want to do?')
    term.keys('Enter')
    await term.waitFor('Move slots from which primary?')
    term.keys('Enter')
    await term.waitFor('To which primary?')
    term.keys('Enter')
    await term.waitFor('Which slots?')
    term.keys('Down')
    term.keys('Enter')
    await term.waitFor('Slot range')
    term.keys(range, 'Enter')
    await term.waitFor('Run it now?')
  }

  it('Ctrl-C at the confirmation exits 130 and changes nothing', async () => {
    const before = await clusterNodesOfAll(cluster)
    const term = new Terminal()
    try {
      await walkToConfirmation(term, '200-210')
      term.keys('C-c')
      expect(await term.exitCode()).toBe(130)
      expect(term.screen()).toContain('nothing was changed')
    } finally {
      term.stop()
    }
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
  })

  it('answering n at the confirmation prints "nothing was changed" without Error and exits 130', async () => {
    const before = await clusterNodesOfAll(cluster)
    const term = new Terminal()
    try {
      await walkToConfirmation(term, '300-310')
      term.keys('n', 'Enter')
      expect(await term.exitCode()).toBe(130)
      const end = term.screen()
      expect(end).toMatch(/^nothing was changed$/m)
      expect(end).not.toContain('Error')
    } finally {
      term.stop()
    }
    expect(await clusterNodesOfAll(cluster)).toEqual(before)
  })

  it('adds a node and removes it again, printing the equivalent commands', async () => {
    const bare = await cluster.startBareNode()
    let term = new Terminal()
    try {
      term.start(cluster.env, ['wizard'])
      await term.waitFor('What do you want to do?')
      term.keys('Down', 'Down', 'Down', 'Enter') // Add a node
      await term.waitFor('Address of the new node')
      term.keys(bare.address, 'Enter')
      await term.waitFor('The new node joins as:')
      term.keys('Enter') // an empty primary
      await term.waitFor(`equivalent command: reshard add-node ${bare.address} --yes`)
      term.keys('y', 'Enter')
      expect(await term.exitCode(60_000)).toBe(0)
      expect(term.screen()).toContain(`Next time, without the wizard: reshard add-node ${bare.address} --yes`)
    } finally {
      term.stop()
    }
    const seen = await clusterNodesOfAll(cluster)
    for (const text of Object.values(seen)) expect(text).toContain(`:${bare.port}@`)
    term = new Terminal()
    try {
      term.start(cluster.env, ['wizard'])
      await term.waitFor('What do you want to do?')
      term.keys('Down', 'Down', 'Down', 'Down', 'Enter') // Remove a node
      await term.waitFor('Remove which node?')
      term.keys('Up', 'Enter') // the list loops: the last node, the one just added
      await term.waitFor(/equivalent command: reshard remove-node \S+ --yes/)
      term.keys('y', 'Enter')
      expect(await term.exitCode(60_000)).toBe(0)
      expect(term.screen()).toMatch(/Next time, without the wizard: reshard remove-node \S+ --yes/)
    } finally {
      term.stop()
    }
    const after = await clusterNodesOfAll(cluster)
    for (const [addr, text] of Object.entries(after)) if (addr !== bare.address) expect(text).not.toContain(`:${bare.port}@`)
  }, 180_000)
})
