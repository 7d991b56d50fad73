import {describe, expect, it} from 'vitest'
import {EXIT, UsageError} from '../../src/errors.js'
import {selectNode} from '../../src/topology/node-selector.js'
import {nodeLabel, type TopoNode, type Topology} from '../../src/topology/topology.js'

function node(id: string, host: string, port: number, hostname?: string, role: TopoNode['role'] = 'primary'): TopoNode {
  return {
    id,
    host,
    port,
    address: `${host}:${port}`,
    hostname,
    role,
    slots: [],
    claims: [],
    failed: false,
    reachable: true,
    configEpoch: 1,
  }
}

function topology(nodes: TopoNode[]): Topology {
  return {nodes, owners: [], open: [], replicaCopies: [], uncovered: [], disagreements: [], clusterId: '0000000000000000'}
}

const N1 = node('abc1000000000000000000000000000000000001', '127.0.0.1', 30001, 'nodeA')
const N2 = node('abc2000000000000000000000000000000000002', '127.0.0.1', 30002, 'nodeB')
const N3 = node('def3000000000000000000000000000000000003', '10.0.0.3', 6379, 'Redis-East.example.com')
const N4 = node('f00d000000000000000000000000000000000004', '10.0.0.4', 6379, undefined, 'replica')
const T = topology([N1, N2, N3, N4])

function usageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(EXIT.USAGE)
    return error as UsageError
  }
  throw new Error('expected a UsageError')
}

describe('selectNode resolves', () => {
  const cases: Array<[string, string, TopoNode]> = [
    ['full id', N1.id, N1],
    ['full id of a replica', N4.id, N4],
    ['full id in upper case', N3.id.toUpperCase(), N3],
    ['unique prefix', 'abc1', N1],
    ['one-character unique prefix', 'd', N3],
    ['unique prefix in upper case', 'ABC2', N2],
    ['long unique prefix', N2.id.slice(0, 39), N2],
    ['host:port', '127.0.0.1:30002', N2],
    ['host:port of a node without hostname', '10.0.0.4:6379', N4],
    ['localhost:port alias of 127.0.0.1', 'localhost:30001', N1],
    ['hostname', 'nodeA', N1],
    ['hostname, other case', 'NODEB', N2],
    ['fully qualified hostname, other case', 'redis-east.EXAMPLE.com', N3],
    ['hostname:port alias', 'nodeA:30001', N1],
    ['name with surrounding spaces', '  nodeB\t', N2],
  ]
  it.each(cases)('%s (%j)', (_what, name, expected) => {
    expect(selectNode(T, name)).toBe(expected)
  })
})

describe('selectNode rejects', () => {
  it('an ambiguous id prefix, listing the candidates', () => {
    const e = usageError(() => selectNode(T, 'abc'))
    expect(e.message).toBe('node "abc" is ambiguous: it matches 2 nodes')
    expect(e.hint).toContain(nodeLabel(N1))
    expect(e.hint).toContain(nodeLabel(N2))
    expect(e.hint).not.toContain(N3.id.slice(0, 8))
    expect(e.hint).toMatch(/longer id prefix/)
  })

  const unknown: Array<[string, string]> = [
    ['unknown hostname', 'nodeZ'],
    ['hex prefix of no node', 'beef'],
    ['localhost alias for a non-local node', 'localhost:6379'],
    ['partial address', '127.0.0.1:3000'],
    ['host without port', '127.0.0.1'],
    ['unknown port', '127.0.0.1:30009'],
    ['id longer than 40 characters', `${N1.id}0`],
    ['hostname:port with the wrong port', 'nodeA:30002'],
  ]
  it.each(unknown)('%s (%j), with a hint listing every candidate', (_what, name) => {
    const e = usageError(() => selectNode(T, name))
    expect(e.message).toBe(`unknown node "${name.trim()}"`)
    for (const n of T.nodes) expect(e.hint).toContain(nodeLabel(n))
    expect(e.hint).toMatch(/id, id prefix, host:port or hostname/)
  })

  it.each(['', '   ', '\t'])('an empty name %j', (name) => {
    const e = usageError(() => selectNode(T, name))
    expect(e.message).toBe('empty node name')
  })

  it('names the role given in `what`', () => {
    expect(usageError(() => selectNode(T, 'nodeZ', 'target')).message).toBe('unknown target "nodeZ"')
    expect(usageError(() => selectNode(T, '', 'source')).message).toBe('empty source name')
    expect(usageError(() => selectNode(T, 'abc', 'source')).message).toMatch(/^source "abc" is ambiguous/)
  })

  it('in an empty topology, anything', () => {
    const e = usageError(() => selectNode(topology([]), 'nodeA'))
    expect(e.message).toBe('unknown node "nodeA"')
  })
})

describe('selectNode precedence', () => {
  it('prefers a hostname over an id prefix that looks the same', () => {
    const hexName = node('0123000000000000000000000000000000000009', '10.0.0.9', 6379, 'abc')
    const t = topology([N1, N2, hexName])
    expect(selectNode(t, 'abc')).toBe(hexName)
    expect(selectNode(t, 'ABC')).toBe(hexName)
  })

  it('reports two nodes announcing the same hostname as ambiguous', () => {
    const twin = node('9999000000000000000000000000000000000009', '10.0.0.9', 6379, 'NodeA')
    const t = topology([N1, N2, twin])
    const e = usageError(() => selectNode(t, 'nodea'))
    expect(e.message).toMatch(/ambiguous: it matches 2 nodes/)
    expect(e.hint).toContain(nodeLabel(N1))
    expect(e.hint).toContain(nodeLabel(twin))
    // A full id still picks one of them.
    expect(selectNode(t, twin.id)).toBe(twin)
  })
})
