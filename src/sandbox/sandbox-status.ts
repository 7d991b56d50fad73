// `reshard sandbox status`: each recorded node, alive or not, and what it reports.
import type {Redis} from 'ioredis'
import {connectNode} from '../cluster/connection.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {formatSlots} from '../topology/slot-set.js'
import {clusterInfo} from './convergence.js'
import {isSandboxProcess} from './process.js'
import {sandboxConnection} from './sandbox-connection.js'
import {probeServerIdentity} from './server-info.js'
import {DEFAULT_SANDBOX_NAME, type SandboxState} from './state.js'

export interface NodeStatus {
  hostname: string
  address: string
  port: number
  pid: number
  /** The recorded PID is alive and is our redis-server on this port. */
  alive: boolean
  id?: string
  role?: 'primary' | 'replica'
  /** For a replica: its primary's hostname (or address). */
  primary?: string
  /** Slot ranges owned, e.g. "0-5461". */
  slots?: string
  slotCount?: number
  clusterState?: string
}

export interface SandboxStatus {
  /** The sandbox's name ("default" unless started with --name). */
  name: string
  /** The server's name and version, e.g. "valkey 8.0.1" (asked with INFO server; else as recorded). */
  server?: string
  statePath?: string
  dataDir: string
  password: boolean
  tls: boolean
  nodes: NodeStatus[]
  /** Every node alive and reporting cluster_state:ok. */
  healthy: boolean
}

/** Each recorded node with its PID alive/dead, and (when reachable) its role, slots and cluster_state. */
export async function sandboxStatus(state: SandboxState, statePath?: string): Promise<SandboxStatus> {
  const conn = sandboxConnection(state, 1000)
  let server = state.server?.label
  const nodes: NodeStatus[] = await Promise.all(
    state.nodes.map(async (n, k) => {
      const st: NodeStatus = {hostname: n.hostname, address: `${state.host}:${n.port}`, port: n.port, pid: n.pid, alive: isSandboxProcess(n.pid, n.port, state.redisServer), id: n.id}
      if (!st.alive) return st
      let c: Redis | undefined
      try {
        c = await connectNode(conn, state.host, n.port)
        if (k === 0) server = (await probeServerIdentity(c)).label
        st.clusterState = (await clusterInfo(c)).cluster_state
        const lines = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
        const me = lines.find((l) => l.myself)
        if (me) {
          st.id = me.id
          st.role = me.role
          if (me.primaryId) {
            const p = lines.find((l) => l.id === me.primaryId)
            st.primary = p ? (p.hostname ?? `${p.host}:${p.port}`) : me.primaryId
          }
          st.slots = formatSlots(me.slots)
          st.slotCount = me.slots.length
        }
      } catch {
        // alive but not answering: report what we know
      } finally {
        c?.disconnect()
      }
      return st
    }),
  )
  return {
    name: state.name ?? DEFAULT_SANDBOX_NAME,
    server,
    statePath,
    dataDir: state.dataDir,
    password: state.password !== undefined,
    tls: Boolean(state.tls),
    nodes,
    healthy: nodes.length > 0 && nodes.every((n) => n.alive && n.clusterState === 'ok'),
  }
}
