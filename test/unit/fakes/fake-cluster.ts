// An in-memory cluster behind the engine's ClusterAdmin (issue 12 item 8): primaries that own
// slots in their own views, keys per slot, SETSLOT with the servers' refusals, MIGRATE moving
// keys (NOKEY, BUSYKEY, a target that does not import the slot), COUNTKEYSINSLOT, GETKEYSINSLOT,
// an ordered MIGRATE channel, epochs with Redis' bump rule and a gossip tick, ASM tasks of both
// flavours (fake-asm.ts), and faults: a command failing N times, a command that hangs, a node down.
import type {ClusterAdmin, MigrateBatch, MigrateOutcome, SetSlotOp} from '../../../src/cluster/cluster-admin.js'
import {formatSlots} from '../../../src/topology/slot-set.js'
import {FakeAsm} from './fake-asm.js'
import {fakeAdmin} from './fake-admin.js'

export interface FakeNode {
  id: string
  port: number
  config: number
  current: number
  /** This node's view: owner id per slot. */
  owners: Array<string | null>
  importing: Map<number, string>
  migrating: Map<number, string>
  /** slot -> key (latin1) -> value */
  keys: Map<number, Map<string, Buffer>>
  down: boolean
}

/** The commands faults can be injected into (one name per ClusterAdmin call). */
export type FakeCommand = 'refresh' | 'setslot' | 'countkeys' | 'getkeys' | 'migrate' | 'channel-migrate' | 'channel-list' | 'dump' | 'clusternodes' | 'epochs' | 'bumpepoch' | 'asm'

interface Fault {
  command: FakeCommand
  node?: string
  times: number
  error?: string
  hang?: boolean
}

const tick = () => new Promise((r) => setImmediate(r))

export const nodeId = (i: number): string => `${String(i).padStart(2, '0')}${'f'.repeat(38)}`

export class FakeCluster {
  readonly nodes = new Map<string, FakeNode>()
  /** Every command as it reached a node: "<node> <COMMAND> <args>". */
  readonly log: string[] = []
  readonly asm: FakeAsm
  private faults: Fault[] = []
  private hung: Array<() => void> = []
  /** Ordered channel: the most MIGRATEs queued at once. */
  maxQueuedMigrates = 0
  /** Called before a channel MIGRATE executes; an error text fails it after moving `half` keys. */
  failWhen?: (batch: MigrateBatch, n: number) => {error: string; half: number} | undefined
  /** Nodes whose view gossip never updates (only a SETSLOT sent to them does). */
  readonly deaf = new Set<string>()
  /** Called after every command (e.g. to request a stop at a given point). */
  onCommand?: (line: string) => void
  /** Channel MIGRATEs so far (numbers the calls of failWhen). */
  channelMigrates = 0

  /** `owned[i]`: the slots node i owns; `keys`: keys per slot, created on the slot's owner. */
  constructor(owned: number[][], keys: Record<number, number> = {}) {
    owned.forEach((slots, i) => {
      const id = nodeId(i)
      this.nodes.set(id, {id, port: 7000 + i, config: i + 1, current: owned.length, owners: new Array<string | null>(16384).fill(null), importing: new Map(), migrating: new Map(), keys: new Map(), down: false})
    })
    owned.forEach((slots, i) => {
      for (const n of this.nodes.values()) for (const s of slots) n.owners[s] = nodeId(i)
    })
    for (const [slot, n] of Object.entries(keys)) {
      const owner = this.ownerOf(Number(slot))
      if (owner) this.addKeys(owner, Number(slot), n)
    }
    this.asm = new FakeAsm(this)
  }

  node(id: string): FakeNode {
    const n = this.nodes.get(id)
    if (!n) throw new Error(`no node ${id}`)
    return n
  }

  /** The owner by consensus of the views (every view when they agree). */
  ownerOf(slot: number): string | null {
    const votes = new Map<string | null, number>()
    for (const n of this.nodes.values()) votes.set(n.owners[slot]!, (votes.get(n.owners[slot]!) ?? 0) + 1)
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0]
  }

  addKeys(node: string, slot: number, n: number, prefix = 'k'): void {
    const m = this.slotKeys(this.node(node), slot)
    for (let i = 0; i < n; i++) m.set(`{s${slot}}${prefix}${i}`, Buffer.from(`value of {s${slot}}${prefix}${i}`))
  }

  keysOf(node: string, slot: number): string[] {
    return [...(this.node(node).keys.get(slot)?.keys() ?? [])]
  }

  count(node: string, slot: number): number {
    return this.node(node).keys.get(slot)?.size ?? 0
  }

  /** The next `times` calls of `command` (on `node`, or any) fail with `error`. */
  failNext(command: FakeCommand, times = 1, error = 'ERR injected failure', node?: string): void {
    this.faults.push({command, node, times, error})
  }

  /** The next call of `command` never answers until release(). */
  hang(command: FakeCommand, node?: string): void {
    this.faults.push({command, node, times: 1, hang: true})
  }

  release(): void {
    for (const r of this.hung.splice(0)) r()
  }

  setDown(node: string, down = true): void {
    this.node(node).down = down
  }

  /** Gossip: every node learns the highest epoch, and every slot's claim with the highest config epoch. */
  gossip(): void {
    const all = [...this.nodes.values()].filter((n) => !n.down)
    const max = Math.max(...all.map((n) => n.config))
    for (const n of all) n.current = Math.max(n.current, max)
    for (const claimer of all) {
      for (let s = 0; s < 16384; s++) {
        if (claimer.owners[s] !== claimer.id) continue
        for (const n of all) {
          const named = n.owners[s] ? this.nodes.get(n.owners[s]!) : undefined
          if (n !== claimer && !this.deaf.has(n.id) && (!named || (named.id !== claimer.id && named.config < claimer.config))) n.owners[s] = claimer.id
        }
      }
    }
  }

  /** Redis' clusterBumpConfigEpochWithoutConsensus. */
  bump(n: FakeNode): boolean {
    if (n.config !== 0 && n.config === n.current) return false
    n.current++
    n.config = n.current
    return true
  }

  clusterNodesText(self: FakeNode): string {
    return [...this.nodes.values()]
      .map((n) => {
        const slots: number[] = []
        for (let s = 0; s < 16384; s++) if (self.owners[s] === n.id) slots.push(s)
        const runs = slots.length > 0 ? formatSlots(slots).split(',') : []
        const marks = n === self ? [...n.migrating].map(([s, to]) => `[${s}->-${to}]`).concat([...n.importing].map(([s, f]) => `[${s}-<-${f}]`)) : []
        const flags = n === self ? 'myself,master' : n.down ? 'master,fail' : 'master'
        return [n.id, `127.0.0.1:${n.port}@${n.port + 10000}`, flags, '-', '0', '0', String(n.config), 'connected', ...runs, ...marks].join(' ')
      })
      .join('\n')
  }

  /** Log, then a fault, a hang or a down node; resolves on a later turn, like a server. */
  async enter(command: FakeCommand, node: string, line: string): Promise<void> {
    this.log.push(`${node.slice(0, 2)} ${line}`)
    await tick()
    const i = this.faults.findIndex((f) => f.command === command && (f.node === undefined || f.node === node))
    if (i >= 0) {
      const f = this.faults[i]!
      if (--f.times <= 0) this.faults.splice(i, 1)
      if (f.hang) await new Promise<void>((r) => this.hung.push(r))
      else {
        this.onCommand?.(line)
        throw Object.assign(new Error(f.error), {name: 'ReplyError'})
      }
    }
    if (this.node(node).down) throw new Error(`connect ECONNREFUSED 127.0.0.1:${this.node(node).port}`)
    this.onCommand?.(line)
  }

  slotKeys(n: FakeNode, slot: number): Map<string, Buffer> {
    let m = n.keys.get(slot)
    if (!m) n.keys.set(slot, (m = new Map()))
    return m
  }

  setSlot(n: FakeNode, op: SetSlotOp): string | undefined {
    const {slot} = op
    if (op.action === 'importing') {
      if (n.owners[slot] === n.id) return `ERR I'm already the owner of hash slot ${slot}`
      n.importing.set(slot, op.nodeId!)
    } else if (op.action === 'migrating') {
      if (n.owners[slot] !== n.id) return `ERR I'm not the owner of hash slot ${slot}`
      n.migrating.set(slot, op.nodeId!)
    } else if (op.action === 'stable') {
      n.importing.delete(slot)
      n.migrating.delete(slot)
    } else {
      const to = op.nodeId!
      if (n.owners[slot] === n.id && to !== n.id && this.count(n.id, slot) > 0) return `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`
      if (to === n.id && n.importing.delete(slot)) this.bump(n)
      if (to !== n.id) n.migrating.delete(slot)
      n.owners[slot] = to
    }
    return undefined
  }

  /** One MIGRATE batch from `src` to `dst`, moving up to `limit` keys before `error` when given. */
  migrateBatch(src: FakeNode, dst: FakeNode, b: MigrateBatch, fail?: {error: string; half: number}): MigrateOutcome {
    if (dst.down) return {ok: false, error: 'IOERR error or timeout reading to target instance'}
    let found = 0
    let busy: string | undefined
    for (const [i, k] of b.keys.entries()) {
      if (fail && i >= fail.half) break
      const name = k.toString('latin1')
      const slot = Number(/^\{s(\d+)\}/.exec(name)?.[1] ?? -1)
      const value = src.keys.get(slot)?.get(name)
      if (value === undefined) continue // NOKEY: gone already
      found++
      if (dst.owners[slot] !== dst.id && !dst.importing.has(slot)) return {ok: false, error: `ERR Target instance replied with error: MOVED ${slot} 127.0.0.1:${this.node(dst.owners[slot]!).port}`}
      if (this.slotKeys(dst, slot).has(name) && !b.replace) {
        busy ??= 'BUSYKEY Target key name already exists.'
        continue
      }
      this.slotKeys(dst, slot).set(name, value)
      src.keys.get(slot)!.delete(name)
    }
    if (fail) return {ok: false, error: fail.error}
    if (busy) return {ok: false, error: busy}
    return {ok: true, nokey: found === 0}
  }

  /** The ClusterAdmin the engine talks to (fake-admin.ts); every call goes through enter(). */
  admin(): ClusterAdmin {
    return fakeAdmin(this)
  }
}
