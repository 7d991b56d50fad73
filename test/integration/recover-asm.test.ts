// `reshard recover` and a stuck atomic slot migration (servers/ASM.md, Redis 8.4+ flavour): while
// a slot of the source is in legacy MIGRATING, a `CLUSTER MIGRATION IMPORT` is created but fails
// ("all slot states must be STABLE") and the target retries it forever. recover must cancel the
// task on its target and repair the legacy slot, leaving `check` clean; --dry-run shows the same
// steps and cancels nothing. Runs on the Redis 8 build from RESHARD_TEST_SERVERS (redis-8=PATH)
// or ../shared/servers; skipped with a message when it is absent.
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT, runCli, startTestCluster, type CliResult, type TestCluster, type TestNode} from './helpers/cluster.js'
import {openMarks, ownerInView, rawClient, setSlot, waitUntil} from './helpers/half-migrated.js'

function redis8(): string | undefined {
  const given = new Map((process.env.RESHARD_TEST_SERVERS ?? '').split(',').filter(Boolean).map((x) => x.split('=') as [string, string]))
  const candidates = [given.get('redis-8'), ...[join(REPO_ROOT, '..', 'shared', 'servers'), '/work/shared/servers'].map((r) => join(r, 'redis-8-unstable', 'redis-server'))]
  return candidates.find((p): p is string => Boolean(p) && existsSync(p!))
}

const SERVER = redis8()
if (!SERVER) console.log('recover-asm.test: skipped: no Redis 8 server with atomic slot migration (set RESHARD_TEST_SERVERS=redis-8=PATH)')

function explain(r: CliResult, what: string): string {
  return `${what} exited ${r.code}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-3000)}`
}

/** CLUSTER MIGRATION STATUS ID as a flat field map (RESP2: alternating names and values). */
async function taskStatus(c: Redis, id: string): Promise<Record<string, string>> {
  const rows = (await c.call('CLUSTER', 'MIGRATION', 'STATUS', 'ID', id)) as unknown[][]
  const row = rows[0] ?? []
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < row.length; i += 2) out[String(row[i])] = String(row[i + 1])
  return out
}

interface RecoverDoc {
  ok: boolean
  dryRun: boolean
  slots: Array<{slot: number; case: string; outcome: string; ownerId?: string; steps: string[]}>
  tasks: Array<{id: string; flavour: string; outcome: string; slots: string; reason: string}>
}

describe.skipIf(!SERVER)('recover cancels a stuck atomic slot migration (Redis 8)', () => {
  let cluster: TestCluster
  let A: TestNode
  let B: TestNode
  let C: TestNode
  const clients = new Map<string, Redis>()
  const cl = (n: TestNode) => clients.get(n.id)!

  beforeAll(async () => {
    cluster = await startTestCluster({primaries: 3, replicas: 0, keys: 2000, redisServer: SERVER})
    ;[A, B, C] = ['nodeA', 'nodeB', 'nodeC'].map((h) => cluster.nodes.find((n) => n.hostname === h)!) as [TestNode, TestNode, TestNode]
    for (const n of cluster.nodes) clients.set(n.id, rawClient(n.port))
  }, 90_000)

  afterAll(async () => {
    for (const c of clients.values()) c.disconnect()
    await cluster?.stop()
  })

  it('a failed import that retries forever is cancelled on its target, the legacy slot repaired, check clean', async () => {
    // slots 0-99 and 200 are nodeA's: 200 half-opened by hand (legacy), then nodeC imports 0-99
    const legacy = 200
    await setSlot(cl(A), legacy, 'MIGRATING', B.id)
    const id = String(await cl(C).call('CLUSTER', 'MIGRATION', 'IMPORT', '0', '99'))
    await waitUntil('the import fails and keeps retrying', async () => {
      const s = await taskStatus(cl(C), id)
      return s.state === 'failed' && Number(s.retries) >= 3
    }, 30_000, 250)
    const stuck = await taskStatus(cl(C), id)
    expect(stuck.last_error).toMatch(/STABLE/)
    const check = await runCli(['check'], {env: cluster.env})
    expect(check.code, explain(check, 'check')).toBe(3)

    // the dry run lists the cancel and the repair, and changes nothing: the task keeps retrying
    const dry = await runCli(['recover', '--dry-run', '--json'], {env: cluster.env})
    expect(dry.code, explain(dry, 'recover --dry-run')).toBe(0)
    const dryDoc = JSON.parse(dry.stdout) as RecoverDoc
    expect(dryDoc.tasks).toEqual([expect.objectContaining({id, flavour: 'redis', outcome: 'dry-run', slots: '0-99'})])
    expect(dryDoc.slots.map((s) => [s.slot, s.case, s.outcome])).toEqual([[legacy, 'half-init-migrating-only', 'dry-run']])
    expect(dry.stderr).toContain(`CLUSTER MIGRATION CANCEL ID ${id}`)
    expect((await taskStatus(cl(C), id)).state).toBe('failed')
    expect(await openMarks(cl(A), legacy)).toEqual([`migrating->${B.id}`])

    const r = await runCli(['recover', '--yes', '--json'], {env: cluster.env, timeoutMs: 60_000})
    expect(r.code, explain(r, 'recover --yes')).toBe(0)
    const doc = JSON.parse(r.stdout) as RecoverDoc
    expect(doc.tasks).toEqual([expect.objectContaining({id, flavour: 'redis', outcome: 'cancelled', slots: '0-99', reason: expect.stringMatching(/retry forever/)})])
    expect(doc.slots.map((s) => [s.slot, s.case, s.outcome, s.ownerId])).toEqual([[legacy, 'half-init-migrating-only', 'fixed', B.id]])
    // the real run took exactly the steps the dry run showed
    expect(doc.slots[0]!.steps).toEqual(dryDoc.slots[0]!.steps)
    expect((await taskStatus(cl(C), id)).state).toBe('canceled')

    // the cancelled import left slots 0-99 on nodeA, and `check` is clean
    let after = await runCli(['check'], {env: cluster.env})
    for (let i = 0; i < 40 && after.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 250))
      after = await runCli(['check'], {env: cluster.env})
    }
    expect(after.code, explain(after, 'check after recover')).toBe(0)
    for (const n of [A, B, C]) expect([await ownerInView(cl(n), 0), await ownerInView(cl(n), 99)]).toEqual([A.id, A.id])
  }, 120_000)
})
