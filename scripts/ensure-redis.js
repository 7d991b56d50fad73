#!/usr/bin/env node
// Make sure redis-server (and redis-cli) 7+ are available for the tests, demo and benchmarks.
// As root on Debian/Ubuntu it installs them with apt-get; then it makes sure no Debian-started
// redis service is left listening on 6379 (only one that the install started). Otherwise it
// says how to install Redis and exits 1. Plain Node, no dependencies.
import {execFileSync, spawnSync} from 'node:child_process'
import {accessSync, constants, readFileSync, statSync} from 'node:fs'
import {connect} from 'node:net'
import {delimiter, join} from 'node:path'

const MIN_MAJOR = 7
const HOW_TO_INSTALL = `Install Redis ${MIN_MAJOR} or newer, then re-run:
  Debian/Ubuntu:  sudo apt-get install redis-server redis-tools   (Debian 12+/Ubuntu 24.04+; older releases: https://packages.redis.io)
  macOS:          brew install redis
  from source:    https://redis.io/docs/latest/operate/oss_and_stack/install/build-stack/
The sandbox can also use a binary elsewhere: reshard sandbox up --redis-server /path/to/redis-server`

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const p = join(dir, name)
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK)
        return p
      }
    } catch {
      // not here
    }
  }
  return undefined
}

function fail(message) {
  process.stderr.write(`ensure-redis: ${message}\n\n${HOW_TO_INSTALL}\n`)
  process.exit(1)
}

function version(bin) {
  try {
    const out = execFileSync(bin, ['--version'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000})
    const m = /v=(\d+)\.(\d+)\.(\d+)/.exec(out)
    return m ? {text: `${m[1]}.${m[2]}.${m[3]}`, major: Number(m[1])} : undefined
  } catch {
    return undefined
  }
}

function listening(port) {
  return new Promise((resolve) => {
    const s = connect({host: '127.0.0.1', port})
    s.setTimeout(1000)
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('timeout', () => (s.destroy(), resolve(false)))
    s.once('error', () => (s.destroy(), resolve(false)))
  })
}

function run(cmd, args, env = {}) {
  process.stderr.write(`ensure-redis: ${cmd} ${args.join(' ')}\n`)
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'inherit', 'inherit'], env: {...process.env, ...env}})
  return r.status === 0
}

/** Stop the redis-server the package started on 6379, and only that one. */
async function stopDebianService() {
  if (!(await listening(6379))) return
  if (onPath('service')) run('service', ['redis-server', 'stop'])
  await new Promise((r) => setTimeout(r, 300))
  if (!(await listening(6379))) return
  try {
    const pid = Number(readFileSync('/var/run/redis/redis-server.pid', 'utf8').trim())
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
    if (pid > 1 && cmdline.includes('redis-server') && /:6379\b/.test(cmdline)) {
      process.stderr.write(`ensure-redis: stopping the packaged redis-server (pid ${pid}) on 6379\n`)
      process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 50 && (await listening(6379)); i++) await new Promise((r) => setTimeout(r, 100))
    }
  } catch {
    // no pid file or not a redis-server: leave it alone
  }
  if (await listening(6379)) process.stderr.write('ensure-redis: warning: something still listens on 127.0.0.1:6379 (left alone)\n')
}

async function main() {
  let server = onPath('redis-server')
  let cli = onPath('redis-cli')
  if (!server || !cli) {
    const missing = [!server && 'redis-server', !cli && 'redis-cli'].filter(Boolean).join(' and ')
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
    const apt = onPath('apt-get')
    if (!isRoot || !apt) fail(`${missing} not found on PATH${apt && !isRoot ? ' (not root: will not run apt-get)' : ''}`)
    // Something already on 6379 before we install is the user's: never touch it.
    const busyBefore = await listening(6379)
    const env = {DEBIAN_FRONTEND: 'noninteractive'}
    if (!run('apt-get', ['update'], env)) fail('apt-get update failed')
    if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server', 'redis-tools'], env)) fail('apt-get install redis-server redis-tools failed')
    if (!busyBefore) await stopDebianService()
    server = onPath('redis-server')
    cli = onPath('redis-cli')
    if (!server || !cli) fail('redis-server/redis-cli still not on PATH after apt-get install')
  }
  const v = version(server)
  if (!v) fail(`cannot read the version of ${server}`)
  if (v.major < MIN_MAJOR) fail(`${server} is Redis ${v.text}; Redis ${MIN_MAJOR}.0 or newer is needed (cluster-announce-hostname, ADDSLOTSRANGE)`)
  process.stderr.write(`ensure-redis: ${server} (Redis ${v.text}) and ${cli}\n`)
}

await main()
