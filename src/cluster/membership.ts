// Membership I/O for add-node and remove-node: one admin command to one node by address, and
// every node's own CLUSTER NODES view. The dry-run one records the commands instead of sending
// the ones that change the cluster (reads still go out: a dry run shows real preconditions).
import {lookup} from 'node:dns/promises'
import {isIP} from 'node:net'
import type {Redis} from 'ioredis'
import {parseClusterNodes, type NodeLine} from '../topology/cluster-nodes.js'
import type {NodePool} from './discovery.js'
import {within} from './timeout.js'

const ADMIN_TIMEOUT_MS = 5000

/** One command for one node, as the operator would type it to redis-cli. */
export interface NodeCommand {
  address: string
  args: string[]
}

export function formatCommand(c: NodeCommand): string {
  return `${c.address}: ${c.args.join(' ')}`
}

export interface Membership {
  readonly dryRun: boolean
  /** Send a command that changes the cluster (dry run: record it, answer undefined). */
  send(c: NodeCommand): Promise<unknown>
  /** Send a read-only command (also in a dry run). */
  read(address: string, args: string[]): Promise<unknown>
  /** Each node's own CLUSTER NODES, parsed; an Error for a node that did not answer. */
  views(addresses: readonly string[]): Promise<Map<string, NodeLine[] | Error>>
  close(): Promise<void>
}

/** Membership over the session's pool (it reaches nodes outside the cluster too). */
export class RedisMembership implements Membership {
  readonly sent: NodeCommand[] = []
  constructor(
    private readonly pool: NodePool,
    readonly dryRun: boolean,
    private readonly onCommand?: (c: NodeCommand) => void,
  ) {}

  /** The pool dials any address (a node outside the cluster too) and maps connect errors. */
  private client(address: string): Promise<Redis> {
    return this.pool.get(address)
  }

  async send(c: NodeCommand): Promise<unknown> {
    this.sent.push(c)
    this.onCommand?.(c)
    if (this.dryRun) return undefined
    const client = await this.client(c.address)
    return within(client.call(c.args[0]!, ...c.args.slice(1)), ADMIN_TIMEOUT_MS, c.address)
  }

  async read(address: string, args: string[]): Promise<unknown> {
    const client = await this.client(address)
    return within(client.call(args[0]!, ...args.slice(1)), ADMIN_TIMEOUT_MS, address)
  }

  async views(addresses: readonly string[]): Promise<Map<string, NodeLine[] | Error>> {
    const out = new Map<string, NodeLine[] | Error>()
    await Promise.all(
      addresses.map(async (a) => {
        try {
          out.set(a, parseClusterNodes(String(await this.read(a, ['CLUSTER', 'NODES']))))
        } catch (e) {
          out.set(a, e instanceof Error ? e : new Error(String(e)))
        }
      }),
    )
    return out
  }

  async close(): Promise<void> {
    // the pool belongs to the session: it closes it
  }
}

/** CLUSTER MEET takes an IP address: resolve a host name once, here. */
export async function resolveIp(host: string): Promise<string> {
  if (isIP(host)) return host
  // IPv4 first: a name like localhost may resolve to ::1 while the server listens on 127.0.0.1
  try {
    return (await lookup(host, {family: 4})).address
  } catch {
    return (await lookup(host)).address
  }
}
