// Slot lists go as one EVAL per node; a node that refuses the script (no +eval, or no SETSLOT
// from scripts) gets the same list as a pipeline, with the same per-slot results.
import {describe, expect, it} from 'vitest'
import {RedisClusterAdmin} from '../../src/cluster/redis-admin.js'

type Reply = unknown
class FakeClient {
  evals = 0
  pipelined: string[][] = []
  constructor(private readonly evalReply: (args: string[]) => Reply) {}
  async call(cmd: string, ...args: string[]): Promise<Reply> {
    if (cmd !== 'EVAL') throw new Error(`unexpected ${cmd}`)
    this.evals++
    const r = this.evalReply(args.slice(2))
    if (r instanceof Error) throw r
    return r
  }
  pipeline() {
    const cmds: string[][] = []
    return {
      call: (...a: string[]) => cmds.push(a),
      exec: async () => {
        this.pipelined.push(...cmds)
        return cmds.map((c) => (c[1] === 'COUNTKEYSINSLOT' ? [null, 7] : c[2] === '13' ? [new Error('ERR bad slot 13'), null] : [null, 'OK']))
      },
    }
  }
}

function replyError(message: string): Error {
  return Object.assign(new Error(message), {name: 'ReplyError'})
}

function adminWith(client: FakeClient): RedisClusterAdmin {
  const pool = {get: async () => client, conn: {}}
  const admin = new RedisClusterAdmin(pool as never)
  ;(admin as unknown as {topo: unknown}).topo = {nodes: [{id: 'n1', address: '127.0.0.1:1', host: '127.0.0.1', port: 1}]}
  return admin
}

const ops = [
  {slot: 12, action: 'importing' as const, nodeId: 'src'},
  {slot: 13, action: 'importing' as const, nodeId: 'src'},
]

describe('slot lists (SETSLOT, COUNTKEYSINSLOT) on one node', () => {
  it('go as one EVAL: per-slot errors and counts come back in list order', async () => {
    const c = new FakeClient((args) => (args.length === 6 ? ['', 'ERR bad slot 13'] : args.map(() => 3)))
    const admin = adminWith(c)
    expect(await admin.setSlots('n1', ops)).toEqual([undefined, 'ERR bad slot 13'])
    expect(await admin.countKeys('n1', [1, 2, 3])).toEqual([3, 3, 3])
    expect(c.evals).toBe(2)
    expect(c.pipelined).toEqual([])
  })

  it('a node that refuses EVAL (NOPERM) gets pipelines from then on, with the same results', async () => {
    const c = new FakeClient(() => replyError("NOPERM this user has no permissions to run the 'eval' command"))
    const admin = adminWith(c)
    expect(await admin.setSlots('n1', ops)).toEqual([undefined, 'ERR bad slot 13'])
    expect(await admin.countKeys('n1', [1, 2])).toEqual([7, 7])
    expect(c.evals).toBe(1)
    expect(c.pipelined).toEqual([
      ['CLUSTER', 'SETSLOT', '12', 'IMPORTING', 'src'],
      ['CLUSTER', 'SETSLOT', '13', 'IMPORTING', 'src'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '1'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '2'],
    ])
  })

  it('a server that will not run SETSLOT from a script: the list goes again as a pipeline', async () => {
    const c = new FakeClient((args) => args.filter((_, i) => i % 3 === 0).map(() => 'ERR This Redis command is not allowed from script'))
    const admin = adminWith(c)
    expect(await admin.setSlots('n1', ops)).toEqual([undefined, 'ERR bad slot 13'])
    expect(c.pipelined).toHaveLength(2)
    expect(c.evals).toBe(1)
  })

  it('a lost connection is not taken for a refusal: it is thrown', async () => {
    const c = new FakeClient(() => new Error('Connection is closed.'))
    const admin = adminWith(c)
    await expect(admin.setSlots('n1', ops)).rejects.toThrow(/Connection is closed/)
    expect(c.pipelined).toEqual([])
  })
})
