// The permission probes of a node go out at once (one round trip, not one per probe), and the
// verdict is unchanged: the first refused right in probe order is the one reported.
import {describe, expect, it} from 'vitest'
import type {RedisClusterAdmin} from '../../src/cluster/redis-admin.js'
import {proveRights, SOURCE_PROBES, TARGET_PROBES} from '../../src/cluster/rights.js'
import {PreconditionError} from '../../src/errors.js'
import type {Topology} from '../../src/topology/topology.js'

const node = (id: string, port: number) => ({id, host: '127.0.0.1', port, address: `127.0.0.1:${port}`, role: 'primary', slots: [], reachable: true, failed: false})
const topo = {nodes: [node('A', 1), node('B', 2)], owners: [], open: [], uncovered: [], disagreements: []} as unknown as Topology

/** A node whose replies come after `delayMs`; `refuse` names the commands answered NOPERM (and how soon). */
function fakeAdmin(refuse: Record<string, number> = {}, delayMs = 20) {
  let inFlight = 0
  let maxInFlight = 0
  const sent: string[] = []
  const client = {
    call: (...args: string[]) => {
      const name = args[0] === 'CLUSTER' ? `CLUSTER ${args[1]}` : args[0]!
      sent.push(name)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const wait = refuse[name] ?? delayMs
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          inFlight--
          if (name in refuse) reject(new Error(`NOPERM User u has no permissions to run the '${name.toLowerCase()}' command`))
          else resolve('OK')
        }, wait),
      )
    },
  }
  const admin = {conn: {timeoutMs: 1000}, pool: {get: async () => client}} as unknown as RedisClusterAdmin
  return {admin, sent, max: () => maxInFlight}
}

describe('proveRights', () => {
  it('sends every probe of a node without waiting for the one before', async () => {
    const f = fakeAdmin({}, 30)
    const t0 = Date.now()
    await proveRights(f.admin, topo, [{from: 'A', to: 'B'}])
    expect(f.sent.length).toBe(SOURCE_PROBES.length + TARGET_PROBES.length)
    // both nodes' probes are in flight together: one round trip, not one per probe
    expect(f.max()).toBe(SOURCE_PROBES.length + TARGET_PROBES.length)
    expect(Date.now() - t0).toBeLessThan(30 * SOURCE_PROBES.length)
  })

  it('reports the first refused right in probe order, even when a later probe is refused sooner', async () => {
    // on the source, MIGRATE comes after CLUSTER SETSLOT in the probe list; its refusal arrives first
    const f = fakeAdmin({'CLUSTER SETSLOT': 50, MIGRATE: 1})
    const e = await proveRights(f.admin, {...topo, nodes: [topo.nodes[0]!]} as Topology, [{from: 'A', to: 'X'}]).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(PreconditionError)
    expect((e as PreconditionError).message).toMatch(/may not run CLUSTER SETSLOT/)
  })

  it('a probe that fails for another reason (not a refusal) is not a verdict', async () => {
    const admin = {
      conn: {timeoutMs: 1000},
      pool: {get: async () => ({call: (...a: string[]) => (a[0] === 'DUMP' ? Promise.reject(new Error('ERR something else')) : Promise.resolve('OK'))})},
    } as unknown as RedisClusterAdmin
    await expect(proveRights(admin, topo, [{from: 'A', to: 'B'}])).resolves.toBeUndefined()
  })
})
