// Faults during a move, against a real 3-primary sandbox cluster and the built CLI:
// SIGKILL at several points of a multi-slot move (then `recover`), SIGINT (once: stop after the
// batch in flight; twice: exit at once), BUSYKEY with identical and with different values,
// --replace, 1M-element values, and a target that stops answering (SIGSTOP).
// After every fault: `recover` repairs, `check` exits 0, and every key is present, byte-identical,
// on the owner of its slot, with no copy left anywhere else (DESIGN.md §1, §4).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Redis} from 'ioredis'
import {hashTagForSlot} from '../../src/sandbox/keyslot.js'
import {readStatus} from '../../src/operations/status.js'
import {parseClusterNodes} from '../../src/topology/cluster-nodes.js'
import {runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'
import {keysMoved, slotState, spawnCli, type CliEvent, type LiveCli} from './helpers/cli-process.js'
import {auditKeys, clientsOf, closeClients, range, snapshotKeys, type KeySnapshot} from './helpers/key-audit.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function expectCode(r: CliResult, code: number, what: string): void {
  expect(r.code, `${what} exited ${r.code}, expected ${code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}`).toBe(code)
}

describe('faults during a move', () => {
  let cluster: TestCluster
  let clients: Map<string, Redis>
  let nodeA: TestNode
  let nodeB: TestNode
  const c = (n: TestNode) => clients.get(n.address)!
  /** What each scenario found in the cluster right after its fault, for the report. */
  const observed: Record<string, unknown> = {}

  /**
   * Healthy as `check` defines it (readStatus: the operation behind `check`), polled in-process
   * while gossip (or a FAIL flag being cleared) settles; then, when `cli`, `reshard check` itself exits 0.
   */
  async function expectCheckOk(what: string, withinMs = 15_000, cli = true): Promise<void> {
    const deadline = Date.now() + withinMs
    let problems: string[] = []
    for (;;) {
      const doc = await readStatus(cluster.connection)
      problems = doc.problems
      if (doc.healthy || Date.now() > deadline) break
      await sleep(300)
    }
    expect(problems, `status after ${what}`).toEqual([])
    if (cli) expectCode(await runCli(['check'], {env: cluster.env}), 0, `check after ${what}`)
  }

  async function expectNothingLost(snap: KeySnapshot, what: string): Promise<void> {
    const problems = await auditKeys(clients, cluster.state.host, snap)
    expect(problems, `${what}: ${problems.join('\n')}`).toEqual([])
  }

  /** Open slots (IMPORTING/MIGRATING) as every node's myself line says. */
  async function openMarks(): Promise<string[]> {
    const out: string[] = []
    for (const n of [nodeA, nodeB, ...cluster.nodes.filter((x) => x !== nodeA && x !== nodeB)]) {
      const me = parseClusterNodes(String(await c(n).call('CLUSTER', 'NODES'))).find((l) => l.myself)!
      for (const [s, peer] of me.migrating) out.push(`${n.hostname}: ${s} MIGRATING to ${peer.slice(0, 6)}`)
      for (const [s, peer] of me.importing) out.push(`${n.hostname}: ${s} IMPORTING from ${peer.slice(0, 6)}`)
    }
    return out.sort()
  }

  async function countOn(n: TestNode, slot: number): Promise<number> {
    return Number(await c(n).call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)))
  }

  /** The BUSYKEY cases' end state: nodeB serves `key` with `value`, nodeA holds nothing of the slot, the cluster is healthy and no key was lost. */
  async function expectMovedWith(slot: number, key: string, value: string, snap: KeySnapshot, what: string): Promise<void> {
    expect(await c(nodeB).call('GET', key)).toBe(value)
    expect(await countOn(nodeA, slot)).toBe(0)
    await expectCheckOk(what, 15_000, false)
    await expectNothingLost(snap, what)
  }

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 0})
    clients = await clientsOf(cluster)
    nodeA = cluster.nodes.find((n) => n.hostname === 'nodeA')!
    nodeB = cluster.nodes.find((n) => n.hostname === 'nodeB')!
    const owners = parseClusterNodes(String(await c(nodeA).call('CLUSTER', 'NODES')))
    // every slot used below is nodeA's at start
    expect(owners.find((l) => l.id === nodeA.id)!.slots).toEqual(expect.arrayContaining([100, 5000]))
    const seeds: Array<[number[], number, string]> = [
      [range(100, 104), 1000, 'imp'], // SIGKILL after IMPORTING
      [range(150, 152), 600, 'mig'], // SIGKILL after MIGRATING
      [[300], 10_000, 'mid'], // SIGKILL mid-stream (one large slot first ...)
      [range(301, 303), 300, 'mid2'], // (... then small slots never started)
      [range(400, 402), 900, 'fin'], // SIGKILL at finalizing
      [[500], 200, 'half'], // finalized on the target only (constructed)
      [[510], 100, 'imp-only'], // IMPORTING on the target only (constructed)
      [[600], 10_000, 'int'], // SIGINT once
      [range(601, 602), 200, 'int2'],
      [[700], 5000, 'int-twice'], // SIGINT twice
      [[800], 50, 'busy-same'],
      [[801], 50, 'busy-diff'],
      [[1000], 2500, 'down'], // target SIGSTOPped
      [[1001], 10_000, 'down2'],
    ]
    for (const [slots, count, prefix] of seeds) await cluster.seed({count, slots, prefix, mix: 'strings'})
  })

  afterAll(async () => {
    // never leave a stopped server behind
    try {
      if (nodeB) process.kill(nodeB.pid, 'SIGCONT')
    } catch {
      /* gone */
    }
    if (clients) closeClients(clients)
    await cluster?.stop()
    console.log(`[faults] observed states: ${JSON.stringify(observed, null, 1)}`)
  })

  it('SIGKILL at several points of multi-slot moves (after IMPORTING, after MIGRATING, mid-stream, at finalizing; and finalized on the target only) -> one `recover` -> nothing lost, check 0', async () => {
    const groups: Array<[string, number[], (e: CliEvent) => boolean]> = [
      ['kill-after-importing', range(100, 104), slotState('importing')],
      ['kill-after-migrating', range(150, 152), slotState('migrating')],
      ['kill-mid-stream', range(300, 303), keysMoved(300)],
      ['kill-at-finalizing', range(400, 402), slotState('finalizing')],
    ]
    const allSlots = [...groups.flatMap(([, s]) => s), 500, 510]
    const snap = await snapshotKeys(clients, allSlots)
    expect(snap.keys.size).toBe(1000 + 600 + 10_000 + 300 + 900 + 200 + 100)
    for (const [name, slots, at] of groups) {
      const cli = spawnCli(['move', `${slots[0]}-${slots.at(-1)}`, '--to', 'nodeB', '--yes', '--json', '--batch-size', '50'], {env: cluster.env})
      await cli.waitFor(at, 60_000)
      cli.signal('SIGKILL')
      const end = await cli.done
      expect(end.signal, `${name}: the CLI finished before it could be killed\n${end.stderr.slice(-2000)}`).toBe('SIGKILL')
      const marks = (await openMarks()).filter((l) => slots.some((s) => l.includes(` ${s} `)))
      observed[name] = {open: marks, lastEvent: cli.events.at(-1)?.type, lastState: cli.events.filter((e) => e.type === 'slot-state').at(-1)}
      if (name === 'kill-mid-stream') {
        const onSource = await countOn(nodeA, 300)
        const onTarget = await countOn(nodeB, 300)
        Object.assign(observed[name] as object, {onSource, onTarget})
        // really mid-stream: the slot is split between the two nodes
        expect(onSource).toBeGreaterThan(0)
        expect(onTarget).toBeGreaterThan(0)
      }
      // the point was hit: slots of the move were left open when the CLI died
      if (name !== 'kill-at-finalizing') expect(marks.length, name).toBeGreaterThan(0)
    }

    // Between finalize on the target and on the source, constructed with raw commands (timing cannot hit it reliably).
    const a = c(nodeA)
    const b = c(nodeB)
    await b.call('CLUSTER', 'SETSLOT', '500', 'IMPORTING', nodeA.id)
    await a.call('CLUSTER', 'SETSLOT', '500', 'MIGRATING', nodeB.id)
    const keys = (await a.callBuffer('CLUSTER', 'GETKEYSINSLOT', '500', '1000')) as Buffer[]
    expect(keys).toHaveLength(200)
    expect(String(await a.call('MIGRATE', nodeB.host, String(nodeB.port), '', '0', '5000', 'KEYS', ...keys))).toBe('OK')
    await b.call('CLUSTER', 'SETSLOT', '500', 'NODE', nodeB.id)
    expect((await openMarks()).filter((l) => l.includes(' 500 '))).toEqual([`nodeA: 500 MIGRATING to ${nodeB.id.slice(0, 6)}`])
    // Killed right after IMPORTING on the target, before MIGRATING on the source (constructed: the
    // CLI sends both in one breath, so a kill after the 'importing' event finds both set).
    await b.call('CLUSTER', 'SETSLOT', '510', 'IMPORTING', nodeA.id)

    const rec = await runCli(['recover', '--yes', '--json'], {env: cluster.env})
    expectCode(rec, 0, 'recover after the kills')
    const doc = JSON.parse(rec.stdout) as {ok: boolean; slots: Array<{slot: number; case: string; outcome: string}>}
    observed['recover-cases'] = doc.slots.map((x) => `${x.slot}:${x.case}:${x.outcome}`)
    expect(doc.ok).toBe(true)
    expect(doc.slots.find((x) => x.slot === 500)).toMatchObject({case: 'half-finalised-on-importing', outcome: 'fixed'})
    expect(doc.slots.find((x) => x.slot === 300)).toMatchObject({case: 'both-open', outcome: 'fixed'})
    expect(doc.slots.find((x) => x.slot === 510)).toMatchObject({case: 'half-init-importing-only', outcome: 'fixed'})
    expect(await openMarks()).toEqual([])
    await expectCheckOk('the kills')
    await expectNothingLost(snap, 'the kills')
    // forward recovery: the half-moved slots ended on the target
    expect(await countOn(nodeB, 300)).toBe(10_000)
    expect(await countOn(nodeB, 500)).toBe(200)
    expect(await countOn(nodeB, 510)).toBe(100)
  })

  it('SIGINT mid-move -> exit 5 naming the open slot; re-running the same command finishes it', async () => {
    const slots = range(600, 602)
    const snap = await snapshotKeys(clients, slots)
    const cli = spawnCli(['move', '600-602', '--to', 'nodeB', '--yes', '--json', '--batch-size', '50'], {env: cluster.env})
    await cli.waitFor(keysMoved(600))
    cli.signal('SIGINT')
    const end = await cli.done
    expectCode(end, 5, 'interrupted move')
    const out = end.stdout + end.stderr
    expect(out).toMatch(/SIGINT/)
    // --json: the result document names what is left open
    const doc = JSON.parse(end.stdout)
    expect(doc.ok).toBe(false)
    expect(doc.error.exitCode).toBe(5)
    const open = doc.error.open as Array<{slot: number}>
    observed['sigint-once'] = {error: doc.error, marks: await openMarks()}
    if (open.length > 0) {
      expect(open.map((o) => o.slot)).toContain(600)
      expect(doc.error.message).toMatch(/600/)
    } else {
      expect(doc.error.message).toMatch(/nothing|no slot/i)
    }
    // the cluster agrees with the message
    expect((await openMarks()).some((l) => l.includes(' 600 '))).toBe(open.length > 0)
    // re-run the very same command: it finishes the half-moved slot and moves the rest
    const again = await runCli(['move', '600-602', '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    expectCode(again, 0, 're-run after SIGINT')
    expect(JSON.parse(again.stdout)).toMatchObject({ok: true, open: []})
    for (const s of slots) expect(await countOn(nodeA, s)).toBe(0)
    expect(await countOn(nodeB, 600)).toBe(10_000)
    await expectCheckOk('sigint re-run')
    await expectNothingLost(snap, 'sigint re-run')
  })

  it('SIGINT twice -> exits at once (while the batch in flight is stuck) with exit 5 naming the open slot; recover finishes it', async () => {
    const snap = await snapshotKeys(clients, [700])
    const cli = spawnCli(['move', '700', '--to', 'nodeB', '--yes', '--json', '--batch-size', '50'], {env: cluster.env})
    await cli.waitFor(keysMoved(700))
    // The target stops answering, so the batch in flight cannot end: the first SIGINT waits for
    // it, the second must not (a server this test's cluster started; resumed well within cluster-node-timeout).
    process.kill(nodeB.pid, 'SIGSTOP')
    let end: Awaited<LiveCli['done']> | undefined
    let exitedWhileStuck = false
    try {
      cli.signal('SIGINT')
      await cli.waitForText(/stopping after the batch in flight/, 10_000)
      cli.signal('SIGINT')
      end = await Promise.race([cli.done, sleep(2500).then(() => undefined)])
      exitedWhileStuck = end !== undefined
    } finally {
      process.kill(nodeB.pid, 'SIGCONT')
    }
    end ??= await cli.done
    observed['sigint-twice'] = {exitedWhileStuck, messages: end.stderr.split('\n').filter((l) => l && !l.startsWith('{')), marks: await openMarks()}
    expect(exitedWhileStuck, 'the second SIGINT did not exit at once').toBe(true)
    expectCode(end, 5, 'move interrupted twice')
    expect(end.stderr).toMatch(/interrupted by SIGINT; slots left open: 700 \(1 slot, streaming\)/)
    expect(end.stderr).toMatch(/reshard recover/)
    const rec = await runCli(['recover', '--yes'], {env: cluster.env})
    expectCode(rec, 0, 'recover after double SIGINT')
    await expectCheckOk('double SIGINT', 15_000, false)
    await expectNothingLost(snap, 'double SIGINT')
  })

  /** Put a copy of `key` (slot `slot`, owned by nodeA) on nodeB, outside the slot's owner: identical (MIGRATE COPY) or with `value`. */
  async function plantOnTarget(slot: number, key: string, value?: string): Promise<void> {
    const a = c(nodeA)
    const b = c(nodeB)
    await b.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', nodeA.id)
    try {
      if (value === undefined) {
        expect(String(await a.call('MIGRATE', nodeB.host, String(nodeB.port), key, '0', '5000', 'COPY'))).toBe('OK')
      } else {
        const p = b.pipeline()
        p.call('ASKING')
        p.call('SET', key, value)
        const res = (await p.exec())!
        expect(res.map(([e]) => e)).toEqual([null, null])
      }
    } finally {
      await b.call('CLUSTER', 'SETSLOT', String(slot), 'STABLE')
    }
    expect(await countOn(nodeB, slot)).toBe(1)
  }

  it('BUSYKEY with an identical copy on the target: the move succeeds (REPLACE after comparing DUMPs)', async () => {
    const slot = 800
    const key = `busy-same:{${hashTagForSlot(slot)}}:0`
    expect(await c(nodeA).call('GET', key)).toBe('busy-same-value-0')
    await plantOnTarget(slot, key)
    const snap = await snapshotKeys(clients, [slot])
    // the snapshot holds the planted copy twice (one hex key): count what it should be after the move
    expect(snap.keys.size).toBe(50)
    const cli = spawnCli(['move', String(slot), '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    const end = await cli.done
    expectCode(end, 0, 'move over an identical copy')
    const retries = cli.events.filter((e) => e.type === 'batch-retry')
    observed['busykey-identical'] = retries
    expect(retries.some((e) => /BUSYKEY/.test(String(e.reason)))).toBe(true)
    await expectMovedWith(slot, key, 'busy-same-value-0', snap, 'busykey identical')
  })

  it('BUSYKEY with a different copy on the target: exit 5 naming the key, slot left open; --replace then completes it with the source value', async () => {
    const slot = 801
    const key = `busy-diff:{${hashTagForSlot(slot)}}:7`
    expect(await c(nodeA).call('GET', key)).toBe('busy-diff-value-7')
    const snap = await snapshotKeys(clients, [slot])
    await plantOnTarget(slot, key, 'a different value')
    const r = await runCli(['move', String(slot), '--to', 'nodeB', '--yes', '--json'], {env: cluster.env})
    expectCode(r, 5, 'move over a different copy')
    const doc = JSON.parse(r.stdout)
    observed['busykey-different'] = doc.error
    expect(doc.error.message).toContain(key)
    expect(doc.error.message).toMatch(/different/)
    expect(JSON.stringify(doc.error.open)).toContain(String(slot))
    // never overwritten silently: the target still has its own value, and the slot is open
    const p = c(nodeB).pipeline()
    p.call('ASKING')
    p.call('GET', key)
    expect((await p.exec())![1]![1]).toBe('a different value')
    expect((await openMarks()).filter((l) => l.includes(` ${slot} `))).toHaveLength(2)
    const status = await readStatus(cluster.connection)
    expect(status.healthy).toBe(false)
    expect(status.problems.join('\n')).toContain(`slot ${slot} is`)

    const again = await runCli(['move', String(slot), '--to', 'nodeB', '--yes', '--json', '--replace'], {env: cluster.env})
    expectCode(again, 0, 're-run with --replace')
    await expectMovedWith(slot, key, 'busy-diff-value-7', snap, 'busykey --replace')
  })

  it('a 1M-field hash and a 1M-element list move successfully', async () => {
    const slot = 900
    const tag = hashTagForSlot(slot)
    const hashKey = `big-hash:{${tag}}`
    const listKey = `big-list:{${tag}}`
    const a = c(nodeA)
    // 1000 commands of 1000 fields/elements each, pipelined
    for (let round = 0; round < 10; round++) {
      const p = a.pipeline()
      for (let i = round * 100; i < (round + 1) * 100; i++) {
        const h: string[] = []
        const l: string[] = []
        for (let j = 0; j < 1000; j++) {
          const n = i * 1000 + j
          h.push(`f${n}`, `v${n}`)
          l.push(`e${n}`)
        }
        p.call('HSET', hashKey, ...h)
        p.call('RPUSH', listKey, ...l)
      }
      const res = (await p.exec())!
      expect(res.filter(([e]) => e)).toEqual([])
    }
    expect(Number(await a.call('HLEN', hashKey))).toBe(1_000_000)
    expect(Number(await a.call('LLEN', listKey))).toBe(1_000_000)
    const cli = spawnCli(['move', String(slot), '--to', 'nodeB', '--yes', '--json'], {env: cluster.env, timeoutMs: 100_000})
    const end = await cli.done
    expectCode(end, 0, 'move of 1M-element keys')
    const special = cli.events.filter((e) => e.type === 'large-key' || e.type === 'batch-retry')
    observed['large-keys'] = {events: special, result: JSON.parse(end.stdout).keys}
    const b = c(nodeB)
    // Moving (and building) 1M-element values blocks the nodes for a while: on a loaded machine
    // the other nodes may flag them as failing and the cluster reports CLUSTERDOWN until that clears.
    const t0 = Date.now()
    let state = ''
    while (Date.now() - t0 < 40_000) {
      state = /cluster_state:(\w+)/.exec(String(await b.call('CLUSTER', 'INFO')))![1]!
      if (state === 'ok') break
      await sleep(500)
    }
    ;(observed['large-keys'] as Record<string, unknown>).clusterDownMs = Date.now() - t0
    expect(state).toBe('ok')
    expect(Number(await b.call('HLEN', hashKey))).toBe(1_000_000)
    expect(Number(await b.call('LLEN', listKey))).toBe(1_000_000)
    expect(await b.call('HGET', hashKey, 'f999999')).toBe('v999999')
    expect(await b.call('LINDEX', listKey, '-1')).toBe('e999999')
    expect(await countOn(nodeA, slot)).toBe(0)
    await b.call('UNLINK', hashKey, listKey)
  })

  it('a target that stops answering (SIGSTOP) -> the move stops cleanly with exit 5; after SIGCONT, recover -> check 0, nothing lost', async () => {
    const slots = [1000, 1001]
    const snap = await snapshotKeys(clients, slots)
    const cli = spawnCli(['move', '1000-1001', '--to', 'nodeB', '--yes', '--json', '--batch-size', '50', '--migrate-timeout', '500'], {env: cluster.env})
    let exitedWhileStopped = false
    let end: Awaited<LiveCli['done']>
    await cli.waitFor(keysMoved(1001))
    // a server this test's cluster started (cluster.nodes holds their PIDs)
    process.kill(nodeB.pid, 'SIGSTOP')
    const stoppedAt = Date.now()
    try {
      end = await Promise.race([cli.done, sleep(12_000).then(() => undefined)]).then((r) => r as Awaited<LiveCli['done']> | undefined) as Awaited<LiveCli['done']>
      exitedWhileStopped = end !== undefined
    } finally {
      process.kill(nodeB.pid, 'SIGCONT')
    }
    const stoppedMs = Date.now() - stoppedAt
    if (!exitedWhileStopped) end = await cli.done
    observed['target-unreachable'] = {exitedWhileStopped, stoppedMs, code: end!.code, error: end!.stdout.slice(0, 800), slot1000: cli.events.filter((e) => e.slot === 1000 && e.type === 'slot-state').map((e) => e.state)}
    // soft: the repair below is still checked when this fails
    expect.soft(exitedWhileStopped, `the CLI did not exit within 12 s of its target being stopped\nstderr: ${end!.stderr.slice(-2000)}`).toBe(true)
    expectCode(end!, 5, 'move with a stopped target')
    expect(end!.stdout).toMatch(/1001/)
    // wait for the target to answer again, then repair
    for (let i = 0; i < 50; i++) {
      try {
        await c(nodeB).ping()
        break
      } catch {
        await sleep(200)
      }
    }
    let rec: CliResult
    const deadline = Date.now() + 30_000
    for (;;) {
      rec = await runCli(['recover', '--yes', '--json'], {env: cluster.env})
      // a FAIL flag set while the node was stopped is cleared by gossip some seconds later
      if (rec.code === 0 || Date.now() > deadline) break
      await sleep(1000)
    }
    expectCode(rec, 0, 'recover after the target came back')
    await expectCheckOk('stopped target', 30_000)
    await expectNothingLost(snap, 'stopped target')
  })
})
