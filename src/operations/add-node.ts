// `reshard add-node HOST:PORT [--replica-of NODE]`: meet a bare cluster-enabled node into the
// cluster, wait until every node agrees on it, and optionally make it a replica. Prints nothing.
import {formatCommand, resolveIp, type Membership, type NodeCommand} from '../cluster/membership.js'
import {AbortedError, ConnectionError, PreconditionError, ReshardError, UsageError} from '../errors.js'
import {parseClusterNodes, type NodeLine} from '../topology/cluster-nodes.js'
import {selectNode} from '../topology/node-selector.js'
import {nodeLabel, shortName, type TopoNode, type Topology} from '../topology/topology.js'
import {notConverged, parseNodeAddress, waitForClusterOk, waitForViews} from './membership-wait.js'

export interface AddNodeInput {
  address: string
  replicaOf?: string
  timeoutMs: number
  /** Asked once every check passed and before anything is sent; false = nothing changes. */
  confirm?: (summary: string) => Promise<boolean>
}

export interface AddNodeDocument {
  ok: boolean
  dryRun: boolean
  node: {id: string; address: string}
  /** The primary the node now replicates (--replica-of). */
  replicaOf?: {id: string; name: string; address: string}
  /** The node was a member already (nothing was sent for the meet). */
  alreadyMember: boolean
  /** Every node that now knows the node (its own view included). */
  knownBy: number
  commands: string[]
  ms: number
}

/** What the new node says about itself: its id, bus port, and whether it may join. */
async function probeNewNode(m: Membership, address: string): Promise<{self: NodeLine; lines: NodeLine[]; keys: number}> {
  let text: unknown
  try {
    text = await m.read(address, ['CLUSTER', 'NODES'])
  } catch (e) {
    if (e instanceof ReshardError) throw e
    const msg = e instanceof Error ? e.message : String(e)
    if (/cluster support disabled/i.test(msg)) {
      throw new PreconditionError('not_cluster', `${address} is not in cluster mode`, 'start it with `cluster-enabled yes` in its config')
    }
    throw new ConnectionError(`${address} did not answer: ${msg.split('\n')[0]}`, 'check that the new node is running and reachable from here')
  }
  const lines = parseClusterNodes(String(text))
  const self = lines.find((l) => l.myself)
  if (!self) throw new PreconditionError('not_cluster', `${address} did not list itself in CLUSTER NODES`)
  const keys = Number(await m.read(address, ['DBSIZE']))
  return {self, lines, keys}
}

/** Refuse a node that belongs to another cluster or holds data: joining would lose or mix it. */
function refuseForeign(address: string, probe: {self: NodeLine; lines: NodeLine[]; keys: number}): void {
  const withSlots = probe.lines.filter((l) => l.slots.length > 0)
  if (withSlots.length > 0) {
    throw new PreconditionError(
      'node_in_cluster',
      `${address} already belongs to a cluster with slots (${withSlots.length} primary(ies) own slots in its view)`,
      'add only a fresh node; to reuse this one, empty it and run CLUSTER RESET HARD on it first',
    )
  }
  if (probe.lines.length > 1) {
    throw new PreconditionError(
      'node_in_cluster',
      `${address} already knows ${probe.lines.length - 1} other node(s): it belongs to another cluster`,
      'add only a fresh node; to reuse this one, run CLUSTER RESET HARD on it first',
    )
  }
  if (probe.keys > 0) {
    throw new PreconditionError('node_has_keys', `${address} holds ${probe.keys} key(s)`, 'add only an empty node (FLUSHALL it first if its data is not needed)')
  }
}

function resolvePrimary(t: Topology, name: string): TopoNode {
  const p = selectNode(t, name, '--replica-of node')
  if (p.role !== 'primary') throw new UsageError(`--replica-of ${nodeLabel(p)} is a replica`, 'name a primary (see `reshard status`)')
  if (!p.reachable) throw new PreconditionError('unreachable', `--replica-of ${nodeLabel(p)} is not reachable`, 'bring it back first (see `reshard check`)')
  return p
}

/** Every view lists the node, out of handshake, and the node lists every member. */
function knowsAll(newId: string, memberIds: readonly string[]) {
  return (lines: NodeLine[]): string | undefined => {
    const me = lines.find((l) => l.myself)
    if (me?.id === newId) {
      const missing = memberIds.filter((id) => !lines.some((l) => l.id === id && !l.flags.includes('handshake')))
      return missing.length > 0 ? `does not know ${missing.length} member(s) yet` : undefined
    }
    const l = lines.find((x) => x.id === newId)
    if (!l) return 'does not know the node yet'
    if (l.flags.includes('handshake') || l.flags.includes('noaddr')) return 'still in handshake'
    return undefined
  }
}

export async function addNode(m: Membership, t: Topology, input: AddNodeInput): Promise<AddNodeDocument> {
  const start = Date.now()
  const {host, port, address} = parseNodeAddress(input.address)
  const primary = input.replicaOf !== undefined ? resolvePrimary(t, input.replicaOf) : undefined
  const probe = await probeNewNode(m, address)
  const member = t.nodes.find((n) => n.id === probe.self.id)
  if (!member) refuseForeign(address, probe)
  const commands: NodeCommand[] = []
  const alreadyReplica = member && primary && member.role === 'replica' && member.primaryId === primary.id
  if (member && member.role === 'primary' && member.slots.length > 0 && primary) {
    throw new PreconditionError('node_owns_slots', `${address} is a primary that owns ${member.slots.length} slot(s): it cannot become a replica`, `drain it first: \`reshard drain ${address}\``)
  }
  const seed = t.nodes.find((n) => n.reachable && n.role === 'primary' && !n.failed)
  if (!member && !seed) throw new PreconditionError('unreachable', 'no primary of the cluster answered', 'run `reshard check`')
  if (!member) {
    const ip = await resolveIp(host)
    const busArgs = probe.self.busPort && probe.self.busPort !== port + 10000 ? [String(probe.self.busPort)] : []
    commands.push({address: seed!.address, args: ['CLUSTER', 'MEET', ip, String(port), ...busArgs]})
  }
  if (primary && !alreadyReplica) commands.push({address, args: ['CLUSTER', 'REPLICATE', primary.id]})
  const doc: AddNodeDocument = {
    ok: true,
    dryRun: m.dryRun,
    node: {id: probe.self.id, address},
    replicaOf: primary ? {id: primary.id, name: shortName(primary), address: primary.address} : undefined,
    alreadyMember: member !== undefined,
    knownBy: member ? t.nodes.length : 0,
    commands: commands.map(formatCommand),
    ms: 0,
  }
  if (commands.length === 0) return {...doc, ms: Date.now() - start}
  if (!m.dryRun && input.confirm && !(await input.confirm(summaryOf(address, member !== undefined, primary)))) {
    throw new AbortedError('nothing was changed')
  }
  const addresses = [...t.nodes.filter((n) => n.reachable && n.id !== probe.self.id).map((n) => n.address), address]
  const memberIds = t.nodes.filter((n) => n.id !== probe.self.id && !n.failed).map((n) => n.id)
  for (const c of commands) {
    await m.send(c)
    if (m.dryRun) continue
    if (c.args[1] === 'MEET') {
      const w = await waitForViews(m, addresses, knowsAll(probe.self.id, memberIds), input.timeoutMs)
      if (!w.ok) throw notConverged(`not every node knows ${address}`, w, 'gossip may still be spreading: run `reshard status`, then re-run this command (it is safe)')
      if (t.uncovered.length === 0) {
        const ok = await waitForClusterOk(m, address, input.timeoutMs)
        if (!ok.ok) throw notConverged(`${address} did not reach cluster_state:ok`, ok, 'run `reshard check`, then re-run this command (it is safe)')
      }
    } else {
      const w = await waitForViews(m, addresses, replicaOf(probe.self.id, primary!.id), input.timeoutMs)
      if (!w.ok) throw notConverged(`not every node sees ${address} as a replica of ${shortName(primary!)}`, w, 'run `reshard status`, then re-run this command (it is safe)')
    }
  }
  return {...doc, knownBy: m.dryRun ? doc.knownBy : addresses.length, ms: Date.now() - start}
}

function replicaOf(nodeId: string, primaryId: string) {
  return (lines: NodeLine[]): string | undefined => {
    const l = lines.find((x) => x.id === nodeId)
    if (!l) return 'does not know the node'
    return l.role === 'replica' && l.primaryId === primaryId ? undefined : `sees it as ${l.role}`
  }
}

function summaryOf(address: string, member: boolean, primary: TopoNode | undefined): string {
  const as = primary ? `as a replica of ${shortName(primary)}` : 'as an empty primary'
  return member ? `Make ${address} a replica of ${shortName(primary!)}?` : `Add ${address} to the cluster ${as}?`
}
