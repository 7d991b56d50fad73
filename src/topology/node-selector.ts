// PURE. Resolve what an operator typed into one node: full id, unique id prefix,
// host:port, or announced hostname. Unknown or ambiguous names list the candidates.
import {UsageError} from '../errors.js'
import {nodeLabel, type TopoNode, type Topology} from './topology.js'

export function selectNode(t: Topology, name: string, what = 'node'): TopoNode {
  const q = name.trim()
  if (q === '') throw new UsageError(`empty ${what} name`)
  const byId = t.nodes.find((n) => n.id === q)
  if (byId) return byId
  const byAddr = t.nodes.filter((n) => n.address === q || addressAliases(n).includes(q))
  if (byAddr.length === 1) return byAddr[0]!
  const byHost = t.nodes.filter((n) => n.hostname !== undefined && n.hostname.toLowerCase() === q.toLowerCase())
  if (byHost.length === 1) return byHost[0]!
  if (byHost.length > 1) throw ambiguous(q, byHost, what)
  if (/^[0-9a-f]{1,40}$/i.test(q)) {
    const byPrefix = t.nodes.filter((n) => n.id.startsWith(q.toLowerCase()))
    if (byPrefix.length === 1) return byPrefix[0]!
    if (byPrefix.length > 1) throw ambiguous(q, byPrefix, what)
  }
  throw new UsageError(
    `unknown ${what} "${q}"`,
    `name a node by id, id prefix, host:port or hostname; candidates: ${t.nodes.map((n) => nodeLabel(n)).join('; ')}`,
  )
}

function ambiguous(q: string, nodes: TopoNode[], what: string): UsageError {
  return new UsageError(
    `${what} "${q}" is ambiguous: it matches ${nodes.length} nodes`,
    `use a longer id prefix; candidates: ${nodes.map((n) => nodeLabel(n)).join('; ')}`,
  )
}

function addressAliases(n: TopoNode): string[] {
  const out: string[] = []
  if (n.host === '127.0.0.1') out.push(`localhost:${n.port}`)
  if (n.hostname) out.push(`${n.hostname}:${n.port}`)
  return out
}
