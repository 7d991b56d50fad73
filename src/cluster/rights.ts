// Preflight of permissions (README "Permissions"): before the first change, prove that the user
// may run every command the run will send, on the node it will send it to. Each probe is the real
// command with arguments that make it do nothing: Redis checks ACL rights before it looks at the
// arguments or at the slot (a refused command answers NOPERM; an allowed one answers an argument
// error, MOVED, NOKEY or nil, all without a side effect). CLUSTER BUMPEPOCH cannot be probed so
// (the server checks its arity before the ACL): it is listed in the README and needed only when a
// target did not end finalization with the highest epoch.
import {PreconditionError} from '../errors.js'
import {nameOf, nodeById, type Topology} from '../topology/topology.js'
import {DEFAULT_TIMEOUT_MS} from './connection.js'
import {permissionError} from './discovery.js'
import type {RedisClusterAdmin} from './redis-admin.js'
import {within} from './timeout.js'

const PROBE_KEY = 'reshard:permission-probe'

export interface RightProbe {
  /** The ACL right, as `ACL SETUSER` spells it. */
  right: string
  /** What the run needs it for. */
  why: string
  args: string[]
}

/** On a source: list, count, hand out and close its slots, and MIGRATE keys away. */
export const SOURCE_PROBES: RightProbe[] = [
  {right: '+cluster|countkeysinslot', why: 'count the keys of a slot', args: ['CLUSTER', 'COUNTKEYSINSLOT', '0']},
  {right: '+cluster|getkeysinslot', why: 'list the keys of a slot', args: ['CLUSTER', 'GETKEYSINSLOT', '0', '0']},
  {right: '+cluster|setslot', why: 'open and finalize slots', args: ['CLUSTER', 'SETSLOT', '99999', 'STABLE']},
  // a missing key: +NOKEY before any connection to the target
  {right: '+migrate', why: 'move keys to the target', args: ['MIGRATE', '127.0.0.1', '1', PROBE_KEY, '0', '1']},
  {right: '+dump', why: 'compare two copies of a key (BUSYKEY)', args: ['DUMP', PROBE_KEY]},
  {right: '+asking', why: 'read a key of an importing slot', args: ['ASKING']},
  {right: '+cluster|info', why: 'read config epochs at finalization', args: ['CLUSTER', 'INFO']},
]

/** On a target: what MIGRATE sends there as the same user, and SETSLOT. */
export const TARGET_PROBES: RightProbe[] = [
  {right: '+cluster|setslot', why: 'open and finalize slots', args: ['CLUSTER', 'SETSLOT', '99999', 'STABLE']},
  {right: '+cluster|countkeysinslot', why: 'count the keys that arrived', args: ['CLUSTER', 'COUNTKEYSINSLOT', '0']},
  // a payload that is not a DUMP: refused after the ACL check, nothing restored
  {right: '+restore-asking', why: "MIGRATE's RESTORE-ASKING on the target", args: ['RESTORE-ASKING', PROBE_KEY, '0', 'not-a-dump-payload']},
  {right: '+select', why: "MIGRATE's SELECT on the target", args: ['SELECT', '0']},
  {right: '+dump', why: 'compare two copies of a key (BUSYKEY)', args: ['DUMP', PROBE_KEY]},
  {right: '+asking', why: 'read a key of an importing slot', args: ['ASKING']},
  {right: '+cluster|info', why: 'read config epochs at finalization', args: ['CLUSTER', 'INFO']},
]

/** Every other primary learns the new owner. */
export const OTHER_PROBES: RightProbe[] = [
  {right: '+cluster|setslot', why: 'tell every primary the new owner', args: ['CLUSTER', 'SETSLOT', '99999', 'STABLE']},
  {right: '+cluster|info', why: 'read config epochs at finalization', args: ['CLUSTER', 'INFO']},
]

/** Whether a reply error is a command-level refusal (a key outside the user's patterns is not one: the probe key is ours). */
export function isCommandRefusal(message: string): boolean {
  return /^NOPERM/.test(message) && !/access (one of )?the keys|key/i.test(message.replace(/run the '[^']+' command/, ''))
}

/** node id -> the probes to run there, each right once per node, in the order first added. */
export class ProbePlan extends Map<string, RightProbe[]> {
  add(id: string, probes: readonly RightProbe[]): void {
    const have = this.get(id) ?? []
    for (const p of probes) if (!have.some((h) => h.right === p.right)) have.push(p)
    this.set(id, have)
  }
}

/** Throws exit 3 naming the first right the user lacks on a node the run will touch. */
export async function proveRights(admin: RedisClusterAdmin, t: Topology, pairs: ReadonlyArray<{from: string; to: string}>): Promise<void> {
  const plan = new ProbePlan()
  const add = (id: string, probes: readonly RightProbe[]) => plan.add(id, probes)
  for (const p of pairs) {
    add(p.from, SOURCE_PROBES)
    add(p.to, TARGET_PROBES)
  }
  if (pairs.length > 0) for (const n of t.nodes) if (n.role === 'primary' && n.reachable && !plan.has(n.id)) add(n.id, OTHER_PROBES)
  await proveProbes(admin, t, plan)
}

/** Redis 8 atomic migration: cancel a task on its target (an unknown id cancels nothing). */
export const ASM_CANCEL_PROBE: RightProbe = {right: '+cluster|migration', why: 'cancel an atomic slot migration task', args: ['CLUSTER', 'MIGRATION', 'CANCEL', 'ID', 'reshard-permission-probe']}

/** Throws exit 3 naming the first probe of `plan` (node id -> probes) the user may not run. */
export async function proveProbes(admin: RedisClusterAdmin, t: Topology, plan: ReadonlyMap<string, readonly RightProbe[]>): Promise<void> {
  const timeoutMs = admin.conn.timeoutMs ?? DEFAULT_TIMEOUT_MS
  await Promise.all(
    [...plan].map(async ([id, probes]) => {
      const n = nodeById(t, id)
      if (!n) return
      const c = await admin.pool.get(n.address)
      // all probes of a node at once (one round trip, not one per probe: ~0.3 s of a move's
      // preflight on a busy machine); the first refusal in probe order is reported, as before
      const errors = await Promise.all(probes.map((p) => within(c.call(p.args[0]!, ...p.args.slice(1)), timeoutMs, n.address).then(() => undefined, (e: unknown) => e as Error)))
      for (const [i, p] of probes.entries()) {
        const m = errors[i]?.message ?? ''
        if (!isCommandRefusal(m)) continue
        const base = permissionError(n.address, m)
        throw new PreconditionError(
          'permission',
          `${nameOf(t, id)} (${n.address}): the user may not run ${p.args[0] === 'CLUSTER' ? `CLUSTER ${p.args[1]}` : p.args[0]}, needed to ${p.why} (grant ${p.right}); nothing was changed`,
          base.hint,
          {right: p.right, node: n.address},
        )
      }
    }),
  )
}
