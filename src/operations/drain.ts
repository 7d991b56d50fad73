// What became of a drained primary (`reshard drain`): the node's own view after the run decides,
// re-read until it settles, since roles are never cached (DESIGN.md §1). Prints nothing.
import type {ClusterReader} from '../cluster/cluster-admin.js'
import {nodeById, shortName, type Topology, shortId} from '../topology/topology.js'
import {readUntil} from '../cluster/poll.js'

export interface DrainedNode {
  id: string
  name: string
  address: string
  /** The node's own view after the run. */
  role: 'primary' | 'replica' | 'unknown'
  /** For a replica: the primary it now follows. */
  primary?: string
  slots: number
  keys?: number
  message: string
}

/** How long the node's role may take to settle after the last slot left it. */
const SETTLE_MS = 2000
const POLL_MS = 100

/** The drained node as the cluster sees it now (a dry run: as it was, unchanged). */
export async function drainedNode(reader: Pick<ClusterReader, 'refresh'>, t: Topology, nodeId: string, dryRun: boolean): Promise<DrainedNode> {
  if (dryRun) return describeDrained(t, nodeId, true)
  // A replica, or an empty primary that the others see empty too, is the final answer.
  const {value} = await readUntil(
    async () => {
      const now = await reader.refresh()
      return {d: describeDrained(now, nodeId, false), agree: now.disagreements.length === 0}
    },
    ({d, agree}) => d.role === 'replica' || (d.role === 'primary' && d.slots === 0 && agree),
    {deadlineMs: SETTLE_MS, intervalMs: POLL_MS},
  )
  return value.d
}

export function describeDrained(t: Topology, id: string, dryRun: boolean): DrainedNode {
  const n = nodeById(t, id)
  if (!n) return {id, name: shortId(id), address: '?', role: 'unknown', slots: 0, message: `node ${shortId(id)} is no longer in the cluster`}
  const name = shortName(n)
  // A replica's DBSIZE is its primary's data: report keys of a primary only.
  const base = {id, name, address: n.address, slots: n.slots.length, keys: n.role === 'primary' ? n.keyCount : undefined}
  if (dryRun) return {...base, role: n.role, message: `dry run: ${name} was not changed (it still owns ${n.slots.length} slot(s))`}
  if (!n.reachable) return {...base, role: 'unknown', message: `${name} did not answer after the drain; run \`reshard status\``}
  if (n.role === 'replica') {
    const p = n.primaryId ? nodeById(t, n.primaryId) : undefined
    const primary = p ? shortName(p) : (n.primaryId && shortId(n.primaryId))
    return {...base, role: 'replica', primary, message: `${name} now has no slots and is a replica of ${primary ?? 'another primary'}`}
  }
  if (n.slots.length > 0) return {...base, role: 'primary', message: `${name} still owns ${n.slots.length} slot(s); run \`reshard status\``}
  return {
    ...base,
    role: 'primary',
    message: `${name} is an empty primary; remove it with \`reshard remove-node ${name}\` or keep it`,
  }
}
