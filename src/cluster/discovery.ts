// Discovery: from the seeds, find every node and read each one's own CLUSTER NODES view
// (open-slot markers appear only on a primary's myself line: ask every primary).
import type {Redis} from 'ioredis'
import {PreconditionError, ReshardError} from '../errors.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {buildTopology, type NodeView, type Topology} from '../topology/topology.js'
import {connectNode, type ConnectionOptions} from './connection.js'
import {within} from './timeout.js'

export class NodePool {
  private clients = new Map<string, Redis>()
  private pending = new Map<string, Promise<Redis>>()
  private closed = false
  constructor(readonly conn: ConnectionOptions) {}

  /** A connected client for host:port, reused; `lane` > 0 asks for another connection to it. */
  async get(address: string, lane = 0): Promise<Redis> {
    const key = lane === 0 ? address : `${address}#${lane}`
    const have = this.clients.get(key)
    if (have && have.status === 'ready') return have
    if (have) {
      this.clients.delete(key)
      have.disconnect()
    }
    let p = this.pending.get(key)
    if (!p) {
      const i = address.lastIndexOf(':')
      p = connectNode(this.conn, address.slice(0, i), Number(address.slice(i + 1)))
      this.pending.set(key, p)
      p.then(
        (c) => {
          // a connect that finishes after close() (a slow seed) must not keep the process alive
          if (this.closed) {
            c.disconnect()
            return
          }
          this.clients.set(key, c)
          c.on('end', () => {
            if (this.clients.get(key) === c) this.clients.delete(key)
          })
        },
        () => undefined,
      ).finally(() => this.pending.delete(key))
    }
    return p
  }

  async close(): Promise<void> {
    this.closed = true
    const all = [...this.clients.values()]
    this.clients.clear()
    await Promise.all(
      all.map(async (c) => {
        try {
          // unref: a pending timer must not keep the process alive after quit() answered
          await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 500).unref())])
        } catch {
          /* already gone */
        }
        c.disconnect()
      }),
    )
  }
}

async function viewOf(pool: NodePool, address: string, withKeys: boolean): Promise<NodeView> {
  try {
    const c = await pool.get(address)
    // a stopped node must not hang discovery: no answer in time counts as unreachable
    const [text, keys] = await within(Promise.all([c.call('CLUSTER', 'NODES'), withKeys ? c.call('DBSIZE') : undefined]), 5000, address)
    const keyCount = withKeys ? Number(keys) : undefined
    return {address, lines: parseClusterNodes(String(text)), keyCount}
  } catch (e) {
    if (e instanceof ReshardError && e.kind === 'auth') throw e
    return {address, error: e instanceof Error ? e.message.split('\n')[0] : String(e)}
  }
}

/** Read the whole cluster. Fails (typed) when no seed answers or a seed is not in cluster mode. */
export async function discover(pool: NodePool, opts: {withKeys?: boolean} = {}): Promise<Topology> {
  const seeds = pool.conn.seeds.map((s) => `${s.host}:${s.port}`)
  // Seeds are asked at once: the first answer wins, so one dead seed costs no timeout.
  const ask = async (address: string): Promise<NodeView> => {
    const c = await pool.get(address)
    try {
      return {address, lines: parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))}
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e)
      if (/cluster support disabled/i.test(m)) {
        throw new PreconditionError('not_cluster', `${address} is not in cluster mode`, 'point -c at a node of a Redis Cluster (cluster-enabled yes)')
      }
      if (/^NOPERM/.test(m)) throw new PreconditionError('permission', `${address}: the user lacks a permission: ${m.replace(/^NOPERM\s*/, '')}`, 'grant the ACL listed under Permissions in the README')
      throw e
    }
  }
  const tries = seeds.map((a) => ask(a))
  let first: NodeView | undefined
  try {
    first = await Promise.any(tries)
  } catch {
    const errors = (await Promise.allSettled(tries)).map((r) => (r.status === 'rejected' ? r.reason : undefined))
    // the most telling reason: a wrong password or a non-cluster node before "unreachable"
    const typed = errors.filter((e): e is ReshardError => e instanceof ReshardError)
    const best = typed.find((e) => e.kind === 'auth') ?? typed.find((e) => e.kind === 'permission') ?? typed.find((e) => e.kind === 'not_cluster') ?? typed[0]
    if (best) throw best
    throw new PreconditionError('unreachable', `no seed answered (${seeds.join(', ')})`, 'check the address and that the cluster is running')
  }
  const addresses = new Set<string>()
  for (const l of first.lines!) {
    if (l.flags.includes('noaddr') || l.port === 0) continue
    addresses.add(`${l.host}:${l.port}`)
  }
  const views = await Promise.all([...addresses].map((a) => viewOf(pool, a, opts.withKeys ?? false)))
  // A node known to others but not to the seed shows up in their views: ask it too.
  const more = new Set<string>()
  for (const v of views) for (const l of v.lines ?? []) if (!addresses.has(`${l.host}:${l.port}`) && l.port !== 0) more.add(`${l.host}:${l.port}`)
  if (more.size > 0) views.push(...(await Promise.all([...more].map((a) => viewOf(pool, a, opts.withKeys ?? false)))))
  return buildTopology(views)
}
