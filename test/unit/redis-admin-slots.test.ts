// Slot lists on one node. SETSLOT is never sent from a script (DESIGN.md §1: a SETSLOT that blocks
// inside a script aborts a Valkey 8+ primary with replicas): it always goes as pipelined commands,
// in chunks sized from the node's measured cost. COUNTKEYSINSLOT goes as one read-only EVAL; a node
// that refuses the script gets the same list as a pipeline, with the same per-slot results.
import {describe, expect, it} from 'vitest'
import {RedisClusterAdmin} from '../../src/cluster/redis-admin.js'
import {setSlotChunk, setSlotDeadline} from '../../src/cluster/setslot.js'
import {ADMIN_TIMEOUT_MS} from '../../src/cluster/timeout.js'

type Reply = unknown
class FakeClient {
  evals: string[][] = []
  pipelined: string[][] = []
  /** Pipelines sent, by size. */
  writes: number[] = []
  /** Plain calls other than EVAL and COMMAND DOCS, in order. */
  calls: string[][] = []
  inFlight = 0
  maxInFlight = 0
  constructor(
    private readonly evalReply: (args: string[]) => Reply,
    private readonly pipelineDelayMs = 0,
    /** COMMAND DOCS CLUSTER|SETSLOT reply: a TIMEOUT argument marks a server that blocks on SETSLOT (Valkey 8+). */
    private readonly setSlotDocs: Reply = {'cluster|setslot': {summary: 'Binds a hash slot to a node.', arguments: [{name: 'slot'}]}},
  ) {}
  async call(cmd: string, ...args: string[]): Promise<Reply> {
    if (cmd === 'COMMAND') return this.setSlotDocs
    if (cmd === 'CLUSTER') {
      this.calls.push([cmd, ...args])
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      await new Promise((r) => setTimeout(r, 2))
      this.inFlight--
      if (args[1] === '13') throw replyError('ERR bad slot 13')
      return 'OK'
    }
    if (cmd !== 'EVAL') throw new Error(`unexpected ${cmd}`)
    this.evals.push(args)
    const r = this.evalReply(args.slice(2))
    if (r instanceof Error) throw r
    return r
  }
  pipeline() {
    const cmds: string[][] = []
    return {
      call: (...a: string[]) => cmds.push(a),
      exec: async () => {
        this.writes.push(cmds.length)
        if (this.pipelineDelayMs) await new Promise((r) => setTimeout(r, this.pipelineDelayMs))
        this.pipelined.push(...cmds)
        return cmds.map((c) => (c[1] === 'COUNTKEYSINSLOT' ? [null, 7] : c[2] === '13' ? [new Error('ERR bad slot 13'), null] : [null, 'OK']))
      },
    }
  }
}

function replyError(message: string): Error {
  return Object.assign(new Error(message), {name: 'ReplyError'})
}

function adminWith(client: FakeClient, lanes: FakeClient[] = []): RedisClusterAdmin {
  const pool = {get: async (_address: string, lane = 0) => (lane === 0 ? client : lanes[lane - 1]!), conn: {}}
  const admin = new RedisClusterAdmin(pool as never)
  ;(admin as unknown as {topo: unknown}).topo = {nodes: [{id: 'n1', address: '127.0.0.1:1', host: '127.0.0.1', port: 1}]}
  return admin
}

const ops = [
  {slot: 12, action: 'importing' as const, nodeId: 'src'},
  {slot: 13, action: 'importing' as const, nodeId: 'src'},
]

describe('CLUSTER SETSLOT lists', () => {
  it('never go through EVAL, even when the node runs scripts: plain pipelined commands, per-slot errors in order', async () => {
    const c = new FakeClient((args) => args.map(() => 3))
    const admin = adminWith(c)
    expect(await admin.setSlots('n1', ops)).toEqual([undefined, 'ERR bad slot 13'])
    expect(c.evals).toEqual([])
    expect(c.pipelined).toEqual([
      ['CLUSTER', 'SETSLOT', '12', 'IMPORTING', 'src'],
      ['CLUSTER', 'SETSLOT', '13', 'IMPORTING', 'src'],
    ])
  })

  it('are split into chunks sized from the measured cost, all sent in list order', async () => {
    // 40 ms per pipeline: the cost per SETSLOT is measured and later chunks get smaller
    const c = new FakeClient(() => [], 40)
    const admin = adminWith(c)
    const many = Array.from({length: 600}, (_, i) => ({slot: 1000 + i, action: 'stable' as const}))
    const r = await admin.setSlots('n1', many)
    expect(r).toHaveLength(600)
    expect(r.every((x) => x === undefined)).toBe(true)
    expect(c.pipelined.map((p) => Number(p[2]))).toEqual(many.map((o) => o.slot))
    expect(c.writes.length).toBeGreaterThan(1)
    expect(c.evals).toEqual([])
  })

  it('chunk size and deadline follow the cost: a slow node gets small chunks and room to answer', () => {
    expect(setSlotChunk(0.05)).toBe(1024)
    expect(setSlotChunk(5)).toBe(200)
    expect(setSlotChunk(50)).toBe(20)
    expect(setSlotChunk(500)).toBe(16)
    // 1024 SETSLOTs at 50 ms each (a loaded Valkey 8) are 51 s: never inside a fixed 15 s deadline
    expect(setSlotDeadline(50, setSlotChunk(50))).toBeGreaterThan(50 * setSlotChunk(50))
    expect(setSlotDeadline(0.1, 1024)).toBeGreaterThanOrEqual(ADMIN_TIMEOUT_MS)
  })

  it('on a node that blocks the caller on SETSLOT (Valkey 8+): one SETSLOT in flight per connection, several connections, a slot\'s ops in order', async () => {
    const docs = {'cluster|setslot': {history: [['8.0.0', 'Added the `TIMEOUT` option.']], arguments: [{name: 'timeout'}]}}
    const lanes = Array.from({length: 7}, () => new FakeClient(() => [], 0, docs))
    const c = new FakeClient(() => [], 0, docs)
    const admin = adminWith(c, lanes)
    const many = [
      ...Array.from({length: 40}, (_, i) => ({slot: 100 + i, action: 'importing' as const, nodeId: 'src'})),
      {slot: 13, action: 'stable' as const},
      {slot: 13, action: 'importing' as const, nodeId: 'src'},
    ]
    const r = await admin.setSlots('n1', many)
    expect(r.slice(0, 40).every((x) => x === undefined)).toBe(true)
    expect(r.slice(40)).toEqual(['ERR bad slot 13', 'ERR bad slot 13'])
    const all = [c, ...lanes]
    expect(all.every((x) => x.pipelined.length === 0 && x.maxInFlight <= 1)).toBe(true)
    expect(all.filter((x) => x.calls.length > 0).length).toBe(8)
    // both ops of slot 13 went to one connection, in list order
    const of13 = all.filter((x) => x.calls.some((k) => k[2] === '13'))
    expect(of13).toHaveLength(1)
    expect(of13[0]!.calls.filter((k) => k[2] === '13').map((k) => k[3])).toEqual(['STABLE', 'IMPORTING'])
    expect(all.every((x) => x.evals.length === 0)).toBe(true)
  })

  it('a lost connection is thrown', async () => {
    const c = new FakeClient(() => [])
    c.pipeline = () => ({call: () => 0, exec: async () => Promise.reject(new Error('Connection is closed.'))}) as never
    const admin = adminWith(c)
    await expect(admin.setSlots('n1', ops)).rejects.toThrow(/Connection is closed/)
  })
})

describe('COUNTKEYSINSLOT lists', () => {
  it('go as one EVAL: counts come back in list order', async () => {
    const c = new FakeClient((args) => args.map(() => 3))
    const admin = adminWith(c)
    expect(await admin.countKeys('n1', [1, 2, 3])).toEqual([3, 3, 3])
    expect(c.evals).toHaveLength(1)
    expect(c.evals[0]![0]).not.toMatch(/SETSLOT/)
    expect(c.pipelined).toEqual([])
  })

  it('a node that refuses EVAL (NOPERM) gets pipelines from then on, with the same results', async () => {
    const c = new FakeClient(() => replyError("NOPERM this user has no permissions to run the 'eval' command"))
    const admin = adminWith(c)
    expect(await admin.countKeys('n1', [1, 2])).toEqual([7, 7])
    expect(await admin.countKeys('n1', [3])).toEqual([7])
    expect(c.evals).toHaveLength(1)
    expect(c.pipelined).toEqual([
      ['CLUSTER', 'COUNTKEYSINSLOT', '1'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '2'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '3'],
    ])
  })

  it('a lost connection is not taken for a refusal: it is thrown', async () => {
    const c = new FakeClient(() => new Error('Connection is closed.'))
    const admin = adminWith(c)
    await expect(admin.countKeys('n1', [1])).rejects.toThrow(/Connection is closed/)
    expect(c.pipelined).toEqual([])
  })
})
