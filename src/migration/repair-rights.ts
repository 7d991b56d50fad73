// PURE. The ACL rights a list of repair steps needs, node by node (README "Permissions"): the
// probes rights.ts runs before the first change, picked for the commands each step sends.
import {ASM_CANCEL_PROBE, OTHER_PROBES, ProbePlan, SOURCE_PROBES, TARGET_PROBES, type RightProbe} from '../cluster/rights.js'
import {primaries, type Topology} from '../topology/topology.js'
import type {RepairStep} from './repair-steps.js'

const byRight = (list: readonly RightProbe[], ...rights: string[]): RightProbe[] => list.filter((p) => rights.includes(p.right))

const SETSLOT = byRight(OTHER_PROBES, '+cluster|setslot')
const COUNT = byRight(SOURCE_PROBES, '+cluster|countkeysinslot')
const READ_COPIES = byRight(SOURCE_PROBES, '+cluster|getkeysinslot', '+dump', '+asking')
const MIGRATE_FROM = byRight(SOURCE_PROBES, '+cluster|countkeysinslot', '+cluster|getkeysinslot', '+migrate', '+dump', '+asking')
const MIGRATE_TO = byRight(TARGET_PROBES, '+restore-asking', '+select', '+dump', '+asking')

/** node id -> the probes of every command the steps send there (each right once). */
export function repairProbes(steps: readonly RepairStep[], t: Topology): Map<string, RightProbe[]> {
  const plan = new ProbePlan()
  const add = (id: string, probes: readonly RightProbe[]) => plan.add(id, probes)
  for (const s of steps) {
    switch (s.kind) {
      case 'setslot':
        add(s.node, SETSLOT)
        break
      case 'announce-owner':
        for (const n of s.nodes) add(n, SETSLOT)
        break
      case 'compare-copies':
        for (const n of [...s.holders, s.keeper]) add(n, READ_COPIES)
        break
      case 'migrate-keys':
        add(s.from, MIGRATE_FROM)
        add(s.to, MIGRATE_TO)
        break
      case 'expect-no-keys':
        for (const n of s.nodes) add(n, COUNT)
        break
      case 'move-slot':
        add(s.from, SOURCE_PROBES)
        add(s.to, TARGET_PROBES)
        for (const p of primaries(t).filter((x) => x.reachable)) add(p.id, OTHER_PROBES)
        break
      case 'cancel-asm-task':
        // Valkey's CLUSTER CANCELSLOTMIGRATIONS takes no argument that would make it do nothing
        // (and its arity is checked before the ACL): it cannot be probed, its refusal is reported when sent.
        if (s.flavour === 'redis') add(s.node, [ASM_CANCEL_PROBE])
        break
      case 'wait-owner':
      case 'verify':
        break
    }
  }
  return plan
}
