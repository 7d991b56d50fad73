// `reshard add-node` and `reshard remove-node`: the commands sent are printed as they go (the
// command's membership callback); these views say how it ended.
import type {PlanRunDocument} from '../../operations/apply.js'
import type {AddNodeDocument} from '../../operations/add-node.js'
import type {RemoveNodeDocument} from '../../operations/remove-node.js'
import {nameWithAddress, shortId} from '../../topology/topology.js'
import {paint} from '../colour.js'
import type {View} from './view.js'

export const addNodeView: View<AddNodeDocument> = {
  human: (d) => {
    const role = d.replicaOf ? `a replica of ${d.replicaOf.name}` : 'an empty primary'
    if (d.dryRun) return paint.dim(`dry run: ${d.node.address} (${d.node.id.slice(0, 8)}) would join as ${role}; nothing was sent`)
    if (d.commands.length === 0) return paint.green(`${d.node.address} (${d.node.id.slice(0, 8)}) is already in the cluster as ${role}; nothing to do`)
    const next = d.replicaOf ? '' : `; give it slots with \`reshard rebalance --use-empty-primaries\``
    return paint.green(`added ${d.node.address} (${d.node.id.slice(0, 8)}) as ${role}: all ${d.knownBy} nodes agree (${(d.ms / 1000).toFixed(1)} s)${next}`)
  },
}

/** remove-node's document: the drain's run (when the node owned slots), then the forget. */
export type RemoveNodeRunDocument = RemoveNodeDocument & {drained?: PlanRunDocument}

// The drain's own closing line ("nothing to do", planRunView) cannot occur here: the drain plan is
// made from the topology in which the node owns every slot it moves, so no move is done before the run.
export const removeNodeView: View<RemoveNodeRunDocument> = {
  human: (d) => {
    const name = nameWithAddress(d.node.name, d.node.address, shortId(d.node.id))
    const moved = d.repointed.length > 0 ? `; ${d.repointed.length} replica(s) now follow ${d.repointed[0]!.to.name}` : ''
    const end = d.shutdown ? '; the node was shut down' : d.reset ? '; the node was reset (CLUSTER RESET SOFT) and is still running' : ''
    if (d.dryRun) return paint.dim(`dry run: ${name} would be forgotten by ${d.forgottenBy} node(s); nothing was sent`)
    return paint.green(`removed ${name}: forgotten by all ${d.forgottenBy} other node(s) in ${d.forgetMs} ms${moved}${end}`)
  },
}
