// `npm run bench -- --server PATH`: on one server build, in ONE run, reshard's default mechanism
// against --mechanism legacy and against the server's own tools (its cli's `--cluster reshard` /
// `rebalance`, with --cluster-use-atomic-slot-migration on Valkey 9; on Redis 8 the IMPORT +
// STATUS one-liner). Competitors alternate within each round (the order rotated per round), every
// run is verified (untimed), the machine's `uptime` load is recorded per round, and medians are
// reported as a markdown table with the issue 10 targets: default ≤ 1.3× the server's own atomic
// tool, and ≥ 3× faster than --mechanism legacy.
import {spawnSync} from 'node:child_process'
import {accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {readFlavour} from '../../dist/cluster/asm-commands.js'
import {readStatus} from '../../dist/operations/status.js'
import {sandboxConnection} from '../../dist/sandbox/sandbox.js'
import {BenchCluster, sleep, stopAllClusters} from '../bench-lib/cluster.js'
import {tail, timedRun} from '../bench-lib/proc.js'
import {installBenchSignals} from '../bench-lib/signals.js'
import {fmtNum, markdownTable, median} from '../bench-lib/report.js'
import {scaleOutDataset} from './scaleout.js'
import {cliHasAsm, cliNextTo, moveCommand, toolsFor, versionOf} from './tools.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SERVER_DATASETS = ['slots100', 'slots1000', 'scaleout']

const SIZES = {
  full: {slots100: {keys: 1_000_000, slots: 100}, slots1000: {keys: 100_000, slots: 1000}, scaleout: {primaries: 12, added: 4, keys: 200_000}},
  short: {slots100: {keys: 50_000, slots: 100}, slots1000: {keys: 10_000, slots: 1000}, scaleout: {primaries: 12, added: 4, keys: 40_000}},
}

/** GNU time, for the CPU seconds of each run (optional). */
const TIME = (() => {
  try {
    accessSync('/usr/bin/time', constants.X_OK)
    return '/usr/bin/time'
  } catch {
    return undefined
  }
})()
const uptime = () => (spawnSync('uptime', {encoding: 'utf8'}).stdout ?? '').trim()
const load1 = () => loadavg()[0]

/** The shared run context: paths, env, logs, interrupt flag. */
function makeContext(o) {
  const server = resolve(o.server)
  const cli = cliNextTo(server)
  if (!cli) throw new Error(`no valkey-cli, kv-cli or redis-cli next to ${server}`)
  const tmpRoot = mkdtempSync(join(tmpdir(), 'reshard-bench-'))
  const logDir = join(tmpRoot, 'logs')
  mkdirSync(logDir)
  const env = {...process.env, RESHARD_SANDBOX_STATE: join(tmpRoot, 'no-sandbox.json'), NO_COLOR: '1'}
  for (const k of ['RESHARD_CLUSTER', 'REDISCLI_AUTH', 'FORCE_COLOR']) delete env[k]
  let seq = 0
  const ctx = {
    server,
    cli,
    cliAsm: cliHasAsm(cli),
    bin: join(ROOT, 'bin', 'run.js'),
    tmpRoot,
    logDir,
    env,
    interrupted: false,
    progress: (m) => process.stderr.write(`${m}\n`),
    /** Run a tool, timed from spawn to exit; with /usr/bin/time also its CPU seconds (children included). */
    async run(label, [cmd, args]) {
      if (ctx.interrupted) throw new Error('interrupted')
      const logPath = join(logDir, `${String(++seq).padStart(4, '0')}-${label.replace(/[^a-z0-9.-]+/gi, '_')}.log`)
      const cpuPath = `${logPath}.cpu`
      const r = TIME ? await timedRun(TIME, ['-o', cpuPath, '-f', '%U %S', cmd, ...args], {env, cwd: ROOT, logPath}) : await timedRun(cmd, args, {env, cwd: ROOT, logPath})
      if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code ?? r.signal}); last output (${logPath}):\n${tail(logPath)}`)
      let cpuS = null
      try {
        const [u, sys] = readFileSync(cpuPath, 'utf8').trim().split('\n').pop().split(' ').map(Number)
        if (Number.isFinite(u) && Number.isFinite(sys)) cpuS = u + sys
      } catch {
        // no CPU figure
      }
      return {...r, cpuS}
    },
    /** `reshard check`'s verdict, in-process, until healthy (gossip may lag a moment). */
    async healthy(c) {
      let problems = []
      for (let i = 0; i < 50; i++) {
        const doc = await readStatus(sandboxConnection(c.state))
        if (doc.healthy) return
        problems = doc.problems
        await sleep(200)
      }
      throw new Error(`the cluster is not healthy:\n  ${problems.join('\n  ')}`)
    },
  }
  return ctx
}

/** Poll until every slot and key is where it should be (a source may trim its copy a moment after the handover). */
async function settleAndVerify(c, expected, ownerId, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await c.verifySlots(expected, () => ownerId)
    if (v.problems.length === 0) return
    if (Date.now() > deadline) throw new Error(`verification failed after ${what}:\n  ${v.problems.slice(0, 10).join('\n  ')}`)
    await sleep(200)
  }
}

/**
 * 3 primaries; keys in slots 0..n-1 of the first primary. Every run moves those slots with all
 * their keys between the first two primaries (A -> B, B -> A, ...), so every run moves the same
 * data with nothing untimed but verification in between.
 */
async function moveDataset(ctx, name, spec, rounds) {
  const desc = `${fmtNum(spec.keys)} small keys in ${spec.slots} slots (3 primaries)`
  const c = await BenchCluster.start({primaries: 3, tmpRoot: ctx.tmpRoot, redisServer: ctx.server})
  try {
    const flavour = await readFlavour(c.client(c.nodes[0].port))
    const tools = toolsFor('move', {flavour, cli: ctx.cli, cliAsm: ctx.cliAsm})
    ctx.progress(`\n== ${name}: ${desc}; atomic flavour: ${flavour}; ${rounds} round(s) of: ${tools.map((t) => t.id).join(', ')}`)
    const slots = Array.from({length: spec.slots}, (_, i) => i)
    const [A] = c.nodes
    const owners = await c.waitSettled()
    if (slots.some((s) => owners[s] !== A.id)) throw new Error(`expected ${A.address} to own slots 0-${spec.slots - 1}`)
    const t0 = Date.now()
    await c.seedKeys({count: spec.keys, slots})
    const counts = await c.keyCounts(slots)
    const expected = new Map(slots.map((s) => [s, counts.get(s)[0]]))
    if ([...expected.values()].reduce((a, b) => a + b, 0) !== spec.keys) throw new Error('seeding did not put every key in the chosen slots')
    ctx.progress(`  seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const ds = {name, description: desc, flavour, tools: tools.map(({id, name: n, asm}) => ({id, name: n, asm: Boolean(asm)})), runs: [], loads: []}
    let holder = 0
    for (let r = 0; r < rounds; r++) {
      ds.loads.push(uptime())
      const order = tools.map((_, i) => tools[(i + r) % tools.length])
      for (const tool of order) {
        const from = c.nodes[holder]
        const to = c.nodes[1 - holder]
        await c.waitSettled()
        const load = load1()
        const res = await ctx.run(`${name}-${tool.id}-r${r + 1}`, moveCommand(tool, ctx, from, to, spec.slots))
        await settleAndVerify(c, expected, to.id, `${tool.name} (round ${r + 1})`)
        await ctx.healthy(c)
        holder = 1 - holder
        ds.runs.push({tool: tool.id, round: r + 1, ms: res.ms, cpuS: res.cpuS, load1: load})
        ctx.progress(`  [${r + 1}/${rounds}] ${tool.name.padEnd(62)} ${(res.ms / 1000).toFixed(2).padStart(7)} s  CPU ${res.cpuS?.toFixed(2) ?? '—'} s  (load ${load.toFixed(1)})`)
      }
    }
    return ds
  } finally {
    await c.stop()
  }
}

/** Rows of the table for one dataset, and its targets (default vs the server's ASM and vs legacy). */
function report(ds) {
  const med = (id) => median(ds.runs.filter((r) => r.tool === id).map((r) => r.ms))
  const base = med('reshard')
  const asm = ds.tools.find((t) => t.asm)
  const rows = []
  const targets = []
  for (const t of ds.tools) {
    const runs = ds.runs.filter((r) => r.tool === t.id).map((r) => r.ms)
    if (runs.length === 0) continue
    const m = median(runs)
    const cpu = median(ds.runs.filter((r) => r.tool === t.id && r.cpuS !== null && r.cpuS !== undefined).map((r) => r.cpuS))
    rows.push([ds.name, t.name, runs.length, (m / 1000).toFixed(2), (Math.min(...runs) / 1000).toFixed(2), (Math.max(...runs) / 1000).toFixed(2), base ? `${(m / base).toFixed(2)}×` : '—', cpu === null ? '—' : cpu.toFixed(2)])
  }
  if (asm && base && med(asm.id)) {
    const x = base / med(asm.id)
    targets.push({dataset: ds.name, target: `reshard default ≤ 1.3× ${asm.name}`, value: x, pass: x <= 1.3})
  }
  if (ds.flavour !== 'none' && base && med('reshard-legacy')) {
    const x = med('reshard-legacy') / base
    targets.push({dataset: ds.name, target: 'reshard default ≥ 3× faster than --mechanism legacy', value: x, pass: x >= 3})
  }
  return {rows, targets}
}


/** Run the server benchmark; returns the process exit code. */
export async function runServerBench(o) {
  const ctx = makeContext(o)
  installBenchSignals(ctx)
  const sizes = o.short ? SIZES.short : SIZES.full
  const rounds = o.rounds ?? (o.short ? 1 : 3)
  const serverVersion = versionOf(ctx.server)
  const results = {startedAt: new Date().toISOString(), server: ctx.server, serverVersion, cli: ctx.cli, cliVersion: versionOf(ctx.cli), cliAsm: ctx.cliAsm, cpus: cpus().length, uptimeAtStart: uptime(), rounds, short: Boolean(o.short), datasets: {}, errors: []}
  ctx.progress(`reshard server benchmark: ${serverVersion}; cli ${results.cliVersion}; ${rounds} round(s); ${results.uptimeAtStart}`)
  let failed = false
  for (const name of o.datasets ?? SERVER_DATASETS) {
    if (ctx.interrupted) break
    try {
      const ds = name === 'scaleout' ? await scaleOutDataset(ctx, sizes.scaleout, o.scaleoutRounds ?? 1) : await moveDataset(ctx, name, sizes[name], rounds)
      results.datasets[name] = ds
    } catch (e) {
      failed = true
      results.errors.push(`${name}: ${e.message}`)
      ctx.progress(`  ERROR: ${e.message}`)
    }
  }
  await stopAllClusters()
  results.uptimeAtEnd = uptime()
  const rows = []
  const targets = []
  for (const ds of Object.values(results.datasets)) {
    const r = report(ds)
    rows.push(...r.rows)
    targets.push(...r.targets)
  }
  results.targets = targets
  const out = []
  out.push(`\n## reshard vs the server's own tools: ${serverVersion.split(' ').slice(0, 2).join(' ')} (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`)
  out.push(`${results.cpus} CPUs; load at start: ${results.uptimeAtStart.replace(/.*load average:/, '')}; at end: ${results.uptimeAtEnd.replace(/.*load average:/, '')}; competitors alternating within each round, medians of wall-clock time from spawn to exit (client CPU: user + system seconds of the tool's processes)\n`)
  for (const ds of Object.values(results.datasets)) out.push(`- ${ds.name}: ${ds.description}; ${new Set(ds.runs.map((r) => r.round)).size} round(s); load average (1 min) during the runs ${Math.min(...ds.runs.map((r) => r.load1)).toFixed(1)}-${Math.max(...ds.runs.map((r) => r.load1)).toFixed(1)}`)
  out.push('')
  out.push(markdownTable(['dataset', 'tool', 'runs', 'median s', 'min s', 'max s', '÷ reshard default', 'client CPU s'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']))
  out.push('\n### targets\n')
  for (const t of targets) out.push(`- ${t.dataset}: ${t.target}: ${t.pass ? 'PASS' : 'FAIL'} (${t.value.toFixed(2)}×)`)
  if (targets.length === 0) out.push('- (this server has no atomic slot migration: no targets)')
  for (const e of results.errors) out.push(`\nERROR ${e}`)
  process.stdout.write(out.join('\n') + '\n')
  const jsonOut = resolve(process.cwd(), o.jsonOut ?? 'bench-results.json')
  writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n')
  process.stdout.write(`\nJSON written to ${jsonOut}\n`)
  if (failed || ctx.interrupted) process.stderr.write(`logs of every run kept in ${ctx.logDir}\n`)
  else rmSync(ctx.tmpRoot, {recursive: true, force: true})
  return ctx.interrupted ? 130 : failed ? 1 : 0
}
