// A seed that is alone in its own view (a node removed with `remove-node` and reset, still
// listed in RESHARD_CLUSTER or the sandbox state) must not be taken for the cluster, even when it
// answers first.
import {describe, expect, it} from 'vitest'
import {discover, type NodePool} from '../../src/cluster/discovery.js'

const id = (c: string) => c.repeat(40)
const cluster = [
  `${id('a')} 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-8191`,
  `${id('b')} 127.0.0.1:30002@40002 master - 0 0 2 connected 8192-16383`,
].join('\n')
const viewOf: Record<string, {text: string; delayMs: number}> = {
  '127.0.0.1:30009': {text: `${id('z')} 127.0.0.1:30009@40009 myself,master - 0 0 0 connected`, delayMs: 0},
  '127.0.0.1:30001': {text: cluster, delayMs: 30},
  '127.0.0.1:30002': {text: cluster.replace('myself,master', 'master').replace(' master - 0 0 2', ' myself,master - 0 0 2'), delayMs: 30},
}

function fakePool(seeds: string[]): NodePool {
  return {
    conn: {seeds: seeds.map((s) => ({host: '127.0.0.1', port: Number(s.split(':')[1])})), source: 'flag', connectTimeoutMs: 1000},
    get: async (address: string) => ({
      call: async () => {
        const v = viewOf[address]!
        await new Promise((r) => setTimeout(r, v.delayMs))
        return v.text
      },
    }),
  } as unknown as NodePool
}

describe('discover with a lone seed', () => {
  it('takes the view that knows the most nodes', async () => {
    const t = await discover(fakePool(['127.0.0.1:30009', '127.0.0.1:30001']))
    expect(t.nodes.map((n) => n.port)).toEqual([30001, 30002])
    expect(t.uncovered).toEqual([])
  })

  it('still answers for a one-node cluster given as the only seed', async () => {
    const t = await discover(fakePool(['127.0.0.1:30009']))
    expect(t.nodes.map((n) => n.port)).toEqual([30009])
  })
})
