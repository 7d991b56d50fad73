#!/usr/bin/env node
// The CLI, bundled by `npm run build` into one CommonJS file (scripts/bundle.js: bin/main.js, every
// command and hook, @oclif/core and what the commands need), loaded with V8's code cache
// (bin/code-cache.js). See README "Start-up time".
//
// `reshard --version` alone is answered here, with the line oclif prints (its config.userAgent:
// name/version platform-arch node-version; test/integration/startup.test.ts compares the two):
// loading oclif and its plugins to print one line costs more than the rest of the start. Under
// WSL oclif says "wsl" for the platform; there the line is left to oclif.
//
// CommonJS (bin/package.json), like the bundle and the command files oclif loads from it: a start
// then never sets up Node's ES module loader (8-10 ms).
const {readFileSync} = require('node:fs')
const {arch, platform} = require('node:os')
const {join} = require('node:path')

const argv = process.argv.slice(2)
let answered = false
if (argv.length === 1 && argv[0] === '--version' && !(platform() === 'linux' && /microsoft/i.test(readOrEmpty('/proc/version')))) {
  const pjson = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))
  const oclif = pjson.oclif ?? {}
  // a version flag of our own or an init hook would change the answer: oclif decides then (the
  // plugins have no init hook: test/integration/startup.test.ts fails when one gets one)
  if (!oclif.additionalVersionFlags && !oclif.hooks?.init) {
    process.stdout.write(`${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
    answered = true
  }
}
if (!answered) {
  const {loadBundle, runKind} = require('./code-cache.js')
  // the bundle's import() calls, made here (scripts/bundle.js says why)
  globalThis[Symbol.for('reshard.import')] = (url) => import(url)
  const cli = loadBundle(join(__dirname, '..', 'dist', 'bundle', 'cli.cjs'), {kind: runKind(argv)})
  // the command files oclif loads (dist/bundle/commands/*.cjs) take their class from here
  globalThis[Symbol.for('reshard.cli')] = cli
  cli.main(argv)
}

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
