// Epoch-safe finalization (docs/architecture.md "Safety rules": "finalization must leave the target with the newest
// config epoch for the slot"). A node that sees another claim one of its slots with a higher
// config epoch yields the slot and deletes its keys there (Redis clusterUpdateSlotsConfigWith:
// "dirty slots"). The claim can come from the old owner's own ping before it is told, or as an
// UPDATE from any node (replicas too) whose table still names the old owner, at the old owner's
// epoch as that node knows it. So, before the source and the others are told, the target's epoch
// must be strictly higher than every primary's, and no old owner may later climb above it while
// some node still names it as the owner:
//
// - finalizations are serialized across pairs: two targets bumping at once draw the same epoch
//   (clusterBumpConfigEpochWithoutConsensus takes currentEpoch+1 of its own view), and the
//   collision is resolved later by bumping one of them, maybe the old owner of a slot;
// - before SETSLOT NODE, the target's view is current (its currentEpoch is at least every
//   primary's configEpoch, so its bump lands above all) and no two primaries share an epoch (a
//   pending collision bumps one of them at a moment nobody chooses);
// - after SETSLOT NODE, the target's epoch is read back and must be strictly the highest; if
//   not (it did not bump: it believed it already was), CLUSTER BUMPEPOCH;
// - a node that gave slots away finalizes as a target (and climbs above their new owner) only
//   once every node, replicas included, names the new owners of those slots.
import type {ClusterAdmin} from '../cluster/cluster-admin.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {primaries, type Topology, shortId} from '../topology/topology.js'
import {SlotError} from './key-mover.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class FinalizeGate {
  private chain: Promise<unknown> = Promise.resolve()
  /** old owner -> (slot -> new owner), until every node names the new owner. */
  private readonly unsettled = new Map<string, Map<number, string>>()

  constructor(
    private readonly admin: ClusterAdmin,
    private readonly topology: () => Topology,
    private readonly deadlineMs = 10_000,
    private readonly pollMs = 20,
  ) {}

  /** Runs `fn` when no other finalization runs (one at a time across every pair of the run). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn)
    this.chain = run.catch(() => undefined)
    return run
  }

  private primaryIds(): string[] {
    return primaries(this.topology())
      .filter((n) => n.reachable)
      .map((n) => n.id)
  }

  /**
   * Epochs of the primaries, as each says now. A node that has turned into a replica since the
   * topology was read (the last slot of a drained primary left it: cluster-allow-replica-migration)
   * is left out: it claims no slot, and it reports its primary's config epoch as its own.
   */
  private async epochs(ids: string[]): Promise<Map<string, {current: number; config: number}>> {
    const out = new Map<string, {current: number; config: number}>()
    await Promise.all(
      ids.map(async (id) => {
        const e = await this.admin.epochs(id)
        if (!e.replica) out.set(id, e)
      }),
    )
    return out
  }

  private async until(what: () => Promise<string | undefined>, failure: string): Promise<void> {
    const deadline = Date.now() + this.deadlineMs
    for (;;) {
      const wrong = await what()
      if (wrong === undefined) return
      if (Date.now() > deadline) throw new SlotError('epoch_unsafe', `${failure}: ${wrong}`, 'run `reshard check`, then `reshard recover`')
    await sleep(this.pollMs)
    }
  }

  /** Before SETSLOT NODE on `target`: its bump will land strictly above every primary. */
  async prepare(target: string): Promise<void> {
    if (this.admin.dryRun) return
    await this.settle(target)
    await this.until(async () => {
      const e = await this.epochs(this.primaryIds())
      const ids = [...e.keys()]
      const seen = new Map<number, string>()
      for (const id of ids) {
        const c = e.get(id)!.config
        if (seen.has(c)) return `primaries ${shortId(seen.get(c)!)} and ${shortId(id)} share config epoch ${c}`
        seen.set(c, id)
      }
      const max = Math.max(...ids.filter((id) => id !== target).map((id) => e.get(id)!.config))
      const t = e.get(target)!
      if (t.current < max) return `the target knows epoch ${t.current}, a primary has ${max}`
      return undefined
    }, 'cannot finalize safely')
  }

  /** After SETSLOT NODE on `target`, before anyone else is told: its epoch is strictly the highest. */
  async confirm(target: string): Promise<void> {
    if (this.admin.dryRun) return
    await this.until(async () => {
      const e = await this.epochs(this.primaryIds())
      const ids = [...e.keys()]
      const mine = e.get(target)!.config
      const above = ids.filter((id) => id !== target && e.get(id)!.config >= mine)
      if (above.length === 0) return undefined
      // it did not bump (it believed it already had the highest epoch) or someone climbed: bump
      await this.admin.bumpEpoch(target)
      return `${above.map((id) => shortId(id)).join(', ')} at epoch ${e.get(above[0]!)!.config}, the target at ${mine}`
    }, 'the target does not hold the newest config epoch')
  }

  /** The slots left `from` for `to`: `from` may not climb above `to` until every node agrees. */
  gaveAway(from: string, to: string, slots: readonly number[]): void {
    let m = this.unsettled.get(from)
    if (!m) this.unsettled.set(from, (m = new Map()))
    for (const s of slots) m.set(s, to)
  }

  /** Waits until every reachable node (replicas too) names the new owner of each slot `node` gave away. */
  private async settle(node: string): Promise<void> {
    const m = this.unsettled.get(node)
    if (!m || m.size === 0) return
    const ids = this.topology()
      .nodes.filter((n) => n.reachable)
      .map((n) => n.id)
    await this.until(async () => {
      for (const id of ids) {
        const lines = parseClusterNodes(await this.admin.clusterNodes(id))
        const owner = new Map<number, string>()
        for (const l of lines) if (l.role === 'primary') for (const s of l.slots) if (m.has(s)) owner.set(s, l.id)
        for (const [s, to] of m) if (owner.get(s) !== to) return `node ${shortId(id)} still names ${(owner.get(s) && shortId(owner.get(s)!)) ?? 'no node'} as the owner of slot ${s}`
      }
      return undefined
    }, 'the slots given away earlier have not settled')
    this.unsettled.delete(node)
  }
}
