#!/usr/bin/env node
// Where the time of one `reshard move` goes, phase by phase (the steps of `runMoves`, run
// in-process from dist/ with the same functions, each timed; the task's own states timed from
// the engine's events). Plus the CLI's start-up (node + oclif, `reshard --version`), which an
// in-process run does not pay. Evidence for the atomic path's speed (issue 10, Targets).
//
//   node scripts/bench/phases.js --server PATH [--keys N] [--slots N] [--mechanism auto|legacy] [--runs N]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {executeMoves, defaultParallel} from '../../dist/migration/executor.js'
import {groupPairs} from '../../dist/planner/pairs.js'
import {chooseMechanisms} from '../../dist/migration/mechanism.js'
import {DEFAULT_ENGINE_OPTIONS} from '../../dist/migration/options.js'
import {assertClusterReady, classifyMoves} from '../../dist/migration/preflight.js'
import {StopControl} from '../../dist/migration/stop-control.js'
import {countSlotKeys, openSession, takeLease} from '../../dist/operations/session.js'
import {BenchCluster} from '../bench-lib/cluster.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const {values: o} = parseArgs({options: {server: {type: 'string'}, keys: {type: 'string', default: '1000000'}, slots: {type: 'string', default: '100'}, mechanism: {type: 'string', default: 'auto'}, runs: {type: 'string', default: '2'}}})
const keys = Number(o.keys)
const nSlots = Number(o.slots)

function cliStartup() {
  const t0 = performance.now()
  spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), '--version'], {encoding: 'utf8'})
  return performance.now() - t0
}

/** runMoves, step by step, each step timed (ms). */
async function timedMove(seed, slots, to, mechanism) {
  const phases = []
  let t = performance.now()
  const lap = (name) => {
    const now = performance.now()
    phases.push([name, now - t])
    t = now
  }
  const [host, port] = seed.split(':')
  const session = await openSession({seeds: [{host, port: Number(port)}], source: 'bench', connectTimeoutMs: 3000, timeoutMs: 5000})
  lap('connect + discovery')
  const moves = slots.map((slot) => ({slot, from: session.topology.owners[slot], to}))
  assertClusterReady(session.topology, moves)
  const topo = await takeLease(session, 'bench phases')
  lap('lease + re-read')
  assertClusterReady(topo, moves)
  const {todo, skipped} = classifyMoves(topo, moves)
  await session.proveRights(topo, todo)
  lap('rights probe')
  const counts = await countSlotKeys(session.admin, todo)
  const todoK = todo.map((m) => ({...m, keys: counts.get(m.slot) ?? 0}))
  lap('key counting')
  const mech = await chooseMechanisms(session.admin, topo, groupPairs(todoK), mechanism)
  lap('mechanism detection')
  const marks = []
  const seen = new Set()
  session.bus.on((e) => {
    const k = e.type === 'slot-state' ? `state ${e.state}` : e.type
    if (['keys-moved', 'slot-done'].includes(e.type)) return
    if (!seen.has(k)) {
      seen.add(k)
      marks.push([k, performance.now()])
    }
  })
  const opts = {...DEFAULT_ENGINE_OPTIONS, parallel: defaultParallel(todoK)}
  const t0 = performance.now()
  const r = await executeMoves({admin: session.admin, topology: topo, todo: todoK, skipped, opts, bus: session.bus, stop: new StopControl(), mechanisms: mech})
  lap('execute (task + verify)')
  await session.close()
  lap('lease release + close')
  if (!r.ok) throw new Error(`move failed: ${r.error?.message}`)
  return {phases, marks: marks.map(([k, at]) => [k, at - t0]), mechanism: [...mech.values()].map((m) => m.mechanism).join(',')}
}

const tmpRoot = mkdtempSync(join(tmpdir(), 'reshard-phases-'))
const c = await BenchCluster.start({primaries: 3, tmpRoot, redisServer: o.server})
try {
  const slots = Array.from({length: nSlots}, (_, i) => i)
  await c.waitSettled()
  if (keys > 0) await c.seedKeys({count: keys, slots})
  process.stdout.write(`cli start-up (reshard --version): ${cliStartup().toFixed(0)} ms, ${cliStartup().toFixed(0)} ms\n`)
  let holder = 0
  for (let i = 0; i < Number(o.runs); i++) {
    await c.waitSettled()
    const to = c.nodes[1 - holder]
    const r = await timedMove(c.nodes[holder].address, slots, to.id, o.mechanism)
    holder = 1 - holder
    const total = r.phases.reduce((a, [, ms]) => a + ms, 0)
    process.stdout.write(`\nrun ${i + 1} (${r.mechanism}, ${keys} keys in ${nSlots} slots): ${total.toFixed(0)} ms in-process\n`)
    for (const [name, ms] of r.phases) process.stdout.write(`  ${name.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms\n`)
    process.stdout.write(`  engine events (ms after execute started):\n`)
    for (const [k, at] of r.marks) process.stdout.write(`    ${k.padEnd(26)} ${at.toFixed(1).padStart(8)}\n`)
  }
} finally {
  await c.stop()
  rmSync(tmpRoot, {recursive: true, force: true})
}
