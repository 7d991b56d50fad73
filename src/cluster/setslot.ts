// CLUSTER SETSLOT lists for one node, the way each kind of server takes them. Never from a
// script: on Valkey 8+ a primary with replicas blocks the caller until its replicas acknowledge,
// and a blocked script aborts the server process (docs/architecture.md "Safety rules").
// Such a node gets one SETSLOT in flight per connection on several connections ("lanes");
// every other node gets pipelined chunks sized from its measured cost per SETSLOT.
import type {Redis} from 'ioredis'
import type {SetSlotOp} from './cluster-admin.js'
import {ADMIN_TIMEOUT_MS, within} from './timeout.js'

/** First guess of one SETSLOT's cost before the node was measured: replicated SETSLOT takes ~5 ms on an idle machine, ~50 ms under load; the first chunk is small and measures it. */
const SETSLOT_COST_GUESS_MS = 50
/** A SETSLOT chunk aims at about this long on the node. */
const SETSLOT_CHUNK_MS = 1000

/** Connections per node for SETSLOT on nodes that block the caller on every SETSLOT. */
const SETSLOT_LANES = 8

/** All strings of a (nested) reply, joined: enough to look for an argument name in COMMAND DOCS. */
function flatText(reply: unknown): string {
  if (reply === null || reply === undefined) return ''
  if (Array.isArray(reply)) return reply.map(flatText).join(' ')
  if (reply instanceof Map) return [...reply].map(([k, v]) => `${flatText(k)} ${flatText(v)}`).join(' ')
  if (Buffer.isBuffer(reply)) return reply.toString()
  if (typeof reply === 'object') return Object.entries(reply).map(([k, v]) => `${k} ${flatText(v)}`).join(' ')
  return String(reply)
}

/** How many SETSLOTs go in one chunk at the measured cost: 16 to 1024. */
export function setSlotChunk(costMs: number): number {
  return Math.max(16, Math.min(1024, Math.floor(SETSLOT_CHUNK_MS / Math.max(costMs, 0.01))))
}

/** A chunk's deadline: the admin deadline plus ten times what the chunk should take. */
export function setSlotDeadline(costMs: number, n: number): number {
  return ADMIN_TIMEOUT_MS + Math.ceil(10 * costMs * n)
}

/** One pipeline write of SETSLOTs; per op undefined on success or the error text. */
async function pipelineSetSlots(c: Redis, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
  const p = c.pipeline()
  for (const op of ops) {
    if (op.action === 'stable') p.call('CLUSTER', 'SETSLOT', String(op.slot), 'STABLE')
    else p.call('CLUSTER', 'SETSLOT', String(op.slot), op.action.toUpperCase(), op.nodeId!)
  }
  const res = (await p.exec()) ?? []
  return ops.map((_, i) => {
    const [err] = res[i] ?? [new Error('no reply')]
    return err ? err.message : undefined
  })
}

/** Gets a connection to a node; `lane` > 0 is another connection to the same node (NodePool.get). */
export type LaneClient = (address: string, lane?: number) => Promise<Redis>

/** Sends SETSLOT lists, remembering per node what it costs and whether it blocks on SETSLOT. */
export class SetSlotSender {
  /** Measured milliseconds per SETSLOT, per node (replicated SETSLOT costs ms, not us). */
  private readonly cost = new Map<string, number>()
  /** Per node: whether it replicates SETSLOT and blocks the caller until its replicas acknowledge. */
  private readonly blocking = new Map<string, Promise<boolean>>()

  constructor(private readonly connect: LaneClient) {}

  /**
   * A node that replicates SETSLOT and blocks the caller until its replicas acknowledge (Valkey
   * 8+) gets one SETSLOT in flight per connection, on several connections at once: a pipelined
   * SETSLOT that waits behind a blocked one can stay in the server's query buffer unread until
   * more input arrives (seen on Valkey 9.0: a 200-SETSLOT pipeline stalled with 3.5 KB unparsed,
   * `qbuf=3585`, until our deadline). Other nodes get pipelined chunks sized from what the node
   * measurably takes, each chunk with a deadline of its own: a slow but answering node never
   * times out half-way through a wave, while a node that stops answering is a verdict within the
   * deadline. `c` is the node's main connection, `address` its host:port, `what` its name in messages.
   */
  async send(nodeId: string, c: Redis, address: string, what: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    if (await this.blocksOnSetSlot(nodeId, c, what)) return this.inLanes(address, what, ops)
    const out: Array<string | undefined> = []
    for (let i = 0; i < ops.length; ) {
      const cost = this.cost.get(nodeId) ?? SETSLOT_COST_GUESS_MS
      const chunk = ops.slice(i, i + setSlotChunk(cost))
      const started = Date.now()
      const replies = await within(pipelineSetSlots(c, chunk), setSlotDeadline(cost, chunk.length), what)
      this.cost.set(nodeId, Math.max(0.05, (cost + (Date.now() - started) / chunk.length) / 2))
      out.push(...replies)
      i += chunk.length
    }
    return out
  }

  /**
   * Whether the node replicates SETSLOT and blocks the caller (probed, never read from a version
   * string): such servers document a TIMEOUT argument for it (COMMAND DOCS CLUSTER|SETSLOT).
   * When the node will not say, assume it does: one SETSLOT in flight is right on every server.
   */
  private blocksOnSetSlot(nodeId: string, c: Redis, what: string): Promise<boolean> {
    let known = this.blocking.get(nodeId)
    if (!known) {
      known = within(c.call('COMMAND', 'DOCS', 'CLUSTER|SETSLOT'), ADMIN_TIMEOUT_MS, what).then(
        (docs) => /timeout/i.test(flatText(docs)),
        () => true,
      )
      this.blocking.set(nodeId, known)
    }
    return known
  }

  /** One SETSLOT in flight per connection, SETSLOT_LANES connections; a slot's ops stay in order on one lane. */
  private async inLanes(address: string, what: string, ops: readonly SetSlotOp[]): Promise<Array<string | undefined>> {
    const lanes: number[][] = Array.from({length: Math.min(SETSLOT_LANES, ops.length)}, () => [])
    const laneOfSlot = new Map<number, number>()
    ops.forEach((op, i) => {
      let lane = laneOfSlot.get(op.slot)
      if (lane === undefined) laneOfSlot.set(op.slot, (lane = laneOfSlot.size % lanes.length))
      lanes[lane]!.push(i)
    })
    const out = new Array<string | undefined>(ops.length)
    await Promise.all(
      lanes.map(async (indexes, lane) => {
        if (indexes.length === 0) return
        const c = await within(this.connect(address, lane), ADMIN_TIMEOUT_MS, what)
        for (const i of indexes) {
          const op = ops[i]!
          const args = op.action === 'stable' ? [String(op.slot), 'STABLE'] : [String(op.slot), op.action.toUpperCase(), op.nodeId!]
          try {
            await within(c.call('CLUSTER', 'SETSLOT', ...args), ADMIN_TIMEOUT_MS, what)
          } catch (e) {
            if ((e as Error).name !== 'ReplyError') throw e
            out[i] = (e as Error).message
          }
        }
      }),
    )
    return out
  }
}
