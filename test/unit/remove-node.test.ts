// operations/remove-node against a fake Membership: the order of the commands (re-point, then
// FORGET to every other node, then RESET SOFT and SHUTDOWN on the node) and the refusals.
import {describe, expect, it} from 'vitest'
import type {Membership, NodeCommand} from '../../src/cluster/membership.js'
import {ReshardError} from '../../src/errors.js'
import {removeNode} from '../../src/operations/remove-node.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {buildTopology, type Topology} from '../../src/topology/topology.js'

const id = (c: string) => c.repeat(40)
interface Spec {
  name: string
  port: number
  slots?: string
  primary?: string
}
const SPECS: Spec[] = [
  {name: 'a', port: 30001, slots: '0-5460'},
  {name: 'b', port: 30002, slots: '5461-10922'},
  {name: 'c', port: 30003, slots: '10923-16383'},
  {name: 'd', port: 30004},
  {name: 'e', port: 30005, primary: 'd'},
  {name: 'f', port: 30006, primary: 'a'},
]

function view(me: string, specs: Spec[]): string {
  return specs
    .map((s) => {
      const flags = [s.name === me ? 'myself' : '', s.primary ? 'slave' : 'master'].filter(Boolean).join(',')
      return `${id(s.name)} 127.0.0.1:${s.port}@${s.port + 10000} ${flags} ${s.primary ? id(s.primary) : '-'} 0 0 1 connected${s.slots ? ` ${s.slots}` : ''}`
    })
    .join('\n')
}

function topo(specs: Spec[] = SPECS, keys: Record<string, number> = {}): Topology {
  return buildTopology(specs.map((s) => ({address: `127.0.0.1:${s.port}`, lines: parseClusterNodes(view(s.name, specs)), keyCount: keys[s.name] ?? 0})))
}

/** Records commands; views answer as if every command took effect at once. */
class FakeMembership implements Membership {
  readonly dryRun = false
  sent: NodeCommand[] = []
  constructor(private specs: Spec[]) {}
  async send(c: NodeCommand): Promise<unknown> {
    this.sent.push(c)
    const [, verb, arg] = c.args
    if (verb === 'REPLICATE') this.specs = this.specs.map((s) => (`127.0.0.1:${s.port}` === c.address ? {...s, primary: SPECS.find((x) => id(x.name) === arg)!.name} : s))
    if (verb === 'FORGET') this.forgotten.add(c.address)
    return 'OK'
  }
  private forgotten = new Set<string>()
  async read(): Promise<unknown> {
    return ''
  }
  async views(addresses: readonly string[]) {
    const out = new Map<string, ReturnType<typeof parseClusterNodes> | Error>()
    for (const a of addresses) {
      const me = this.specs.find((s) => `127.0.0.1:${s.port}` === a)!
      const specs = this.forgotten.has(a) ? this.specs.filter((s) => s.name !== 'd') : this.specs
      out.set(a, parseClusterNodes(view(me.name, specs)))
    }
    return out
  }
  async close() {}
}

describe('removeNode', () => {
  it('re-points the replicas, then forgets the node everywhere, then resets and shuts it down', async () => {
    const m = new FakeMembership(SPECS)
    const doc = await removeNode(m, topo(), {nodeId: id('d'), shutdown: true, timeoutMs: 1000})
    const lines = m.sent.map((c) => `${c.address} ${c.args.join(' ')}`)
    // e follows d; b and c have no replica, a has one: b is first by address among the least-followed
    expect(lines[0]).toBe(`127.0.0.1:30005 CLUSTER REPLICATE ${id('b')}`)
    expect(lines.slice(1, 6).sort()).toEqual(['30001', '30002', '30003', '30005', '30006'].map((p) => `127.0.0.1:${p} CLUSTER FORGET ${id('d')}`))
    expect(lines.slice(6)).toEqual(['127.0.0.1:30004 CLUSTER RESET SOFT', '127.0.0.1:30004 SHUTDOWN'])
    expect(doc).toMatchObject({ok: true, forgottenBy: 5, reset: true, shutdown: true, repointed: [{address: '127.0.0.1:30005', to: {id: id('b')}}]})
  })

  it.each([
    {what: 'a node that owns slots', node: 'a', keys: {} as Record<string, number>, kind: 'node_owns_slots'},
    {what: 'an empty primary that holds keys', node: 'd', keys: {d: 3} as Record<string, number>, kind: 'node_has_keys'},
  ])('refuses $what (exit 3) and sends nothing', async ({node, keys, kind}) => {
    const m = new FakeMembership(SPECS)
    const err = await removeNode(m, topo(SPECS, keys), {nodeId: id(node), shutdown: false, timeoutMs: 1000}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReshardError)
    expect((err as ReshardError).exitCode).toBe(3)
    expect((err as ReshardError).kind).toBe(kind)
    expect(m.sent).toEqual([])
  })

  it('refuses while another node does not answer: it would gossip the node back after 60 s', async () => {
    const t = topo()
    const down = {...t, nodes: t.nodes.map((n) => (n.port === 30002 ? {...n, reachable: false} : n))}
    const m = new FakeMembership(SPECS)
    await expect(removeNode(m, down, {nodeId: id('d'), shutdown: false, timeoutMs: 1000})).rejects.toThrow(/must forget .* within 60 s/)
    expect(m.sent).toEqual([])
  })
})
