#!/usr/bin/env node
// Start-up time counts (`npm run bench` times whole processes against redis-cli), so, as in
// src/cli/oclif.ts: only the part of @oclif/core that runs a command (its index also loads semver
// and every helper), and required, not imported (an import of a CommonJS file makes Node scan
// its source for export names first).
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
const {run} = require('@oclif/core/run')

// The two checks the index would have made: a deleted working directory, and oclif's own
// engines range (>=18; semver is not worth loading for it).
try {
  process.cwd()
} catch (error) {
  if (error.code === 'ENOENT') process.stderr.write('WARNING: current directory does not exist\n')
}
if (!/^(1|true|yes|y)$/i.test(process.env.OCLIF_DISABLE_ENGINE_WARNING ?? '') && Number(process.versions.node.split('.')[0]) < 18) {
  process.emitWarning(`Node version must be >=18.0.0 to use this CLI. Current node version: ${process.versions.node}`)
}

// What @oclif/core/execute does, except that under --json a failure no command caught (an unknown
// command, say) is still one JSON document on stdout, as docs/ci.md promises for every failure.
const argv = process.argv.slice(2)
await run(argv, import.meta.url).then(
  () => require('@oclif/core/flush').flush(),
  (error) => {
    if (argv.includes('--json') && error?.code !== 'EEXIT' && !error?.skipOclifErrorHandling) {
      const exitCode = error?.oclif?.exit ?? 1
      const message = String(error?.message ?? error).split('\n')[0]
      process.stdout.write(JSON.stringify({ok: false, error: {kind: exitCode === 2 ? 'usage' : 'unexpected', message, exitCode}}, null, 2) + '\n')
      process.exitCode = exitCode
      return
    }
    return require('@oclif/core/handle').handle(error)
  },
)
