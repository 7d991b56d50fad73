#!/usr/bin/env node
// `npm run bench` (DESIGN.md §5): side-by-side throughput of `redis-cli --cluster reshard` and
// `reshard move` on fresh local sandbox clusters, with identical data, interleaved and repeated;
// plus a rebalance (parallel vs --parallel 1), client latency during a move, the CLI's peak RSS
// and the planner's speed. Every run is verified (all keys arrived, none left, `reshard check`
// passes). A script, not a test: it prints figures, ratios and PASS/FAIL against the targets,
// and writes everything as JSON.
//
//   node scripts/bench.js [--short] [--repeats N] [--datasets a,b,...] [--json-out FILE]
//   node scripts/bench.js --server PATH [--short] [--repeats N] [--datasets slots100,slots1000,scaleout]
//
// With --server: reshard's default mechanism vs --mechanism legacy vs the server's own tools on
// that build (scripts/bench/server.js). Without: Redis from PATH, the legacy datasets below.
//
// Plain Node ESM; uses the built CLI (dist/, bin/run.js), redis-server and redis-cli from PATH.
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir, totalmem} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {readStatus} from '../dist/operations/status.js'
import {planRebalance} from '../dist/planner/index.js'
import {sandboxConnection} from '../dist/sandbox/sandbox.js'
import {clusterIdentity} from '../dist/topology/topology.js'
import {BenchCluster, sleep, stopAllClusters} from './bench-lib/cluster.js'
import {LatencyClient} from './bench-lib/latency.js'
import {installBenchSignals} from './bench-lib/signals.js'
import {tail, timedRun} from './bench-lib/proc.js'
import {fmtAuto, fmtMs, fmtNum, fmtRatio, markdownTable, median, summarize} from './bench-lib/report.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'run.js')
const ALL_DATASETS = ['small200k', 'small1m', 'kb100k', 'empty1000', 'rebalance', 'latency', 'rss', 'plan']

const USAGE = `usage: node scripts/bench.js [options]        (or: npm run bench -- [options])

  --short               small sizes, 1 repeat: finishes in about a minute
  --repeats N           runs per tool per dataset, interleaved (default 3; 1 with --short)
  --datasets LIST       comma-separated, default all: ${ALL_DATASETS.join(',')}
  --json-out FILE       where to write the JSON results (default bench-results.json)
  --server PATH         benchmark this server build (redis-server, valkey-server, kv-server):
                        reshard default vs --mechanism legacy vs the server's own tools (the cli
                        next to PATH: --cluster reshard/rebalance, and its atomic slot migration:
                        Valkey 9 --cluster-use-atomic-slot-migration, Redis 8 CLUSTER MIGRATION
                        IMPORT + STATUS); datasets slots100 (1M keys in 100 slots), slots1000
                        (100k keys in 1000 slots), scaleout (12 primaries + 4 empty, 200k keys,
                        rebalance); --repeats N rounds (default 3), --scaleout-rounds N (default 1)
  --help

datasets (full size / --short size):
  small200k  200k small string keys in 100 slots (20k / 20)      redis-cli p10 (its default), p1000 vs reshard move
  small1m    1M small keys in 1000 slots (50k / 50)              same three tools
  kb100k     100k keys of 1 KB in 100 slots (10k / 20)           same three tools
  empty1000  1000 empty slots (100)                              same three tools, in slots/s
  rebalance  4 primaries, 2 donors -> 2 receivers (two disjoint pairs), 200k keys in 2x100 slots
             (20k in 2x20): reshard rebalance --threshold 0 with its default --parallel vs --parallel 1
  latency    200k small keys / 100 slots (10k / 10) while a cluster client does GET/SET on them:
             p50/p99/max latency and errors per tool (redis-cli p10, p1000, reshard, reshard --max-pause 2)
  rss        reshard's peak RSS moving 1M keys (50k) (taken from small1m when that runs too)
  plan       time of planRebalance over 16384 slots and 1000 primaries (in-process)

Every run moves the same slots and keys between two alike primaries (A -> B, then B -> A, ...),
tools interleaved, their order rotated each repeat. Rate = keys (or slots) moved / wall-clock
seconds from spawn to exit. After every run: all keys on the new owner, none left behind, all
nodes agree, and \`reshard check\` passes (with --short the CLI check runs after each dataset's
last run; the same check runs in-process after every run). Results: a table on stdout, JSON in
--json-out; progress on stderr. Exit 1 if a run or a verification failed (targets only print).`

// ---------------------------------------------------------------- options

let opts
try {
  opts = parseArgs({
    options: {
      short: {type: 'boolean', default: false},
      repeats: {type: 'string'},
      datasets: {type: 'string'},
      'json-out': {type: 'string', default: 'bench-results.json'},
      server: {type: 'string'},
      'scaleout-rounds': {type: 'string'},
      help: {type: 'boolean', short: 'h', default: false},
    },
    allowPositionals: false,
  }).values
} catch (e) {
  process.stderr.write(`bench: ${e.message}\n\n${USAGE}\n`)
  process.exit(2)
}
if (opts.help) {
  process.stdout.write(USAGE + '\n')
  process.exit(0)
}
if (opts.server) {
  const {runServerBench, SERVER_DATASETS} = await import('./bench/server.js')
  const rounds = opts.repeats !== undefined ? Number(opts.repeats) : undefined
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1 || rounds > 50)) {
    process.stderr.write(`bench: --repeats must be a whole number from 1 to 50\n`)
    process.exit(2)
  }
  const datasets = opts.datasets ? opts.datasets.split(',').map((s) => s.trim()).filter(Boolean) : undefined
  const bad = (datasets ?? []).filter((d) => !SERVER_DATASETS.includes(d))
  if (bad.length) {
    process.stderr.write(`bench: unknown dataset "${bad[0]}" with --server (choose from ${SERVER_DATASETS.join(', ')})\n`)
    process.exit(2)
  }
  const scaleoutRounds = opts['scaleout-rounds'] !== undefined ? Number(opts['scaleout-rounds']) : undefined
  if (scaleoutRounds !== undefined && (!Number.isInteger(scaleoutRounds) || scaleoutRounds < 1 || scaleoutRounds > 50)) {
    process.stderr.write(`bench: --scaleout-rounds must be a whole number from 1 to 50\n`)
    process.exit(2)
  }
  process.exit(await runServerBench({server: opts.server, short: opts.short, rounds, scaleoutRounds, datasets, jsonOut: opts['json-out']}))
}
const SHORT = opts.short
const REPEATS = opts.repeats !== undefined ? Number(opts.repeats) : SHORT ? 1 : 3
if (!Number.isInteger(REPEATS) || REPEATS < 1 || REPEATS > 50) {
  process.stderr.write(`bench: --repeats must be a whole number from 1 to 50\n`)
  process.exit(2)
}
const DATASETS = opts.datasets ? opts.datasets.split(',').map((s) => s.trim()).filter(Boolean) : ALL_DATASETS
for (const d of DATASETS) {
  if (!ALL_DATASETS.includes(d)) {
    process.stderr.write(`bench: unknown dataset "${d}" (choose from ${ALL_DATASETS.join(', ')})\n`)
    process.exit(2)
  }
}
const JSON_OUT = resolve(process.cwd(), opts['json-out'])

const SIZES = SHORT
  ? {
      small200k: {keys: 20_000, slots: 20},
      small1m: {keys: 50_000, slots: 50},
      kb100k: {keys: 10_000, slots: 20, valueSize: 1024},
      empty1000: {keys: 0, slots: 100},
      rebalance: {keys: 20_000, slotsPerPair: 20},
      latency: {keys: 10_000, slots: 10},
      rss: {keys: 50_000, slots: 50},
      plan: {primaries: 1000, runs: 2},
    }
  : {
      small200k: {keys: 200_000, slots: 100},
      small1m: {keys: 1_000_000, slots: 1000},
      kb100k: {keys: 100_000, slots: 100, valueSize: 1024},
      empty1000: {keys: 0, slots: 1000},
      rebalance: {keys: 200_000, slotsPerPair: 100},
      latency: {keys: 200_000, slots: 100},
      rss: {keys: 1_000_000, slots: 1000},
      plan: {primaries: 1000, runs: 7},
    }

// ---------------------------------------------------------------- environment

const tmpRoot = mkdtempSync(join(tmpdir(), 'reshard-bench-'))
const logDir = join(tmpRoot, 'logs')
mkdirSync(logDir)
// Children never see a user's cluster or password, nor the user's sandbox state file.
const childEnv = {...process.env, RESHARD_SANDBOX_STATE: join(tmpRoot, 'no-sandbox.json'), NO_COLOR: '1'}
delete childEnv.RESHARD_CLUSTER
delete childEnv.REDISCLI_AUTH
delete childEnv.FORCE_COLOR

const run = {interrupted: false}
installBenchSignals(run)
class Interrupted extends Error {}
function checkInterrupted() {
  if (run.interrupted) throw new Interrupted('interrupted')
}

const progress = (msg) => process.stderr.write(`${msg}\n`)

function helpOf(cmd) {
  const r = spawnSync(process.execPath, [BIN, ...cmd, '--help'], {cwd: ROOT, env: childEnv, encoding: 'utf8', timeout: 30_000})
  return {ok: r.status === 0, text: `${r.stdout ?? ''}${r.stderr ?? ''}`}
}
const moveHelp = helpOf(['move'])
function bail(message) {
  process.stderr.write(`bench: ${message}\n`)
  rmSync(tmpRoot, {recursive: true, force: true})
  process.exit(1)
}
if (!moveHelp.ok) bail(`\`reshard move --help\` failed; is the CLI built? (npm run build)\n${moveHelp.text}`)
const rebalanceHelp = helpOf(['rebalance'])
const FEATURES = {
  maxPause: moveHelp.text.includes('--max-pause'),
  rebalance: rebalanceHelp.ok && /rebalance/i.test(rebalanceHelp.text),
  rebalanceParallel: rebalanceHelp.ok && rebalanceHelp.text.includes('--parallel'),
}
const redisCliVersion = (spawnSync('redis-cli', ['--version'], {encoding: 'utf8'}).stdout ?? '').trim()
const redisServerVersion = (spawnSync('redis-server', ['--version'], {encoding: 'utf8'}).stdout ?? '').trim()
if (!redisCliVersion) bail('redis-cli not found on PATH (run `node scripts/ensure-redis.js`)')

// ---------------------------------------------------------------- tools and runs

const range = (from, count) => Array.from({length: count}, (_, i) => from + i)
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length])

const REDIS_CLI = (p) => ({id: `redis-cli-p${p}`, name: `redis-cli --cluster-pipeline ${p}${p === 10 ? ' (default)' : ''}`, kind: 'redis-cli', pipeline: p})
const RESHARD = {id: 'reshard', name: 'reshard move (default flags)', kind: 'reshard', extra: []}
const RESHARD_MAX_PAUSE = {id: 'reshard-max-pause-2', name: 'reshard move --max-pause 2', kind: 'reshard', extra: ['--max-pause', '2']}

let logSeq = 0
const newLog = (label) => join(logDir, `${String(++logSeq).padStart(4, '0')}-${label.replace(/[^a-z0-9.-]+/gi, '_')}.log`)

/** The command moving slots 0..n-1 (owned by `from`) to `to`. */
function moveCommand(tool, from, to, n) {
  if (tool.kind === 'redis-cli') {
    // redis-cli takes the source's lowest slots first: 0..n-1 here (verified after each run).
    return ['redis-cli', ['--cluster', 'reshard', from.address, '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', String(n), '--cluster-yes', '--cluster-pipeline', String(tool.pipeline)]]
  }
  return [process.execPath, [BIN, 'move', `0-${n - 1}`, '--to', to.id, '--yes', '-q', '-c', from.address, ...tool.extra]]
}

async function runChecked(label, cmd, args) {
  checkInterrupted()
  const logPath = newLog(label)
  const r = await timedRun(cmd, args, {env: childEnv, cwd: ROOT, logPath})
  checkInterrupted()
  if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code ?? r.signal}); last output (${logPath}):\n${tail(logPath)}`)
  return {...r, logPath}
}

// After every run: the health verdict of `reshard check`. In-process (readStatus, the function
// `check` runs) after every run; the CLI itself (`reshard check` exits 0) after every run too,
// except with --short, where its ~0.5 s start-up is paid once, after each dataset's last run.
const CLI_CHECK_EVERY_RUN = !SHORT

/** `reshard check`'s verdict, in-process, until healthy (gossip may lag a moment behind the last SETSLOT). */
async function statusCheck(c) {
  let problems = []
  for (let i = 0; i < 25; i++) {
    checkInterrupted()
    const doc = await readStatus(sandboxConnection(c.state))
    if (doc.healthy) return
    problems = doc.problems
    await sleep(200)
  }
  throw new Error(`the cluster is not healthy (what \`reshard check\` checks):\n  ${problems.join('\n  ')}`)
}

/** The in-process check; plus `reshard check` exiting 0 after every run (or, with --short, when `last`). */
async function checkAfterRun(c, last) {
  await statusCheck(c)
  if (CLI_CHECK_EVERY_RUN || last) await cliCheck(c)
}

/** `reshard check` exits 0 (a few tries: gossip may lag a moment behind the last SETSLOT). */
async function cliCheck(c) {
  let last = ''
  for (let i = 0; i < 5; i++) {
    checkInterrupted()
    const logPath = newLog('check')
    const r = await timedRun(process.execPath, [BIN, 'check', '-c', c.seed], {env: childEnv, cwd: ROOT, logPath})
    if (r.code === 0) return
    last = tail(logPath)
    await sleep(1000)
  }
  throw new Error(`\`reshard check\` does not pass:\n${last}`)
}

/** An untimed move with reshard (restoring the layout between runs). */
async function untimedMove(c, slotExpr, toId) {
  await c.waitSettled()
  await runChecked(`restore-move-${slotExpr}`, process.execPath, [BIN, 'move', slotExpr, '--to', toId, '--yes', '-q', '-c', c.seed])
}

async function verifyOrThrow(c, expected, ownerOf, what) {
  const v = await c.verifySlots(expected, ownerOf)
  if (v.problems.length > 0) throw new Error(`verification failed after ${what}:\n  ${v.problems.slice(0, 10).join('\n  ')}`)
  return v
}

async function seedInto(c, slots, spec, ownerIndexOf) {
  if (spec.keys === 0) return new Map(slots.map((s) => [s, 0]))
  const t0 = Date.now()
  await c.seedKeys({count: spec.keys, slots, valueSize: spec.valueSize})
  const counts = await c.keyCounts(slots)
  const expected = new Map(slots.map((s) => [s, counts.get(s)[ownerIndexOf(s)]]))
  const total = [...expected.values()].reduce((a, b) => a + b, 0)
  if (total !== spec.keys) throw new Error(`seeding put ${total} keys in the chosen slots, expected ${spec.keys}`)
  progress(`  seeded ${fmtNum(spec.keys)} keys into ${slots.length} slots in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return expected
}

const results = {
  startedAt: new Date().toISOString(),
  loadAvgAtStart: loadavg(),
  machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryMB: Math.round(totalmem() / 2 ** 20), node: process.version, redisCli: redisCliVersion, redisServer: redisServerVersion},
  options: {short: SHORT, repeats: REPEATS, datasets: DATASETS},
  features: FEATURES,
  datasets: {},
  targets: [],
  errors: [],
}

// ---------------------------------------------------------------- move datasets

/**
 * A fresh 3-primary cluster; keys seeded into slots 0..n-1 (owned by the first primary, A).
 * Every run moves those slots, with all their keys, between the first two primaries, which
 * are alike (same config, ~5461 slots each, no other keys): A -> B, then B -> A, and so on.
 * So every run moves the same slots and the same data with nothing untimed in between. Each
 * repeat runs every tool once, the order rotated per repeat; every run is verified.
 */
async function moveDataset(name, spec, tools, {latency = false, repeats = REPEATS} = {}) {
  const desc = spec.keys > 0 ? `${fmtNum(spec.keys)} keys${spec.valueSize ? ` of ${fmtNum(spec.valueSize)} B` : ' (small strings)'} in ${spec.slots} slots` : `${spec.slots} empty slots`
  progress(`\n== ${name}: ${desc}, ${repeats} repeat(s), tools: ${tools.map((t) => t.id).join(', ')}${latency ? ', with a concurrent client' : ''}`)
  const ds = {name, description: desc, keys: spec.keys, slots: spec.slots, valueSize: spec.valueSize ?? null, unit: spec.keys > 0 ? 'keys/s' : 'slots/s', tools: tools.map((t) => ({id: t.id, name: t.name})), runs: []}
  results.datasets[name] = ds
  const c = await BenchCluster.start({primaries: 3, tmpRoot})
  let lc
  try {
    const [A] = c.nodes
    const n = spec.slots
    const slots = range(0, n)
    const owners = await c.waitSettled()
    if (slots.some((s) => owners[s] !== A.id)) throw new Error(`expected ${A.address} to own slots 0-${n - 1}`)
    const expected = await seedInto(c, slots, spec, () => 0)
    await verifyOrThrow(c, expected, () => A.id, 'seeding')
    if (latency) {
      lc = await LatencyClient.start(
        {seeds: [{host: '127.0.0.1', port: A.port}], count: spec.keys, slots, valueSize: spec.valueSize, prefix: 'bench', sample: 5000, inflight: 1},
        {env: childEnv},
      )
      await lc.begin()
      await sleep(1000)
      ds.idleLatency = await lc.end()
      progress(`  client latency with no move: p50 ${fmtMs(ds.idleLatency.p50Ms)} ms, p99 ${fmtMs(ds.idleLatency.p99Ms)} ms, max ${fmtMs(ds.idleLatency.maxMs)} ms, ${fmtNum(ds.idleLatency.opsPerSec)} req/s`)
    }
    let holder = 0
    for (let r = 0; r < repeats; r++) {
      const order = rotate(tools, r)
      for (let k = 0; k < order.length; k++) {
        const tool = order[k]
        const from = c.nodes[holder]
        const to = c.nodes[1 - holder]
        const [cmd, args] = moveCommand(tool, from, to, n)
        await c.waitSettled()
        checkInterrupted()
        if (lc) await lc.begin()
        let res
        let lat
        try {
          res = await runChecked(`${name}-${tool.id}-r${r + 1}`, cmd, args)
        } finally {
          if (lc && !lc.exited) lat = await lc.end()
        }
        await verifyOrThrow(c, expected, () => to.id, `${tool.name} (repeat ${r + 1})`)
        await checkAfterRun(c, r === repeats - 1 && k === order.length - 1)
        holder = 1 - holder
        const units = spec.keys > 0 ? spec.keys : n
        const run = {tool: tool.id, repeat: r + 1, from: from.address, to: to.address, ms: res.ms, moved: units, rate: units / (res.ms / 1000), peakRssKb: res.peakRssKb, verified: true}
        if (lat) run.latency = lat
        ds.runs.push(run)
        progress(
          `  [${r + 1}/${repeats}] ${tool.name.padEnd(38)} ${fmtNum(run.rate).padStart(10)} ${ds.unit}  ${(res.ms / 1000).toFixed(2)} s  peak RSS ${fmtNum(res.peakRssKb / 1024, 0)} MB` +
            (lat ? `  client p50 ${fmtMs(lat.p50Ms)} p99 ${fmtMs(lat.p99Ms)} max ${fmtMs(lat.maxMs)} ms, ${lat.errors} errors` : ''),
        )
      }
    }
  } finally {
    await lc?.close().catch(() => undefined)
    await c.stop()
  }
  return ds
}

// ---------------------------------------------------------------- rebalance

/**
 * 4 primaries (4096 slots each: A B C D). Untimed setup: S empty slots B->A and S D->C; then keys
 * are seeded into those 2S slots. `reshard rebalance --threshold 0` gives them back: A's surplus
 * (its highest S slots) and C's go to the two receivers, i.e. two disjoint source->target pairs
 * (checked). Timed: rebalance with its default parallelism vs --parallel 1, interleaved; each run
 * verified; then the imbalance is restored (untimed, reshard move).
 */
async function rebalanceDataset(spec) {
  const name = 'rebalance'
  const S = spec.slotsPerPair
  const desc = `${fmtNum(spec.keys)} small keys in 2×${S} slots, 2 donors -> 2 receivers (4 primaries)`
  progress(`\n== ${name}: ${desc}, ${REPEATS} repeat(s)`)
  const tools = [
    {id: 'reshard-rebalance', name: 'reshard rebalance (default --parallel)', extra: []},
    {id: 'reshard-rebalance-p1', name: 'reshard rebalance --parallel 1', extra: ['--parallel', '1']},
  ]
  const ds = {name, description: desc, keys: spec.keys, slots: 2 * S, unit: 'keys/s', tools: tools.map((t) => ({id: t.id, name: t.name})), runs: []}
  results.datasets[name] = ds
  if (!FEATURES.rebalance || !FEATURES.rebalanceParallel) {
    ds.skipped = !FEATURES.rebalance ? '`reshard rebalance` is not available in this build' : '`reshard rebalance` has no --parallel flag yet'
    progress(`  SKIP: ${ds.skipped}`)
    return ds
  }
  const c = await BenchCluster.start({primaries: 4, tmpRoot})
  try {
    const [A, B, C, D] = c.nodes
    const owners = await c.waitSettled()
    if (owners[0] !== A.id || owners[4096] !== B.id || owners[8192] !== C.id || owners[12288] !== D.id) throw new Error('unexpected initial slot layout')
    const ab = range(4096, S)
    const cd = range(12288, S)
    const abExpr = `4096-${4096 + S - 1}`
    const cdExpr = `12288-${12288 + S - 1}`
    await untimedMove(c, abExpr, A.id)
    await untimedMove(c, cdExpr, C.id)
    await c.waitSettled()
    const slots = [...ab, ...cd]
    const homeIndex = (s) => (s < 8192 ? 0 : 2)
    const home = (s) => c.nodes[homeIndex(s)].id
    const expected = await seedInto(c, slots, spec, homeIndex)
    await verifyOrThrow(c, expected, home, 'seeding')
    for (let r = 0; r < REPEATS; r++) {
      const order = rotate(tools, r)
      for (let k = 0; k < order.length; k++) {
        const tool = order[k]
        await c.waitSettled()
        const res = await runChecked(`${name}-${tool.id}-r${r + 1}`, process.execPath, [BIN, 'rebalance', '--threshold', '0', '--yes', '-q', '-c', c.seed, ...tool.extra])
        const after = await c.waitSettled()
        const x = after[ab[0]]
        const y = after[cd[0]]
        const receivers = [B.id, D.id]
        if (!receivers.includes(x) || !receivers.includes(y) || x === y) {
          throw new Error(`rebalance did not move the surplus as two disjoint pairs: ${abExpr} -> ${c.label(x)}, ${cdExpr} -> ${c.label(y)}`)
        }
        await verifyOrThrow(c, expected, (s) => (s < 8192 ? x : y), `${tool.name} (repeat ${r + 1})`)
        const last = r === REPEATS - 1 && k === order.length - 1
        await checkAfterRun(c, last)
        const run = {tool: tool.id, repeat: r + 1, ms: res.ms, moved: spec.keys, rate: spec.keys / (res.ms / 1000), peakRssKb: res.peakRssKb, verified: true, pairs: [`${c.label(A.id)} -> ${c.label(x)}`, `${c.label(C.id)} -> ${c.label(y)}`]}
        ds.runs.push(run)
        progress(`  [${r + 1}/${REPEATS}] ${tool.name.padEnd(38)} ${fmtNum(run.rate).padStart(10)} keys/s  ${(res.ms / 1000).toFixed(2)} s  (${run.pairs.join(', ')})`)
        if (!last) {
          await untimedMove(c, abExpr, A.id)
          await untimedMove(c, cdExpr, C.id)
          await verifyOrThrow(c, expected, home, 'restoring the imbalance')
        }
      }
    }
  } finally {
    await c.stop()
  }
  return ds
}

// ---------------------------------------------------------------- planning time

function nodeId(i) {
  const h = (Math.imul(i + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')
  return (h + h.split('').reverse().join('') + h + h + String(i).padStart(8, '0')).slice(0, 40)
}

/** Deterministic uneven slot counts adding up to 16384 (as the planner unit tests use). */
function unevenCounts(n, total = 16384) {
  const raw = Array.from({length: n}, (_, i) => 1 + ((i * 7919 + 13) % 23) * ((i % 3) + 1))
  const sum = raw.reduce((a, b) => a + b, 0)
  const counts = raw.map((r) => Math.floor((r * total) / sum))
  let left = total - counts.reduce((a, b) => a + b, 0)
  for (let i = 0; left > 0; i = (i + 1) % n, left--) counts[i] += 1
  return counts
}

function syntheticTopology(primaries) {
  const owners = new Array(16384).fill(null)
  const nodes = []
  let cursor = 0
  unevenCounts(primaries).forEach((count, i) => {
    const id = nodeId(i)
    const slots = range(cursor, count)
    cursor += count
    for (const s of slots) owners[s] = id
    const port = 30001 + i
    nodes.push({id, host: '127.0.0.1', port, address: `127.0.0.1:${port}`, role: 'primary', slots, failed: false, reachable: true, claims: slots, configEpoch: i + 1})
  })
  return {nodes, owners, open: [], uncovered: [], disagreements: [], clusterId: clusterIdentity(nodes)}
}

function planDataset(spec) {
  const name = 'plan'
  progress(`\n== ${name}: planRebalance over 16384 slots and ${spec.primaries} primaries (uneven), ${spec.runs} timed runs after a warm-up`)
  const t = syntheticTopology(spec.primaries)
  const slotKeys = Array.from({length: 16384}, (_, s) => (s * 7919) % 97)
  const ds = {name, description: `planRebalance, 16384 slots over ${spec.primaries} primaries`, unit: 'ms', variants: {}}
  results.datasets[name] = ds
  for (const [variant, o] of [
    ['by slots', {}],
    ['by keys', {by: 'keys', slotKeys}],
  ]) {
    try {
      const warm = performance.now()
      const plan = planRebalance(t, o)
      const warmMs = performance.now() - warm
      // A slow variant is timed once more at most: the figure is what matters, not the precision.
      const n = warmMs > 2000 ? 1 : spec.runs
      const runs = []
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        planRebalance(t, o)
        runs.push(performance.now() - t0)
      }
      ds.variants[variant] = {runsMs: runs, moves: plan.moves.length, firstRunMs: warmMs}
      progress(`  ${variant}: ${plan.moves.length} moves; median ${fmtMs(median(runs))} ms (first run ${fmtMs(warmMs)} ms)`)
    } catch (e) {
      ds.variants[variant] = {error: e.message}
      progress(`  ${variant}: error: ${e.message}`)
    }
  }
  return ds
}

// ---------------------------------------------------------------- run everything

const want = (d) => DATASETS.includes(d)
let failed = false
const started = Date.now()
progress(
  `reshard benchmark${SHORT ? ' (--short)' : ''}: ${REPEATS} repeat(s); ${results.machine.cpus} CPUs, ${redisServerVersion.split(' ').slice(0, 3).join(' ')}; ` +
    `--max-pause ${FEATURES.maxPause ? 'supported' : 'not supported yet'}; rebalance ${FEATURES.rebalance ? 'available' : 'not available yet'}`,
)

const jobs = []
if (want('small200k')) jobs.push(['small200k', () => moveDataset('small200k', SIZES.small200k, [REDIS_CLI(10), RESHARD, REDIS_CLI(1000)])])
if (want('small1m')) jobs.push(['small1m', () => moveDataset('small1m', SIZES.small1m, [REDIS_CLI(10), RESHARD, REDIS_CLI(1000)])])
if (want('kb100k')) jobs.push(['kb100k', () => moveDataset('kb100k', SIZES.kb100k, [REDIS_CLI(10), RESHARD, REDIS_CLI(1000)])])
if (want('empty1000')) jobs.push(['empty1000', () => moveDataset('empty1000', SIZES.empty1000, [REDIS_CLI(10), RESHARD, REDIS_CLI(1000)])])
if (want('rebalance')) jobs.push(['rebalance', () => rebalanceDataset(SIZES.rebalance)])
if (want('latency')) {
  const tools = [REDIS_CLI(10), RESHARD, REDIS_CLI(1000)]
  if (FEATURES.maxPause) tools.push(RESHARD_MAX_PAUSE)
  jobs.push(['latency', () => moveDataset('latency', SIZES.latency, tools, {latency: true})])
}
if (want('rss')) {
  jobs.push(['rss', async () => {
    // Reuse small1m's reshard runs when they measured the same thing.
    const s1m = results.datasets.small1m
    if (s1m && s1m.keys === SIZES.rss.keys && s1m.runs.some((r) => r.tool === 'reshard')) {
      progress(`\n== rss: taken from small1m's reshard runs`)
      results.datasets.rss = {name: 'rss', description: `${s1m.description} (small1m's reshard runs)`, keys: s1m.keys, unit: 'MB', runs: s1m.runs.filter((r) => r.tool === 'reshard')}
      return
    }
    const ds = await moveDataset('rss', SIZES.rss, [RESHARD], {repeats: 1})
    ds.unit = 'MB'
  }])
}
if (want('plan')) jobs.push(['plan', async () => planDataset(SIZES.plan)])

for (const [name, job] of jobs) {
  if (run.interrupted) break
  const t0 = Date.now()
  try {
    await job()
    const secs = (Date.now() - t0) / 1000
    if (results.datasets[name]) results.datasets[name].seconds = secs
    progress(`  (${name}: ${secs.toFixed(1)} s)`)
  } catch (e) {
    failed = true
    if (e instanceof Interrupted || run.interrupted) break
    const msg = e instanceof Error ? e.message : String(e)
    results.errors.push(msg)
    progress(`  ERROR: ${msg}`)
  }
}
await stopAllClusters()

// ---------------------------------------------------------------- report

function toolStats(ds, toolId) {
  const runs = ds.runs.filter((r) => r.tool === toolId)
  return {runs, ...summarize(runs.map((r) => r.rate)), peakRssKb: runs.length ? Math.max(...runs.map((r) => r.peakRssKb)) : null}
}

const rows = []
const latencyRows = []
const targets = results.targets
function target(dataset, label, value, pass, detail) {
  const t = {dataset, target: label, value, pass}
  if (detail) t.detail = detail
  targets.push(t)
  return t
}
const sizeNote = SHORT ? ' (short sizes)' : ''

for (const name of ['small200k', 'small1m', 'kb100k', 'empty1000', 'latency']) {
  const ds = results.datasets[name]
  if (!ds) continue
  const base = toolStats(ds, 'reshard')
  ds.summary = {}
  for (const t of ds.tools) {
    const st = toolStats(ds, t.id)
    if (st.runs.length === 0) continue
    let ratio = null
    let ratioText = '—'
    let tgt = ''
    let result = ''
    if (t.id.startsWith('redis-cli')) {
      ratio = base.median && st.median ? base.median / st.median : null
      ratioText = ratio === null ? '—' : `reshard ${fmtRatio(ratio)}`
      const need =
        name === 'small200k' ? (t.id === 'redis-cli-p10' ? 2.2 : 1.0) : name === 'small1m' ? (t.id === 'redis-cli-p1000' ? 1.2 : null) : name === 'kb100k' ? (t.id === 'redis-cli-p1000' ? 1.0 : null) : name === 'empty1000' ? 5 : null
      if (need !== null && ratio !== null) {
        tgt = `reshard ≥ ${need}×`
        const ok = ratio >= need
        result = ok ? 'PASS' : 'FAIL'
        target(name, `${ds.description}: reshard ≥ ${need}× ${t.name}${sizeNote}`, ratio, ok)
      }
    }
    if (t.id === RESHARD_MAX_PAUSE.id) {
      const p1000 = toolStats(ds, 'redis-cli-p1000')
      ratio = p1000.median && st.median ? st.median / p1000.median : null
      ratioText = ratio === null ? '—' : `${fmtRatio(ratio)} of redis-cli p1000`
      const p99 = median(st.runs.map((r) => r.latency?.p99Ms ?? Infinity))
      const ok = ratio !== null && ratio >= 0.9 && p99 <= 2
      tgt = 'p99 ≤ 2 ms, ≥ 0.9× p1000'
      result = ok ? 'PASS' : 'FAIL'
      target(name, `--max-pause 2: client p99 ≤ 2 ms while moving ≥ 0.9× redis-cli p1000${sizeNote}`, {p99Ms: p99, ratio}, ok, `p99 ${fmtMs(p99)} ms, ${fmtRatio(ratio)}`)
    }
    ds.summary[t.id] = {min: st.min, median: st.median, max: st.max, peakRssKb: st.peakRssKb, ratio}
    rows.push([name, t.name, st.runs.length, fmtAuto(st.min), fmtAuto(st.median), fmtAuto(st.max), ds.unit, fmtNum(st.peakRssKb / 1024), ratioText, tgt, result])
    if (name === 'latency') {
      const l = st.runs.map((r) => r.latency).filter(Boolean)
      latencyRows.push([
        t.name,
        l.length,
        fmtMs(median(l.map((x) => x.p50Ms))),
        fmtMs(median(l.map((x) => x.p99Ms))),
        fmtMs(Math.max(...l.map((x) => x.p99Ms))),
        fmtMs(Math.max(...l.map((x) => x.maxMs))),
        fmtNum(median(l.map((x) => x.opsPerSec))),
        l.reduce((a, x) => a + x.errors, 0),
        [...new Set(l.flatMap((x) => Object.keys(x.errorSamples)))].slice(0, 2).join('; '),
      ])
    }
  }
  if (name === 'latency' && !FEATURES.maxPause) {
    rows.push([name, RESHARD_MAX_PAUSE.name, 0, '—', '—', '—', ds.unit, '—', '—', 'p99 ≤ 2 ms, ≥ 0.9× p1000', 'SKIP'])
    target(name, `--max-pause 2: client p99 ≤ 2 ms while moving ≥ 0.9× redis-cli p1000${sizeNote}`, null, null, '`reshard move` has no --max-pause flag yet')
  }
  if (name === 'latency' && ds.idleLatency) {
    const i = ds.idleLatency
    latencyRows.unshift(['(no move running)', 1, fmtMs(i.p50Ms), fmtMs(i.p99Ms), fmtMs(i.p99Ms), fmtMs(i.maxMs), fmtNum(i.opsPerSec), i.errors, ''])
  }
}

{
  const ds = results.datasets.rebalance
  if (ds?.skipped) {
    rows.push(['rebalance', 'reshard rebalance', 0, '—', '—', '—', 'keys/s', '—', '—', 'parallel ≥ 1.5× --parallel 1', 'SKIP'])
    target('rebalance', `rebalance with 2 disjoint pairs: parallel ≥ 1.5× --parallel 1${sizeNote}`, null, null, ds.skipped)
  } else if (ds) {
    const par = toolStats(ds, 'reshard-rebalance')
    const one = toolStats(ds, 'reshard-rebalance-p1')
    const ratio = par.median && one.median ? par.median / one.median : null
    ds.summary = {'reshard-rebalance': {...par, runs: undefined}, 'reshard-rebalance-p1': {...one, runs: undefined, ratio}}
    if (par.runs.length) rows.push(['rebalance', ds.tools[0].name, par.runs.length, fmtAuto(par.min), fmtAuto(par.median), fmtAuto(par.max), 'keys/s', fmtNum(par.peakRssKb / 1024), '—', '', ''])
    if (one.runs.length) {
      const ok = ratio !== null && ratio >= 1.5
      rows.push(['rebalance', ds.tools[1].name, one.runs.length, fmtAuto(one.min), fmtAuto(one.median), fmtAuto(one.max), 'keys/s', fmtNum(one.peakRssKb / 1024), `parallel ${fmtRatio(ratio)}`, 'parallel ≥ 1.5×', ratio === null ? '' : ok ? 'PASS' : 'FAIL'])
      if (ratio !== null) target('rebalance', `rebalance with 2 disjoint pairs: parallel ≥ 1.5× --parallel 1${sizeNote}`, ratio, ok)
    }
  }
}

{
  const ds = results.datasets.rss
  if (ds && ds.runs.length) {
    const mb = ds.runs.map((r) => r.peakRssKb / 1024)
    const st = summarize(mb)
    const ok = st.max <= 150
    ds.summary = {peakRssMB: st}
    rows.push([`rss (${fmtNum(ds.keys)} keys)`, 'reshard move: peak RSS', mb.length, fmtAuto(st.min), fmtAuto(st.median), fmtAuto(st.max), 'MB', fmtNum(st.max), '—', 'max ≤ 150 MB', ok ? 'PASS' : 'FAIL'])
    target('rss', `peak RSS of reshard moving ${fmtNum(ds.keys)} keys ≤ 150 MB${SHORT ? ' (short: fewer keys than the 1M target)' : ''}`, st.max, ok)
  }
}

{
  const ds = results.datasets.plan
  if (ds) {
    for (const [variant, v] of Object.entries(ds.variants)) {
      if (v.error) {
        rows.push(['plan', `planRebalance ${variant}`, 0, '—', '—', '—', 'ms', '—', '—', '(report only)', `error: ${v.error}`])
        continue
      }
      const st = summarize(v.runsMs)
      v.summary = st
      rows.push(['plan', `planRebalance ${variant} (${fmtNum(v.moves)} moves)`, v.runsMs.length, fmtMs(st.min), fmtMs(st.median), fmtMs(st.max), 'ms', '—', '—', '(report only)', ''])
    }
  }
}

const header = ['dataset', 'tool', 'runs', 'min', 'median', 'max', 'unit', 'peak RSS MB', 'ratio of medians', 'target', 'result']
const out = []
out.push(`\n## reshard benchmark${SHORT ? ' (--short: small sizes, targets are indicative only)' : ''}`)
out.push(`${results.machine.cpus} CPUs (${results.machine.cpuModel}), ${results.machine.node}, ${redisServerVersion.split(' ').slice(0, 3).join(' ')}; ${REPEATS} repeat(s), tools interleaved; rate = moved ÷ wall-clock of the whole process\n`)
for (const name of Object.keys(results.datasets)) {
  const ds = results.datasets[name]
  out.push(`- ${name}: ${ds.description}${ds.skipped ? ` — SKIPPED: ${ds.skipped}` : ''}`)
}
out.push('')
out.push(markdownTable(header, rows, ['l', 'l', 'r', 'r', 'r', 'r', 'l', 'r', 'l', 'l', 'l']))
if (latencyRows.length) {
  out.push(`\n### client latency during the move (latency dataset; one request in flight, 80% GET / 20% SET on the moving keys)\n`)
  out.push(markdownTable(['tool', 'runs', 'p50 ms', 'p99 ms (median)', 'p99 ms (worst)', 'max ms', 'req/s', 'errors', 'error samples'], latencyRows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']))
}
out.push(`\n### targets\n`)
for (const t of targets) {
  const v = t.pass === null ? `SKIP (${t.detail})` : `${t.pass ? 'PASS' : 'FAIL'}  ${t.detail ?? (typeof t.value === 'number' ? (t.target.includes('MB') ? `${fmtNum(t.value)} MB` : fmtRatio(t.value)) : '')}`
  out.push(`- ${t.target}: ${v}`)
}
if (targets.length === 0) out.push('- (none of the selected datasets has a target)')
if (results.errors.length) {
  out.push(`\n### errors\n`)
  for (const e of results.errors) out.push(`- ${e.split('\n').join('\n  ')}`)
}
results.loadAvgAtEnd = loadavg()
{
  // Only the load before we started anything says something about other work.
  const busy = results.loadAvgAtStart[0]
  if (busy > results.machine.cpus * 0.5) {
    out.push(`\nWARNING: the machine was already busy when the benchmark started (load average ${busy.toFixed(1)} on ${results.machine.cpus} CPUs): figures, latencies above all, are noisy. Re-run on an idle machine.`)
  }
}
results.finishedAt = new Date().toISOString()
results.seconds = (Date.now() - started) / 1000
out.push(`\ntotal ${results.seconds.toFixed(1)} s; JSON written to ${JSON_OUT}`)
process.stdout.write(out.join('\n') + '\n')

try {
  writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + '\n')
} catch (e) {
  process.stderr.write(`bench: cannot write ${JSON_OUT}: ${e.message}\n`)
  failed = true
}

if (failed || run.interrupted) {
  process.stderr.write(`logs of every run kept in ${logDir}\n`)
  rmSync(join(tmpRoot, 'no-sandbox.json'), {force: true})
} else {
  rmSync(tmpRoot, {recursive: true, force: true})
}
process.exit(run.interrupted ? 130 : failed ? 1 : 0)
