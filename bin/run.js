#!/usr/bin/env node
// The CLI, bundled by `npm run build` (scripts/bundle.js: bin/main.js, every command, @oclif/core
// and what a command needs, in chunks shared by the commands). See README "Start-up time".
//
// `reshard --version` alone is answered here, with the line oclif prints (its config.userAgent:
// name/version platform-arch node-version; test/integration/startup.test.ts compares the two):
// loading oclif and its plugins to print one line costs more than the rest of the start. Under
// WSL oclif says "wsl" for the platform; there the line is left to oclif.
import {readFileSync} from 'node:fs'
import {arch, platform} from 'node:os'

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
if (!answered) await import('../dist/bundle/main.js')

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
