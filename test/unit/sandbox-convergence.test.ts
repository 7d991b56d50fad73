// The sandbox waits until the cluster has settled, including the config epochs of primaries:
// new empty primaries all start at epoch 0, and Redis bumps one of two colliding epochs a moment
// later (clusterHandleConfigEpochCollision). A caller that snapshots CLUSTER NODES right after
// `up` or `addEmptyPrimary` must not see it change afterwards.
import {describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {waitForConvergence, type ExpectedNode} from '../../src/sandbox/sandbox.js'

const ID = {a: 'a'.repeat(40), b: 'b'.repeat(40), g: 'c'.repeat(40), h: 'd'.repeat(40)}

function nodesText(myPort: number, epochG: number): string {
  const line = (id: string, port: number, host: string, epoch: number, slots: string) =>
    `${id} 127.0.0.1:${port}@${port + 10000},${host} ${port === myPort ? 'myself,' : ''}master - 0 0 ${epoch} connected${slots ? ` ${slots}` : ''}`
  return [line(ID.a, 7001, 'nodeA', 1, '0-8191'), line(ID.b, 7002, 'nodeB', 2, '8192-16383'), line(ID.g, 7003, 'nodeG', epochG, ''), line(ID.h, 7004, 'nodeH', 0, '')].join('\n') + '\n'
}

/** Four primaries; nodeG's epoch is 0 (colliding with nodeH) until `bumpAfter` CLUSTER NODES reads. */
function fakeCluster(bumpAfter: number): {clients: Map<number, Redis>; reads: () => number} {
  let reads = 0
  const clients = new Map<number, Redis>()
  for (const port of [7001, 7002, 7003, 7004]) {
    const call = async (...args: string[]) => {
      const cmd = args.join(' ').toUpperCase()
      if (cmd === 'CLUSTER INFO') return 'cluster_state:ok\r\ncluster_known_nodes:4\r\n'
      if (cmd === 'CLUSTER NODES') return nodesText(port, ++reads > bumpAfter ? 5 : 0)
      throw new Error(`unexpected ${cmd}`)
    }
    clients.set(port, {call} as unknown as Redis)
  }
  return {clients, reads: () => reads}
}

const expected: ExpectedNode[] = [7001, 7002, 7003, 7004].map((port) => ({port, role: 'primary'}))

describe('sandbox convergence', () => {
  it('waits until no two primaries share a config epoch', async () => {
    const {clients, reads} = fakeCluster(12)
    await waitForConvergence(clients, expected, 5000)
    expect(reads()).toBeGreaterThan(12)
  })

  it('says so when the epochs never part', async () => {
    const {clients} = fakeCluster(Number.POSITIVE_INFINITY)
    await expect(waitForConvergence(clients, expected, 300)).rejects.toThrow(/share a config epoch/)
  })
})
