// Atomic slot migration tasks running in the cluster (servers/ASM.md), for `status`, `check` and
// `recover`: asked of every reachable primary that offers a flavour, one entry per task.
import type {AsmFlavour, AsmTask, ClusterAdmin, ClusterReader} from '../cluster/cluster-admin.js'
import {MAX_IMPORT_RETRIES} from '../migration/atomic-mover.js'
import {phaseOf} from '../migration/asm-task.js'
import {parseSlots} from '../topology/slot-set.js'
import {primaries, type Topology} from '../topology/topology.js'

export interface RunningAsmTask extends AsmTask {
  flavour: AsmFlavour
  /** The node that drives (and can cancel) the task: Valkey the source, Redis the target. */
  driver: string
  /** Slots of the task. */
  slots: number[]
  /** A Redis import that keeps failing (it retries forever until cancelled). */
  stuck: boolean
}

function slotsOf(ranges: string): number[] {
  try {
    return parseSlots(ranges.trim().split(/[\s,]+/).join(','))
  } catch {
    return []
  }
}

/** Every task not yet ended, once (the driver's report wins over the other end's copy). */
export async function runningAsmTasks(admin: ClusterReader, t: Topology): Promise<RunningAsmTask[]> {
  const nodes = primaries(t).filter((p) => p.reachable)
  const lists = await Promise.all(
    nodes.map(async (n): Promise<RunningAsmTask[]> => {
      const flavour = await admin.asmFlavour(n.id).catch(() => 'none' as const)
      if (flavour === 'none') return []
      const tasks = flavour === 'valkey' ? await admin.slotMigrations(n.id).catch(() => []) : await admin.migrationStatus(n.id).catch(() => [])
      return tasks
        .filter((x) => {
          const p = phaseOf(flavour, x.state, x.operation)
          return p !== 'success' && p !== 'failed' && p !== 'cancelled'
        })
        .map((x) => ({
          ...x,
          flavour,
          driver: flavour === 'valkey' ? x.source : x.target,
          slots: slotsOf(x.ranges),
          stuck: flavour === 'redis' && x.state === 'failed' && x.retries >= MAX_IMPORT_RETRIES,
          reportedBy: n.id,
        }))
    }),
  )
  const byId = new Map<string, RunningAsmTask & {reportedBy: string}>()
  for (const x of lists.flat() as Array<RunningAsmTask & {reportedBy: string}>) {
    const have = byId.get(x.id)
    if (!have || (have.reportedBy !== have.driver && x.reportedBy === x.driver)) byId.set(x.id, x)
  }
  return [...byId.values()].map(({reportedBy: _r, ...x}) => x).sort((a, b) => (a.slots[0] ?? 0) - (b.slots[0] ?? 0))
}

/** Cancel a task at the node that can (Valkey: every export of the source; Redis: this import). */
export async function cancelAsmTask(admin: ClusterAdmin, task: RunningAsmTask): Promise<void> {
  if (task.flavour === 'valkey') await admin.cancelSlotMigrations(task.driver)
  else await admin.migrationCancel(task.driver, task.id)
}
