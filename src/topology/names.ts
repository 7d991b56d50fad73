// PURE. How nodes are shown to people: an id prefix, "nodeB (a1b2c3d4, 127.0.0.1:30002)", or just
// "nodeB". Imports nothing, so every layer (and topology.ts, which re-exports it) can use it.

/** What naming needs of a node (a TopoNode, or a plan's node). */
interface Named {
  id: string
  address: string
  hostname?: string
}

/** The first 8 characters of a node id: how ids are shown to people everywhere. */
export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** "nodeB (a1b2c3d4, 127.0.0.1:30002)": a node as people read it in messages. */
export function nodeLabel(n: Named): string {
  return n.hostname ? `${n.hostname} (${shortId(n.id)}, ${n.address})` : `${n.address} (${shortId(n.id)})`
}

/**
 * "nodeB (127.0.0.1:30002, a1b2c3d4)": a shown name with the address (left out when the name is
 * the address: a node without a hostname) and any further details; the bare name when none is left.
 */
export function nameWithAddress(name: string, address: string, ...details: string[]): string {
  const inParens = [...(name === address ? [] : [address]), ...details]
  return inParens.length > 0 ? `${name} (${inParens.join(', ')})` : name
}

/** nodeLabel of a node of `t`, or the id prefix when `t` does not have it. */
export function labelOf(t: {nodes: readonly Named[]}, id: string): string {
  const n = t.nodes.find((x) => x.id === id)
  return n ? nodeLabel(n) : shortId(id)
}

/** Hostname, or host:port: a node in tables and progress lines. */
export function shortName(n: Named): string {
  return n.hostname ?? n.address
}

/** A node id as people read it: hostname or host:port, or an id prefix when the node is unknown. */
export function nameOf(t: {nodes: readonly Named[]} | undefined, id: string): string {
  const n = t?.nodes.find((x) => x.id === id)
  return n ? shortName(n) : shortId(id)
}
