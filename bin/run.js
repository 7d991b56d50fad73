#!/usr/bin/env node
// The CLI, bundled by `npm run build` into one CommonJS file (scripts/bundle.js: bin/main.js, every
// command and hook, @oclif/core and what the commands need), loaded with V8's code cache
// (bin/code-cache.js). See README "Start-up time".
//
// `reshard --version` alone is answered here, with the line oclif prints (its config.userAgent:
// name/version platform-arch node-version; test/integration/startup.test.ts compares the two):
// loading oclif and its plugins to print one line costs more than the rest of the start. Under
// WSL oclif says "wsl" for the platform; there the line is left to oclif.
import {readFileSync} from 'node:fs'
import {arch, platform} from 'node:os'
import {fileURLToPath} from 'node:url'

const argv = process.argv.slice(2)
let answered = false
if (argv.length === 1 && argv[0] === '--version' && !(platform() === 'linux' && /microsoft/i.test(readOrEmpty('/proc/version')))) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const oclif = pjson.oclif ?? {}
  // a version flag of our own or an init hook would change the answer: oclif decides then (the
  // plugins have no init hook: test/integration/startup.test.ts fails when one gets one)
  if (!oclif.additionalVersionFlags && !oclif.hooks?.init) {
    process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
    answered = true
  }
}
if (!answered) {
  const {loadBundle, runKind} = await import('./code-cache.js')
  // the bundle's import() calls, made here (scripts/bundle.js says why)
  globalThis[Symbol.for('reshard.import')] = (url) => import(url)
  const cli = loadBundle(fileURLToPath(new URL('../dist/bundle/cli.cjs', import.meta.url)), {kind: runKind(argv)})
  // the command files oclif loads (dist/bundle/commands/*.js) take their class from here
  globalThis[Symbol.for('reshard.cli')] = cli
  await cli.main(argv)
}

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
