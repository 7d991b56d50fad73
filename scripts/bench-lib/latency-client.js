#!/usr/bin/env node
// The concurrent client of the latency benchmark, run as a child process (its own event loop,
// so the benchmark's bookkeeping never adds to its latencies). An ioredis Cluster client doing
// GET (80 %) and SET of the same value (20 %) on seeded keys of the moving slots, `inflight`
// requests at a time, as fast as it can. A GET that returns nil counts as an error: the key
// exists, so nil means it was lost (or not found where it should be) during the move.
//
// argv[2]: JSON {seeds: [{host, port}], count, slots, valueSize, prefix, sample, inflight}
// IPC in:  {cmd: 'start'} (reset and record), {cmd: 'stop'} (reply with stats, pause), {cmd: 'exit'}
// IPC out: {type: 'ready'}, {type: 'started'}, {type: 'stats', ...}
import {Cluster} from 'ioredis'
import {seedCommands, seedKeySpec} from '../../dist/sandbox/seed.js'

const cfg = JSON.parse(process.argv[2])
const seedOpts = {slots: cfg.slots, mix: 'strings', prefix: cfg.prefix, valueSize: cfg.valueSize}

// A deterministic sample of the seeded keys, spread over all of them.
const sample = Math.min(cfg.sample ?? 5000, cfg.count)
const keys = []
const values = []
for (let k = 0; k < sample; k++) {
  const index = Math.floor((k * cfg.count) / sample)
  const spec = seedKeySpec(index, seedOpts)
  const [cmd] = seedCommands(spec, seedOpts)
  keys.push(spec.key)
  values.push(cmd[2])
}

const cluster = new Cluster(cfg.seeds, {
  scaleReads: 'master',
  maxRedirections: 16,
  redisOptions: {protocol: 2, commandTimeout: 10_000},
})
cluster.on('error', () => {})

let recording = false
let paused = true
let resume
let latencies = []
let errors = 0
let errorSamples = new Map()
let ops = 0
let windowStart = 0
let stopping = false

function noteError(msg) {
  errors++
  const m = String(msg).split('\n')[0].slice(0, 120)
  errorSamples.set(m, (errorSamples.get(m) ?? 0) + 1)
}

async function worker(seed) {
  let j = seed
  while (!stopping) {
    if (paused) {
      await new Promise((r) => {
        const prev = resume
        resume = () => {
          prev?.()
          r()
        }
      })
      continue
    }
    // A cheap LCG walk over the sample (different start per worker).
    j = (j * 1103515245 + 12345) % 2147483648
    const k = j % keys.length
    const isSet = j % 5 === 0
    const wasRecording = recording
    const t0 = process.hrtime.bigint()
    try {
      if (isSet) await cluster.set(keys[k], values[k])
      else {
        const v = await cluster.getBuffer(keys[k])
        if (v === null && recording) noteError('GET returned nil for an existing key')
      }
    } catch (e) {
      if (recording) noteError(e?.message ?? e)
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e6
    if (recording && wasRecording) {
      latencies.push(dt)
      ops++
    }
  }
}

function pct(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function stats() {
  const sorted = Float64Array.from(latencies).sort()
  const secs = (performance.now() - windowStart) / 1000
  return {
    type: 'stats',
    requests: ops,
    opsPerSec: secs > 0 ? ops / secs : 0,
    p50Ms: pct(sorted, 50),
    p99Ms: pct(sorted, 99),
    p999Ms: pct(sorted, 99.9),
    maxMs: sorted.length ? sorted[sorted.length - 1] : null,
    errors,
    errorSamples: Object.fromEntries(errorSamples),
  }
}

process.on('message', (m) => {
  if (m.cmd === 'start') {
    latencies = []
    errors = 0
    errorSamples = new Map()
    ops = 0
    windowStart = performance.now()
    recording = true
    paused = false
    const r = resume
    resume = undefined
    r?.()
    process.send({type: 'started'})
  } else if (m.cmd === 'stop') {
    recording = false
    paused = true
    process.send(stats())
  } else if (m.cmd === 'exit') {
    stopping = true
    recording = false
    paused = false
    const r = resume
    resume = undefined
    r?.()
    cluster.disconnect()
    setTimeout(() => process.exit(0), 100).unref()
  }
})
process.on('disconnect', () => process.exit(0))

cluster.once('ready', async () => {
  // Warm up (connections open, slot map loaded, code JIT-compiled) before the first measured request.
  const until = performance.now() + (cfg.warmupMs ?? 1000)
  for (let k = 0; performance.now() < until; k++) await cluster.getBuffer(keys[k % keys.length]).catch(() => null)
  for (let w = 0; w < (cfg.inflight ?? 1); w++) worker(w * 7919 + 1)
  process.send({type: 'ready'})
})
