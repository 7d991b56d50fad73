#!/usr/bin/env node
// Runs the whole vitest suite and ends with a plain "N passed, N failed" line that any CI can
// read (STACK.md: vitest's own summary is not recognised everywhere). Exit code is vitest's.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'

const out = 'test-results.json'
rmSync(out, {force: true})
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)]
const r = spawnSync('npx', args, {stdio: 'inherit'})
let passed = 0
let failed = 0
let skipped = 0
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, 'utf8'))
  passed = j.numPassedTests ?? 0
  failed = (j.numFailedTests ?? 0) + (j.numRuntimeErrorTestSuites ?? 0)
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0)
} else {
  failed = 1
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : r.status || 1)
