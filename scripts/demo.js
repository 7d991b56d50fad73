#!/usr/bin/env node
// `npm run demo`: a local sandbox cluster with keys, `reshard move 100 --to nodeB` with
// progress bars, `reshard status`, then the sandbox is stopped. Uses its own state file, so a
// sandbox you started yourself is never touched.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isNodePortFree} from '../dist/sandbox/ports.js'
import {findFreePortRange} from '../dist/sandbox/ports.js'
import {readSandboxState} from '../dist/sandbox/state.js'
import {seedKeys} from '../dist/sandbox/seed.js'

const home = mkdtempSync(join(tmpdir(), 'reshard-demo-'))
const env = {...process.env, RESHARD_SANDBOX_STATE: join(home, 'sandbox.json')}
delete env.RESHARD_CLUSTER
delete env.REDISCLI_AUTH

let port = 30001
for (let p = port; p < port + 3; p++) if (!(await isNodePortFree(p))) port = 0
if (port === 0) port = await findFreePortRange(3)

const reshard = (args, title) => {
  process.stdout.write(`\n\x1b[1m$ reshard ${args.join(' ')}\x1b[0m${title ? `   # ${title}` : ''}\n`)
  const r = spawnSync(process.execPath, ['bin/run.js', ...args], {stdio: 'inherit', env})
  return r.status ?? 1
}

let code = 0
try {
  code = reshard(['sandbox', 'up', '--port', String(port), '--keys', '100000'], '3 primaries, 100k keys of every type')
  if (code !== 0) throw new Error('sandbox up failed')
  // A few more keys in slot 100, so its move is worth watching.
  const state = readSandboxState(env.RESHARD_SANDBOX_STATE)
  await seedKeys(state, {count: 200000, slots: [100], prefix: 'demo', mix: 'strings'})
  process.stdout.write('(seeded 200000 more keys into slot 100)\n')
  code = reshard(['move', '100', '--to', 'nodeB', '--yes'], 'move slot 100 and its keys to nodeB, live')
  if (code === 0) code = reshard(['status'])
  if (code === 0) code = reshard(['check'])
} catch (e) {
  process.stderr.write(`demo: ${e instanceof Error ? e.message : e}\n`)
  code = code || 1
} finally {
  reshard(['sandbox', 'down'])
  rmSync(home, {recursive: true, force: true})
}
process.exit(code)
