import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {ClusterNodesParseError, type NodeLine, parseClusterNodes} from '../../src/topology/cluster-nodes.js'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const A = '07c37dfeb235213a872192d90877d0cd55635b91'
const B = '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1'
const C = '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f'
const D = 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca'
const E = '6ec23923021cf3ffec47632106199cb7f496ce01'
const F = '824fe116063bc5fcf9f4ffd895bc17aee7731ac3'
const G = '9f3c1b2a7d4e5f60718293a4b5c6d7e8f9012345'
const H = 'd41d8cd98f00b204e9800998ecf8427e5a1b2c3d'

function range(lo: number, hi: number): number[] {
  const out: number[] = []
  for (let s = lo; s <= hi; s++) out.push(s)
  return out
}

const NODE_LINE_KEYS = [
  'busPort',
  'configEpoch',
  'failed',
  'flags',
  'host',
  'hostname',
  'id',
  'importing',
  'linkState',
  'migrating',
  'myself',
  'port',
  'primaryId',
  'role',
  'slots',
].sort()

/** Typed as NodeLine so a misspelled or missing required field fails to compile; every field is spelled out. */
function line(l: NodeLine): NodeLine {
  return l
}

const none = (): Map<number, string> => new Map()

const goldens: Array<[string, NodeLine[]]> = [
  [
    'cluster-nodes-hostnames.txt',
    [
      line({
        id: E,
        host: '127.0.0.1',
        port: 30005,
        busPort: 40005,
        hostname: 'nodeE',
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: B,
        failed: false,
        configEpoch: 2,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: A,
        host: '127.0.0.1',
        port: 30001,
        busPort: 40001,
        hostname: 'nodeA',
        flags: ['myself', 'master'],
        myself: true,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 1,
        linkState: 'connected',
        slots: [...range(0, 199), ...range(201, 5460)],
        migrating: new Map([[100, B]]),
        importing: new Map([[200, C]]),
      }),
      line({
        id: C,
        host: '127.0.0.1',
        port: 30003,
        busPort: 40003,
        hostname: 'nodeC',
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 3,
        linkState: 'connected',
        slots: [200, ...range(10923, 16383)],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: D,
        host: '127.0.0.1',
        port: 30004,
        busPort: 40004,
        hostname: 'nodeD',
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: A,
        failed: false,
        configEpoch: 1,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: B,
        host: '127.0.0.1',
        port: 30002,
        busPort: 40002,
        hostname: 'nodeB',
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 2,
        linkState: 'connected',
        slots: range(5461, 10922),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: F,
        host: '127.0.0.1',
        port: 30006,
        busPort: 40006,
        hostname: 'nodeF',
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: C,
        failed: false,
        configEpoch: 3,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
    ],
  ],
  [
    // Redis 7.0 without cluster-announce-hostname: "ip:port@cport," with an empty hostname.
    'cluster-nodes-empty-hostname.txt',
    [
      line({
        id: A,
        host: '127.0.0.1',
        port: 30001,
        busPort: 40001,
        hostname: undefined,
        flags: ['master', 'fail'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: true,
        configEpoch: 1,
        linkState: 'disconnected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: B,
        host: '127.0.0.1',
        port: 30002,
        busPort: 40002,
        hostname: undefined,
        flags: ['myself', 'master'],
        myself: true,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 2,
        linkState: 'connected',
        slots: range(5461, 10922),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: C,
        host: '127.0.0.1',
        port: 30003,
        busPort: 40003,
        hostname: undefined,
        flags: ['master', 'fail?'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: true,
        configEpoch: 3,
        linkState: 'connected',
        slots: range(10923, 16383),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: D,
        host: '127.0.0.1',
        port: 30004,
        busPort: 40004,
        hostname: undefined,
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 4,
        linkState: 'connected',
        slots: range(0, 5460),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: E,
        host: '127.0.0.1',
        port: 30005,
        busPort: 40005,
        hostname: undefined,
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: B,
        failed: false,
        configEpoch: 2,
        linkState: 'disconnected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: F,
        host: '127.0.0.1',
        port: 30006,
        busPort: 40006,
        hostname: undefined,
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: C,
        failed: false,
        configEpoch: 3,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: G,
        host: '',
        port: 0,
        busPort: 0,
        hostname: undefined,
        flags: ['master', 'noaddr'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: true,
        configEpoch: 0,
        linkState: 'disconnected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: H,
        host: '127.0.0.1',
        port: 30008,
        busPort: 40008,
        hostname: undefined,
        flags: ['handshake'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: true,
        configEpoch: 0,
        linkState: 'disconnected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
    ],
  ],
  [
    // No hostname field at all (no comma), seen from a replica.
    'cluster-nodes-no-hostname.txt',
    [
      line({
        id: A,
        host: '127.0.0.1',
        port: 30001,
        busPort: 40001,
        hostname: undefined,
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 1,
        linkState: 'connected',
        slots: range(0, 5460),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: B,
        host: '127.0.0.1',
        port: 30002,
        busPort: 40002,
        hostname: undefined,
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 2,
        linkState: 'connected',
        slots: range(5461, 10922),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: C,
        host: '127.0.0.1',
        port: 30003,
        busPort: 40003,
        hostname: undefined,
        flags: ['master'],
        myself: false,
        role: 'primary',
        primaryId: undefined,
        failed: false,
        configEpoch: 3,
        linkState: 'connected',
        slots: range(10923, 16383),
        migrating: none(),
        importing: none(),
      }),
      line({
        id: D,
        host: '127.0.0.1',
        port: 30004,
        busPort: 40004,
        hostname: undefined,
        flags: ['myself', 'slave'],
        myself: true,
        role: 'replica',
        primaryId: A,
        failed: false,
        configEpoch: 1,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: E,
        host: '127.0.0.1',
        port: 30005,
        busPort: 40005,
        hostname: undefined,
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: B,
        failed: false,
        configEpoch: 2,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
      line({
        id: F,
        host: '127.0.0.1',
        port: 30006,
        busPort: 40006,
        hostname: undefined,
        flags: ['slave'],
        myself: false,
        role: 'replica',
        primaryId: C,
        failed: false,
        configEpoch: 3,
        linkState: 'connected',
        slots: [],
        migrating: none(),
        importing: none(),
      }),
    ],
  ],
]

describe('parseClusterNodes on Redis 7.0 goldens', () => {
  describe.each(goldens)('%s', (file, expected) => {
    const parsed = parseClusterNodes(fixture(file))

    it('has one NodeLine per line, in order', () => {
      expect(parsed.map((l) => l.id)).toEqual(expected.map((l) => l.id))
    })

    it.each(expected.map((e, i) => [e.id.slice(0, 8), i] as const))('line %s: every field', (_id, i) => {
      const got = parsed[i]!
      expect(Object.keys(got).sort()).toEqual(NODE_LINE_KEYS)
      expect(got).toStrictEqual(expected[i])
    })
  })
})

describe('parseClusterNodes details', () => {
  it('gives exactly one myself line per golden', () => {
    for (const [file] of goldens) expect(parseClusterNodes(fixture(file)).filter((l) => l.myself)).toHaveLength(1)
  })

  it('keeps open-slot markers out of the slot list', () => {
    const [me] = parseClusterNodes(fixture('cluster-nodes-hostnames.txt')).filter((l) => l.myself)
    expect(me!.slots).toContain(100) // still owned while MIGRATING
    expect(me!.slots).not.toContain(200) // IMPORTING: not owned yet
    expect(me!.slots).toHaveLength(5460)
  })

  const hostnameCases: Array<[string, string | undefined, string, number, number]> = [
    ['127.0.0.1:30001@40001,nodeA', 'nodeA', '127.0.0.1', 30001, 40001],
    ['127.0.0.1:30001@40001', undefined, '127.0.0.1', 30001, 40001],
    ['127.0.0.1:30001@40001,', undefined, '127.0.0.1', 30001, 40001],
    ['10.0.0.5:6379@16379,redis-0.redis.svc.cluster.local', 'redis-0.redis.svc.cluster.local', '10.0.0.5', 6379, 16379],
    [':0@0,', undefined, '', 0, 0],
    ['::1:30001@40001', undefined, '::1', 30001, 40001],
  ]
  it.each(hostnameCases)('address %j', (addr, hostname, host, port, busPort) => {
    const [l] = parseClusterNodes(`${A} ${addr} master - 0 0 1 connected\n`)
    expect(l).toMatchObject({host, port, busPort})
    expect(l!.hostname).toBe(hostname)
  })

  const flagCases: Array<[string, {myself: boolean; role: 'primary' | 'replica'; failed: boolean}]> = [
    ['master', {myself: false, role: 'primary', failed: false}],
    ['myself,master', {myself: true, role: 'primary', failed: false}],
    ['myself,slave', {myself: true, role: 'replica', failed: false}],
    ['slave', {myself: false, role: 'replica', failed: false}],
    ['replica', {myself: false, role: 'replica', failed: false}],
    ['master,fail', {myself: false, role: 'primary', failed: true}],
    ['master,fail?', {myself: false, role: 'primary', failed: true}],
    ['slave,fail', {myself: false, role: 'replica', failed: true}],
    ['master,fail,noaddr', {myself: false, role: 'primary', failed: true}],
    ['noaddr', {myself: false, role: 'primary', failed: true}],
    ['handshake', {myself: false, role: 'primary', failed: true}],
    ['master,nofailover', {myself: false, role: 'primary', failed: false}],
  ]
  it.each(flagCases)('flags %j', (flags, want) => {
    const [l] = parseClusterNodes(`${A} 127.0.0.1:30001@40001, ${flags} - 0 0 1 connected\n`)
    expect(l).toMatchObject(want)
    expect(l!.flags).toEqual(flags.split(','))
  })

  const slotCases: Array<[string, number[], Array<[number, string]>, Array<[number, string]>]> = [
    ['', [], [], []],
    ['0', [0], [], []],
    ['16383', [16383], [], []],
    ['0-2 7 9-10', [0, 1, 2, 7, 9, 10], [], []],
    [`5-6 [5->-${B}]`, [5, 6], [[5, B]], []],
    [`[7-<-${C}]`, [], [], [[7, C]]],
    [`1 [1->-${B}] [2-<-${C}] [3->-${D}]`, [1], [[1, B], [3, D]], [[2, C]]],
  ]
  it.each(slotCases)('slot fields %j', (tail, slots, migrating, importing) => {
    const [l] = parseClusterNodes(`${A} 127.0.0.1:30001@40001 myself,master - 0 0 1 connected ${tail}`)
    expect(l!.slots).toEqual(slots)
    expect(l!.migrating).toEqual(new Map(migrating))
    expect(l!.importing).toEqual(new Map(importing))
  })

  it('ignores blank lines, surrounding whitespace and CRLF', () => {
    const text = `\n  ${A} 127.0.0.1:30001@40001 master - 0 0 1 connected 0-1  \r\n\r\n${B} 127.0.0.1:30002@40002 master - 0 0 2 connected 2\r\n`
    const got = parseClusterNodes(text)
    expect(got.map((l) => [l.id, l.slots, l.linkState])).toEqual([
      [A, [0, 1], 'connected'],
      [B, [2], 'connected'],
    ])
  })

  it('parses empty output as no nodes', () => {
    expect(parseClusterNodes('')).toEqual([])
    expect(parseClusterNodes('\n\n')).toEqual([])
  })

  it.each([`${A} 127.0.0.1:30001@40001 master - 0 0 1`, 'garbage', `${A}`])('rejects malformed line %j', (text) => {
    expect(() => parseClusterNodes(text)).toThrow(ClusterNodesParseError)
  })
})
