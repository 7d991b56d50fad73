// Finding `redis-server`, checking it is 7.0 or newer, and saying how to install it when not.
import {execFileSync} from 'node:child_process'
import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {PreconditionError} from '../errors.js'

export const MIN_REDIS_MAJOR = 7

export const INSTALL_HINT =
  'install Redis 7 or newer: `sudo apt-get install redis-server` (Debian/Ubuntu 24.04+, or the packages.redis.io repository), ' +
  '`brew install redis` (macOS), or build it from https://redis.io/download; then re-run, or give the binary with --redis-server PATH'

export interface RedisBinary {
  path: string
  version: string
  major: number
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first executable `name` in the directories of a PATH value, then in `extra`; or undefined. */
export function searchPath(name: string, path: string | undefined, extra: readonly string[] = []): string | undefined {
  const dirs = (path ?? '').split(delimiter).filter((d) => d !== '')
  for (const d of [...dirs, ...extra]) {
    const p = join(d, name)
    if (isExecutableFile(p)) return p
  }
  return undefined
}

/** `redis-server` on PATH (or in the usual places), or undefined. */
export function findOnPath(name = 'redis-server'): string | undefined {
  return searchPath(name, process.env.PATH, ['/usr/local/bin', '/usr/bin', '/opt/homebrew/bin', '/usr/sbin'])
}

const cache = new Map<string, RedisBinary>()

/**
 * The redis-server to run: `explicit` if given (it must exist), else the one on PATH.
 * Throws a PreconditionError that says how to install Redis when there is none or it is too old.
 */
export function locateRedisServer(explicit?: string): RedisBinary {
  const path = explicit ?? findOnPath()
  if (!path) {
    throw new PreconditionError('redis_server_missing', '`redis-server` was not found on PATH', INSTALL_HINT)
  }
  const hit = cache.get(path)
  if (hit) return hit
  if (!isExecutableFile(path)) {
    throw new PreconditionError('redis_server_missing', `${path} is not an executable file`, INSTALL_HINT)
  }
  let out: string
  try {
    out = execFileSync(path, ['--version'], {encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe']})
  } catch {
    throw new PreconditionError('redis_server_broken', `${path} --version failed`, INSTALL_HINT)
  }
  const m = /v=(\d+)\.(\d+)\.(\d+)/.exec(out)
  if (!m) throw new PreconditionError('redis_server_broken', `cannot read the version of ${path} ("${out.trim()}")`, INSTALL_HINT)
  const major = Number(m[1])
  const version = `${m[1]}.${m[2]}.${m[3]}`
  if (major < MIN_REDIS_MAJOR) {
    throw new PreconditionError('redis_server_too_old', `${path} is Redis ${version}; the sandbox needs Redis ${MIN_REDIS_MAJOR}.0 or newer`, INSTALL_HINT)
  }
  const found = {path, version, major}
  cache.set(path, found)
  return found
}
