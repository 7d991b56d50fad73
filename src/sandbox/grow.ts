// Growing a running sandbox: one more empty primary met into it, or a bare node for
// `reshard add-node` to meet.
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import {connectNode} from '../cluster/connection.js'
import {PreconditionError} from '../errors.js'
import {parseClusterNodes} from '../topology/cluster-nodes.js'
import {DEFAULT_TIMEOUT_MS, type ExpectedNode, waitForConvergence} from './convergence.js'
import {nodeHostname} from './node-config.js'
import {SandboxPortBusyError, spawnNode, waitListening} from './node-spawn.js'
import {busyNodePorts, findFreeNodePort} from './ports.js'
import {isSandboxProcess, waitForExit} from './process.js'
import {sandboxConnection} from './sandbox-connection.js'
import {sandboxStatePath, type SandboxNodeState, type SandboxState, writeSandboxState} from './state.js'

export interface AddPrimaryOptions {
  /** Port for the new node (default: the first free port after the highest sandbox port). */
  port?: number
  /** The state file to update: undefined = the default, null = none. */
  statePath?: string | null
  timeoutMs?: number
}

/**
 * Start one more node, meet it into the running sandbox as an EMPTY primary (no slots), and
 * wait until every node knows it and all agree. `state.nodes` gets the new node appended.
 */
export async function addEmptyPrimary(state: SandboxState, opts: AddPrimaryOptions = {}): Promise<{state: SandboxState; node: SandboxNodeState}> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  const alive = state.nodes.filter((n) => isSandboxProcess(n.pid, n.port, state.redisServer))
  if (alive.length !== state.nodes.length) {
    throw new PreconditionError('sandbox_not_running', 'not every sandbox node is running', 'start a new sandbox with `reshard sandbox up`')
  }
  const port = opts.port ?? (await findFreeNodePort(Math.max(...state.nodes.map((n) => n.port)) + 1, state.host))
  if (opts.port !== undefined && (await busyNodePorts([port], state.host)).length > 0) throw new SandboxPortBusyError([port])
  const hostname = nodeHostname(state.nodes.length)
  const sp = spawnNode(state.redisServer, {port, hostname, dir: join(state.dataDir, `node-${port}`)}, state)
  sp.node.role = 'primary'
  const statePath = opts.statePath === undefined ? sandboxStatePath(state.name) : opts.statePath
  state.nodes.push(sp.node)
  if (statePath) writeSandboxState(state, statePath)
  const clients = new Map<number, Redis>()
  try {
    await waitListening(sp, deadline, Boolean(state.tls), state.password)
    const conn = sandboxConnection(state)
    await Promise.all(
      state.nodes.map(async (n) => {
        clients.set(n.port, await connectNode(conn, state.host, n.port))
      }),
    )
    const newClient = clients.get(port)!
    sp.node.id = String(await newClient.call('CLUSTER', 'MYID'))
    await clients.get(state.nodes[0]!.port)!.call('CLUSTER', 'MEET', state.host, port)
    // Expect the current roles (they may have changed since start: ask the cluster).
    const lines = parseClusterNodes(String(await clients.get(state.nodes[0]!.port)!.call('CLUSTER', 'NODES')))
    const portOfId = new Map(lines.map((l) => [l.id, l.port]))
    const expected: ExpectedNode[] = state.nodes.map((n) => {
      if (n.port === port) return {port, role: 'primary'}
      const l = lines.find((x) => x.port === n.port)
      return l?.role === 'replica' ? {port: n.port, role: 'replica', primaryPort: portOfId.get(l.primaryId ?? '')} : {port: n.port, role: 'primary'}
    })
    await waitForConvergence(clients, expected, Math.max(1000, deadline - Date.now()))
    if (statePath) writeSandboxState(state, statePath)
    return {state, node: sp.node}
  } catch (e) {
    // Leave the sandbox as it was: stop the new node and forget it.
    if (isSandboxProcess(sp.node.pid, port, state.redisServer)) process.kill(sp.node.pid, 'SIGTERM')
    await waitForExit([sp.node.pid], 3000)
    state.nodes = state.nodes.filter((n) => n !== sp.node)
    rmSync(sp.node.dir, {recursive: true, force: true})
    if (statePath) writeSandboxState(state, statePath)
    throw e
  } finally {
    for (const c of clients.values()) c.disconnect()
  }
}

/**
 * Start one more cluster-enabled node with the sandbox's settings (password, TLS), NOT met into
 * the cluster: a bare node for `reshard add-node`. `state.nodes` gets it appended (so stopping
 * the sandbox stops it too); the caller meets it.
 */
export async function startBareNode(state: SandboxState, opts: AddPrimaryOptions = {}): Promise<SandboxNodeState> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const port = opts.port ?? (await findFreeNodePort(Math.max(...state.nodes.map((n) => n.port)) + 1, state.host))
  if ((await busyNodePorts([port], state.host)).length > 0) throw new SandboxPortBusyError([port])
  const sp = spawnNode(state.redisServer, {port, hostname: nodeHostname(state.nodes.length), dir: join(state.dataDir, `node-${port}`)}, state)
  state.nodes.push(sp.node)
  const statePath = opts.statePath === undefined ? sandboxStatePath(state.name) : opts.statePath
  if (statePath) writeSandboxState(state, statePath)
  await waitListening(sp, deadline, Boolean(state.tls), state.password)
  return sp.node
}
