// Benchmark clusters: sandbox clusters on free loopback ports in a temp dir (no state file, so a
// sandbox the user started is never touched), plus the checks the benchmark runs after every
// move: who owns each slot, how many keys each primary holds in it, and whether all nodes agree.
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {findFreePortRange} from '../../dist/sandbox/ports.js'
import {isSandboxProcess} from '../../dist/sandbox/process.js'
import {addEmptyPrimary, SandboxPortBusyError, startSandbox, stopSandbox} from '../../dist/sandbox/sandbox.js'
import {seedKeys} from '../../dist/sandbox/seed.js'
import {parseClusterNodes} from '../../dist/topology/cluster-nodes.js'

export const HOST = '127.0.0.1'
const live = new Set()

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Last resort (process exit without cleanup): SIGTERM every node we started, checked by PID and port. */
export function emergencyStopAll() {
  for (const c of live) {
    for (const n of c.state.nodes) {
      try {
        if (isSandboxProcess(n.pid, n.port, c.state.redisServer)) process.kill(n.pid, 'SIGTERM')
      } catch {
        // gone
      }
    }
  }
  live.clear()
}

export async function stopAllClusters() {
  for (const c of [...live]) await c.stop()
}

let counter = 0

export class BenchCluster {
  /** Start `primaries` primaries (no replicas), slots spread evenly, under `tmpRoot`; `redisServer`: the binary (default: PATH). */
  static async start({primaries, tmpRoot, redisServer}) {
    let lastError
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await findFreePortRange(primaries + 4, {min: 20000, max: 50000})
      try {
        const {state} = await startSandbox({primaries, replicas: 0, port, redisServer, statePath: null, dir: join(tmpRoot, `cluster-${++counter}`)})
        const c = new BenchCluster(state)
        live.add(c)
        return c
      } catch (e) {
        lastError = e
        if (!(e instanceof SandboxPortBusyError)) throw e
      }
    }
    throw lastError
  }

  constructor(state) {
    this.state = state
    this.clients = new Map()
    /** Primaries in port order: [{port, id, address}] (index 0 owns the lowest slots). */
    this.nodes = state.nodes.map((n) => ({port: n.port, id: n.id, address: `${HOST}:${n.port}`, hostname: n.hostname}))
  }

  /** Start `k` more nodes and meet them in as empty primaries (no slots). */
  async addEmptyPrimaries(k) {
    for (let i = 0; i < k; i++) {
      const {node} = await addEmptyPrimary(this.state, {statePath: null})
      this.nodes.push({port: node.port, id: node.id, address: `${HOST}:${node.port}`, hostname: node.hostname})
    }
  }

  get seed() {
    return this.nodes[0].address
  }

  client(port) {
    let c = this.clients.get(port)
    if (!c) {
      c = new Redis({host: HOST, port, maxRetriesPerRequest: 1, protocol: 2, lazyConnect: false})
      c.on('error', () => {})
      this.clients.set(port, c)
    }
    return c
  }

  async seedKeys(opts) {
    return seedKeys(this.state, {mix: 'strings', prefix: 'bench', ...opts})
  }

  /** keys[slot][nodeIndex] = COUNTKEYSINSLOT on that primary. */
  async keyCounts(slots) {
    const out = new Map(slots.map((s) => [s, new Array(this.nodes.length).fill(0)]))
    await Promise.all(
      this.nodes.map(async (n, i) => {
        const pl = this.client(n.port).pipeline()
        for (const s of slots) pl.call('CLUSTER', 'COUNTKEYSINSLOT', s)
        const replies = await pl.exec()
        replies.forEach(([err, v], k) => {
          if (err) throw err
          out.get(slots[k])[i] = Number(v)
        })
      }),
    )
    return out
  }

  /**
   * Every node's view: '' when all report cluster_state:ok, agree on every slot owner, and no slot
   * is open (importing/migrating); otherwise why not. Also returns the agreed owners (slot -> id).
   */
  async settledProblem() {
    const views = []
    let owners
    for (const n of this.nodes) {
      const c = this.client(n.port)
      const info = String(await c.call('CLUSTER', 'INFO'))
      if (!/cluster_state:ok/.test(info)) return {problem: `${n.address} is not cluster_state:ok`}
      const lines = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')))
      const me = lines.find((l) => l.myself)
      if (me.migrating.size > 0 || me.importing.size > 0) return {problem: `${n.address} still has open slots`}
      const o = new Array(16384).fill(null)
      for (const l of lines) if (l.role === 'primary') for (const s of l.slots) o[s] = l.id
      views.push(o.join(','))
      owners ??= o
    }
    if (new Set(views).size > 1) return {problem: 'the nodes do not agree on the slot owners yet'}
    return {problem: '', owners}
  }

  /** Wait until settled (see settledProblem); returns the owners. */
  async waitSettled(timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const {problem, owners} = await this.settledProblem()
      if (!problem) return owners
      if (Date.now() > deadline) throw new Error(`cluster did not settle within ${timeoutMs} ms: ${problem}`)
      await sleep(50)
    }
  }

  /**
   * Check that every slot in `expected` (slot -> key count) is owned by `ownerOf(slot)` on every
   * node, that owner holds exactly that many keys in it, and no other primary holds any.
   * Returns a list of problems (empty = fine).
   */
  async verifySlots(expected, ownerOf) {
    const owners = await this.waitSettled()
    const slots = [...expected.keys()]
    const counts = await this.keyCounts(slots)
    const problems = []
    let total = 0
    for (const s of slots) {
      const want = ownerOf(s)
      if (owners[s] !== want) problems.push(`slot ${s} is owned by ${this.label(owners[s])}, expected ${this.label(want)}`)
      const per = counts.get(s)
      this.nodes.forEach((n, i) => {
        if (n.id === want) {
          total += per[i]
          if (per[i] !== expected.get(s)) problems.push(`slot ${s}: ${per[i]} keys on ${n.address}, expected ${expected.get(s)}`)
        } else if (per[i] !== 0) problems.push(`slot ${s}: ${per[i]} keys left on ${n.address}`)
      })
      if (problems.length > 10) break
    }
    return {problems, total, owners}
  }

  label(id) {
    const n = this.nodes.find((x) => x.id === id)
    return n ? `${n.address}` : String(id)
  }

  async stop() {
    if (!live.has(this)) return
    live.delete(this)
    for (const c of this.clients.values()) c.disconnect()
    this.clients.clear()
    await stopSandbox(this.state, {statePath: null}).catch(() => undefined)
  }
}
