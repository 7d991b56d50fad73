// PURE. Parser for the text of `CLUSTER NODES`.
// Line: <id> <ip:port@cport[,hostname]> <flags> <primary-id|-> <ping> <pong> <epoch> <link> <slot>...
// A primary reports its own open slots only on its `myself` line: "[slot->-id]" (migrating)
// and "[slot-<-id]" (importing) (docs/architecture.md "Safety rules").
import {MAX_SLOT, slotRange} from './slot-set.js'

export type Role = 'primary' | 'replica'

export interface NodeLine {
  id: string
  host: string
  port: number
  busPort: number
  /** Announced hostname (`cluster-announce-hostname`), or undefined. */
  hostname?: string
  flags: string[]
  myself: boolean
  role: Role
  /** For replicas: the id of their primary. */
  primaryId?: string
  /** fail, pfail, handshake or noaddr in flags. */
  failed: boolean
  configEpoch: number
  linkState: 'connected' | 'disconnected'
  slots: number[]
  /** Only on the myself line: slot -> target id. */
  migrating: Map<number, string>
  /** Only on the myself line: slot -> source id. */
  importing: Map<number, string>
}

export class ClusterNodesParseError extends Error {}

export function parseClusterNodes(text: string): NodeLine[] {
  const out: NodeLine[] = []
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim()
    if (line === '') continue
    out.push(parseLine(line))
  }
  return out
}

function parseLine(line: string): NodeLine {
  const f = line.split(' ')
  if (f.length < 8) throw new ClusterNodesParseError(`malformed CLUSTER NODES line: ${line}`)
  const [id, addr, flagText, primary, , , epoch, link] = f
  const [hostPortBus, hostname] = splitOnce(addr!, ',')
  const [hostPort, bus] = splitOnce(hostPortBus!, '@')
  const colon = hostPort!.lastIndexOf(':')
  const host = hostPort!.slice(0, colon)
  const port = Number(hostPort!.slice(colon + 1))
  const flags = flagText!.split(',')
  const myself = flags.includes('myself')
  const role: Role = flags.includes('slave') || flags.includes('replica') ? 'replica' : 'primary'
  const failed = flags.some((x) => x === 'fail' || x === 'fail?' || x === 'handshake' || x === 'noaddr')
  let slots: number[] = []
  const migrating = new Map<number, string>()
  const importing = new Map<number, string>()
  for (const tok of f.slice(8)) {
    if (tok.startsWith('[')) {
      const body = tok.slice(1, -1)
      const mig = body.indexOf('->-')
      const imp = body.indexOf('-<-')
      if (mig > 0) migrating.set(Number(body.slice(0, mig)), body.slice(mig + 3))
      else if (imp > 0) importing.set(Number(body.slice(0, imp)), body.slice(imp + 3))
      continue
    }
    const dash = tok.indexOf('-')
    if (dash < 0) slots.push(Number(tok))
    else slots = withRange(slots, Number(tok.slice(0, dash)), Number(tok.slice(dash + 1)))
  }
  return {
    id: id!,
    host,
    port,
    busPort: Number(bus ?? 0),
    hostname: hostname && hostname.length > 0 ? hostname : undefined,
    flags,
    myself,
    role,
    primaryId: primary === '-' ? undefined : primary,
    failed,
    configEpoch: Number(epoch),
    linkState: link === 'connected' ? 'connected' : 'disconnected',
    slots,
    migrating,
    importing,
  }
}

/** slots followed by lo..hi, as `for (let s = lo; s <= hi; s++) slots.push(s)` gives, without the loop. */
function withRange(slots: number[], lo: number, hi: number): number[] {
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo <= hi && hi <= MAX_SLOT)) {
    for (let s = lo; s <= hi; s++) slots.push(s)
    return slots
  }
  const run = slotRange(lo, hi)
  return slots.length === 0 ? run : slots.concat(run)
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)]
}
