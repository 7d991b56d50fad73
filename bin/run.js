#!/usr/bin/env node
// Start-up time counts (`npm run bench` times whole processes against redis-cli), so, as in
// src/cli/oclif.ts: only the part of @oclif/core that runs a command (its index also loads semver
// and every helper), and required, not imported (an import of a CommonJS file makes Node scan
// its source for export names first).
import {createRequire} from 'node:module'

const {execute} = createRequire(import.meta.url)('@oclif/core/execute')

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

await execute({dir: import.meta.url})
