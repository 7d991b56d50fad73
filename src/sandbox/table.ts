// PURE. The node table that `sandbox up` and `sandbox status` print.
import type {NodeStatus} from './sandbox-status.js'

export interface TableStyle {
  dim?: (s: string) => string
  good?: (s: string) => string
  bad?: (s: string) => string
}

export function nodeTable(nodes: NodeStatus[], style: TableStyle = {}): string[] {
  const id = (s: string) => s
  const dim = style.dim ?? id
  const good = style.good ?? id
  const bad = style.bad ?? id
  const rows = nodes.map((n) => [
    n.hostname,
    n.address,
    n.role === 'replica' ? `replica of ${n.primary ?? '?'}` : (n.role ?? '?'),
    n.role === 'primary' ? (n.slots === '' ? '(none)' : (n.slots ?? '?')) : '',
    String(n.pid),
    n.alive ? (n.clusterState === undefined ? 'alive' : `alive, ${n.clusterState}`) : 'dead',
  ])
  const header = ['HOSTNAME', 'ADDRESS', 'ROLE', 'SLOTS', 'PID', 'STATE']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return [
    dim(line(header)),
    ...rows.map((r, k) => {
      const n = nodes[k]!
      const text = line(r)
      return n.alive && n.clusterState === 'ok' ? text.replace(/alive, ok$/, good('alive, ok')) : n.alive ? text : text.replace(/dead$/, bad('dead'))
    }),
  ]
}
