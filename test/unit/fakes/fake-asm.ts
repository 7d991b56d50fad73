// The atomic slot migration of FakeCluster (servers/ASM.md), both flavours: Valkey's
// MIGRATESLOTS / GETSLOTMIGRATIONS / CANCELSLOTMIGRATIONS on the source, Redis'
// CLUSTER MIGRATION IMPORT / STATUS / CANCEL on the target. Every poll advances the newest task
// one server state, as `script` says: the target gets half the keys while it replicates, all of
// them and the slots (with a bumped epoch) on success; a cancel drops the target's copy.
import type {AsmAdmin, AsmFlavour, AsmTask} from '../../../src/cluster/cluster-admin.js'
import {phaseOf} from '../../../src/migration/asm-task.js'
import type {FakeCluster} from './fake-cluster.js'

const VALKEY_STEPS = ['connecting', 'snapshotting', 'replicating', 'failover-granted', 'success']
const REDIS_STEPS = ['connecting', 'accumulate-buffer', 'streaming-buffer', 'takeover', 'completed']

type Range = readonly [number, number]

export class FakeAsm {
  /** Flavour per node id; a node not listed offers none. */
  readonly flavours = new Map<string, AsmFlavour | 'none'>()
  tasks: AsmTask[] = []
  /** What every poll does to the running task. */
  script: 'succeed' | 'fail-noauth' | 'retry-forever' | 'stall' = 'succeed'
  cancelled = false
  private slots: number[] = []
  private flavour: AsmFlavour = 'valkey'

  constructor(private readonly c: FakeCluster) {}

  /** Every node offers `f`. */
  offer(f: AsmFlavour | 'none'): void {
    for (const id of this.c.nodes.keys()) this.flavours.set(id, f)
  }

  private start(flavour: AsmFlavour, from: string, to: string, ranges: readonly Range[], id: string, operation: 'import' | 'export'): void {
    this.slots = ranges.flatMap(([s, e]) => Array.from({length: e - s + 1}, (_, i) => s + i))
    for (const n of [this.c.node(from), this.c.node(to)]) {
      if (this.slots.some((s) => n.importing.has(s) || n.migrating.has(s))) throw Object.assign(new Error('ERR Slots are being manually migrated'), {name: 'ReplyError'})
    }
    this.flavour = flavour
    this.cancelled = false
    this.tasks.unshift({id, operation, ranges: ranges.map(([s, e]) => `${s}-${e}`).join(' '), source: from, target: to, state: 'connecting', error: '', retries: 0})
  }

  private ended(t: AsmTask): boolean {
    const p = phaseOf(this.flavour, t.state)
    return p === 'success' || p === 'cancelled' || (this.flavour === 'valkey' && p === 'failed')
  }

  /** One server step of the newest task. */
  step(): void {
    const t = this.tasks[0]
    if (!t || this.ended(t)) return
    const src = this.c.node(t.source)
    const dst = this.c.node(t.target)
    if (this.cancelled) {
      t.state = this.flavour === 'valkey' ? 'cancelled' : 'canceled'
      for (const s of this.slots) dst.keys.delete(s) // the target drops its partial copy
      return
    }
    if (this.script === 'stall') return
    if (this.script === 'fail-noauth') {
      t.state = 'failed'
      t.error = 'Received error during handshake to target: -NOAUTH Authentication required.'
      return
    }
    if (this.script === 'retry-forever') {
      t.state = 'failed'
      t.retries++
      t.error = 'all slot states must be STABLE'
      return
    }
    const steps = this.flavour === 'valkey' ? VALKEY_STEPS : REDIS_STEPS
    t.state = steps[Math.min(steps.indexOf(t.state) + 1, steps.length - 1)]!
    if (t.state === 'replicating' || t.state === 'streaming-buffer') {
      for (const s of this.slots) {
        const all = [...(src.keys.get(s) ?? new Map<string, Buffer>())]
        dst.keys.set(s, new Map(all.slice(0, Math.ceil(all.length / 2))))
      }
    }
    if (phaseOf(this.flavour, t.state) === 'success') {
      for (const s of this.slots) {
        dst.keys.set(s, new Map(src.keys.get(s) ?? []))
        src.keys.delete(s)
      }
      this.c.bump(dst)
      for (const n of this.c.nodes.values()) for (const s of this.slots) n.owners[s] = dst.id
    }
  }

  admin(): AsmAdmin {
    const a = this
    const c = this.c
    const ranges = (r: readonly Range[]) => r.map(([s, e]) => `${s} ${e}`).join(' ')
    return {
      async asmFlavour(id) {
        return a.flavours.get(id) ?? 'none'
      },
      async migrateSlots(from, to, r) {
        await c.enter('asm', from, `MIGRATESLOTS ${ranges(r)} NODE ${to.slice(0, 2)}`)
        a.start('valkey', from, to, r, `job${a.tasks.length}`, 'export')
      },
      async slotMigrations(id) {
        await c.enter('asm', id, 'GETSLOTMIGRATIONS')
        a.step()
        return a.tasks.filter((t) => t.source === id).map((t) => ({...t}))
      },
      async cancelSlotMigrations(from) {
        await c.enter('asm', from, 'CANCELSLOTMIGRATIONS')
        a.cancelled = true
      },
      async migrationImport(to, r) {
        await c.enter('asm', to, `MIGRATION IMPORT ${ranges(r)}`)
        const from = c.ownerOf(r[0]![0])!
        const id = `task${a.tasks.length + 1}`
        a.start('redis', from, to, r, id, 'import')
        return id
      },
      async migrationStatus(id, taskId) {
        await c.enter('asm', id, `MIGRATION STATUS ${taskId ?? 'ALL'}`)
        a.step()
        return a.tasks.filter((t) => t.target === id && (taskId === undefined || t.id === taskId)).map((t) => ({...t}))
      },
      async migrationCancel(to, taskId) {
        await c.enter('asm', to, `MIGRATION CANCEL ID ${taskId}`)
        a.cancelled = true
        return 1
      },
    }
  }
}
