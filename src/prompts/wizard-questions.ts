// The wizard's questions. Each returns an answer and touches no cluster (docs/architecture.md "Layers"): the
// command feeds them what it read, and validation re-asks with the reason.
import {confirm, input, number, select} from '@inquirer/prompts'
import {parseAddress} from '../cluster/connection.js'
import {parseNodeAddress} from '../operations/membership-wait.js'
import {ReshardError} from '../errors.js'
import {formatSlots, parseSlots} from '../topology/slot-set.js'

export interface NodeChoice {
  id: string
  hostname?: string
  address: string
  slots: number
  keys?: number
}

export type Task = 'move' | 'rebalance' | 'drain' | 'add-node' | 'remove-node' | 'recover' | 'quit'
export type SlotMode = 'count' | 'range' | 'list'
export type SlotOrder = 'fewest-keys' | 'lowest'

export function describeNode(n: NodeChoice): string {
  return `${(n.hostname ?? '-').padEnd(8)} ${n.address.padEnd(21)} ${String(n.slots).padStart(5)} slots  ${n.keys === undefined ? '?' : String(n.keys).padStart(8)} keys`
}

export async function askSeed(): Promise<string> {
  return input({
    message: 'Address of any node of the cluster (host:port):',
    default: '127.0.0.1:6379',
    validate: (v) => {
      try {
        parseAddress(v)
        return true
      } catch (e) {
        return e instanceof ReshardError ? e.message : 'give host:port'
      }
    },
  })
}

export async function askTask(openSlots: number): Promise<Task> {
  const choices: Array<{name: string; value: Task; description?: string}> = []
  if (openSlots > 0) {
    choices.push({name: `Recover ${openSlots} open slot(s) first (recommended)`, value: 'recover', description: 'finish half-moved slots so the cluster is healthy again'})
  }
  choices.push(
    {name: 'Move slots to another primary', value: 'move'},
    {name: 'Rebalance slots over all primaries', value: 'rebalance'},
    {name: 'Drain a primary (move all its slots away)', value: 'drain'},
    {name: 'Add a node (scale out)', value: 'add-node', description: 'a running, empty, cluster-enabled server joins as a primary or a replica'},
    {name: 'Remove a node (scale in)', value: 'remove-node', description: 'its slots move away first, then every node forgets it'},
  )
  if (openSlots === 0) choices.push({name: 'Recover open slots', value: 'recover', description: 'nothing is open right now'})
  choices.push({name: 'Quit', value: 'quit'})
  return select({message: 'What do you want to do?', choices})
}

export async function askNode(message: string, nodes: NodeChoice[], exclude: string[] = []): Promise<string> {
  const usable = nodes.filter((n) => !exclude.includes(n.id))
  return select({
    message,
    choices: usable.map((n) => ({name: describeNode(n), value: n.id})),
    pageSize: Math.min(12, usable.length),
  })
}

export async function askSlotMode(): Promise<SlotMode> {
  return select({
    message: 'Which slots?',
    choices: [
      {name: 'A number of slots (I pick them)', value: 'count' as const},
      {name: 'A range, e.g. 100-199', value: 'range' as const},
      {name: 'A list, e.g. 0-99,200,300-310', value: 'list' as const},
    ],
  })
}

export async function askSlotCount(max: number): Promise<number> {
  const n = await number({
    message: `How many slots (1-${max})?`,
    default: Math.min(max, 100),
    min: 1,
    max,
    required: true,
    validate: (v) => (v === undefined || !Number.isInteger(v) ? 'give a whole number' : v < 1 || v > max ? `between 1 and ${max}` : true),
  })
  return n!
}

export async function askSlotOrder(): Promise<SlotOrder> {
  return select({
    message: 'Which ones?',
    choices: [
      {name: 'Those with the fewest keys (fastest to move)', value: 'fewest-keys' as const},
      {name: 'The lowest slot numbers (keeps ranges compact)', value: 'lowest' as const},
    ],
  })
}

/** A slot expression; every slot must belong to the source (`owned`). */
export function validateSlotsOwned(text: string, owned: ReadonlySet<number>, mode: 'range' | 'list'): true | string {
  let slots: number[]
  try {
    slots = parseSlots(text)
  } catch (e) {
    return e instanceof ReshardError ? e.message : 'not a slot expression'
  }
  if (mode === 'range' && !/^\s*\d+\s*(-\s*\d+\s*)?$/.test(text)) return 'give one range, e.g. 100-199 (or choose "a list")'
  const foreign = slots.filter((s) => !owned.has(s))
  if (foreign.length > 0) return `the source does not own slot(s) ${formatSlots(foreign).slice(0, 60)}`
  return true
}

export async function askSlotExpression(mode: 'range' | 'list', owned: ReadonlySet<number>, example: string): Promise<number[]> {
  const text = await input({
    message: mode === 'range' ? `Slot range (e.g. ${example}):` : `Slots (e.g. ${example}):`,
    validate: (v) => validateSlotsOwned(v, owned, mode),
  })
  return parseSlots(text)
}

export async function askConfirm(message: string): Promise<boolean> {
  return confirm({message, default: false})
}

export async function askThreshold(): Promise<number> {
  const n = await number({message: 'Rebalance threshold in percent (0 = balance exactly):', default: 2, min: 0, max: 100, required: true})
  return n!
}

/** HOST:PORT of the node to add (validated like `reshard add-node`). */
export async function askNewNodeAddress(): Promise<string> {
  return input({message: 'Address of the new node (host:port, cluster-enabled, empty):', validate: validateNodeAddress})
}

export function validateNodeAddress(v: string): true | string {
  try {
    parseNodeAddress(v)
    return true
  } catch (e) {
    return e instanceof ReshardError ? e.message : 'give host:port'
  }
}

/** undefined: an empty primary; otherwise the id of the primary to replicate. */
export async function askNewNodeRole(primaries: NodeChoice[]): Promise<string | undefined> {
  const role = await select({
    message: 'The new node joins as:',
    choices: [
      {name: 'An empty primary (give it slots afterwards with a rebalance)', value: 'primary'},
      {name: 'A replica of a primary', value: 'replica'},
    ],
  })
  if (role === 'primary') return undefined
  return askNode('Replica of which primary?', primaries)
}
