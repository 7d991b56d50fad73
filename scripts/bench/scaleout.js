// The scale-out dataset of `npm run bench -- --server PATH`: 12 primaries holding keys over every
// slot, 4 empty primaries added; each timed run spreads slots onto the empty ones (reshard
// rebalance --use-empty-primaries, default and --mechanism legacy; the cli's --cluster rebalance
// --cluster-use-empty-masters, with --cluster-use-atomic-slot-migration on Valkey 9). After each
// run: verified (every key on the owner of its slot, all nodes agree, `check` healthy), then the
// original layout is restored, untimed, with reshard move, so every run starts from the same data.
import {readFlavour} from '../../dist/cluster/asm-commands.js'
import {formatSlots} from '../../dist/topology/slot-set.js'
import {sleep} from '../bench-lib/cluster.js'
import {fmtNum} from '../bench-lib/report.js'
import {BenchCluster} from '../bench-lib/cluster.js'
import {loadavg} from 'node:os'
import {spawnSync} from 'node:child_process'
import {rebalanceCommand, toolsFor} from './tools.js'

/** '' when every primary holds exactly the keys of the slots it owns, `total` in all; else why not. */
async function keyProblem(c, owners, total) {
  let sum = 0
  for (const n of c.nodes) {
    const mine = []
    for (let s = 0; s < 16384; s++) if (owners[s] === n.id) mine.push(s)
    const client = c.client(n.port)
    const pl = client.pipeline()
    for (const s of mine) pl.call('CLUSTER', 'COUNTKEYSINSLOT', s)
    const replies = mine.length ? await pl.exec() : []
    const owned = replies.reduce((a, [err, v]) => (err ? a : a + Number(v)), 0)
    const size = Number(await client.call('DBSIZE'))
    if (size !== owned) return `${n.address} holds ${size} keys, ${owned} of them in slots it owns`
    sum += owned
  }
  return sum === total ? '' : `the primaries hold ${sum} keys, expected ${total}`
}

async function verify(c, total, newIds, what, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const owners = await c.waitSettled(30_000)
    let problem = await keyProblem(c, owners, total)
    if (!problem && newIds) {
      const empty = newIds.filter((id) => !owners.includes(id))
      if (empty.length) problem = `${empty.length} added primaries own no slot`
    }
    if (!problem) return owners
    if (Date.now() > deadline) throw new Error(`verification failed after ${what}: ${problem}`)
    await sleep(300)
  }
}

/** Move every slot back to its original owner (untimed), one reshard move per owner. */
async function restore(ctx, c, original, label) {
  const now = await c.waitSettled(30_000)
  const back = new Map()
  for (let s = 0; s < 16384; s++) {
    if (now[s] === original[s]) continue
    let a = back.get(original[s])
    if (!a) back.set(original[s], (a = []))
    a.push(s)
  }
  for (const [owner, slots] of back) {
    await c.waitSettled(30_000)
    await ctx.run(`${label}-restore`, [process.execPath, [ctx.bin, 'move', formatSlots(slots), '--to', owner, '--yes', '-q', '-c', c.seed]])
  }
}

export async function scaleOutDataset(ctx, spec, rounds) {
  const name = 'scaleout'
  const desc = `${spec.primaries} primaries with ${fmtNum(spec.keys)} small keys over all slots, + ${spec.added} empty primaries: rebalance onto them`
  const c = await BenchCluster.start({primaries: spec.primaries, tmpRoot: ctx.tmpRoot, redisServer: ctx.server})
  try {
    const flavour = await readFlavour(c.client(c.nodes[0].port))
    // Redis 8: its cli has no atomic option, and its one-liner moves one source's range per task:
    // a rebalance by hand is not a one-liner, so no server-ASM competitor here.
    // Valkey 9: its cli's legacy rebalance of 4096 slots takes many minutes on a busy 2-core
    // machine and says nothing the move datasets do not; its atomic rebalance is the competitor.
    const tools = toolsFor('rebalance', {flavour, cli: ctx.cli, cliAsm: ctx.cliAsm}).filter((t) => !(ctx.cliAsm && t.id === 'cli'))
    ctx.progress(`\n== ${name}: ${desc}; atomic flavour: ${flavour}; ${rounds} round(s) of: ${tools.map((t) => t.id).join(', ')}`)
    await c.waitSettled(30_000)
    await c.addEmptyPrimaries(spec.added)
    // restoring the layout empties the added primaries again: they must stay primaries (by
    // default a primary that loses its last slot turns into a replica of the node that took it)
    for (const n of c.nodes) await c.client(n.port).call('CONFIG', 'SET', 'cluster-allow-replica-migration', 'no')
    const newIds = c.nodes.slice(spec.primaries).map((n) => n.id)
    await c.waitSettled(30_000)
    const t0 = Date.now()
    await c.seedKeys({count: spec.keys})
    const original = await verify(c, spec.keys, undefined, 'seeding')
    ctx.progress(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const ds = {name, description: desc, flavour, tools: tools.map(({id, name: n, asm}) => ({id, name: n, asm: Boolean(asm)})), runs: [], loads: []}
    for (let r = 0; r < rounds; r++) {
      ds.loads.push((spawnSync('uptime', {encoding: 'utf8'}).stdout ?? '').trim())
      const order = tools.map((_, i) => tools[(i + r) % tools.length])
      for (const tool of order) {
        await c.waitSettled(30_000)
        const load = loadavg()[0]
        const res = await ctx.run(`${name}-${tool.id}-r${r + 1}`, rebalanceCommand(tool, ctx, c.seed))
        const after = await verify(c, spec.keys, newIds, `${tool.name} (round ${r + 1})`)
        await ctx.healthy(c)
        const moved = after.filter((id, s) => id !== original[s]).length
        ds.runs.push({tool: tool.id, round: r + 1, ms: res.ms, cpuS: res.cpuS, load1: load, slotsMoved: moved})
        ctx.progress(`  [${r + 1}/${rounds}] ${tool.name.padEnd(62)} ${(res.ms / 1000).toFixed(2).padStart(7)} s  CPU ${res.cpuS?.toFixed(2) ?? '—'} s  (${moved} slots, load ${load.toFixed(1)})`)
        await restore(ctx, c, original, `${name}-${tool.id}-r${r + 1}`)
        const back = await verify(c, spec.keys, undefined, 'restoring the layout')
        if (back.some((id, s) => id !== original[s])) throw new Error('restoring the layout left slots elsewhere')
      }
    }
    return ds
  } finally {
    await c.stop()
  }
}
