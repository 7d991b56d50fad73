// The server matrix the compatibility suite runs on. Debian's redis-server on PATH is always in
// it ("redis-7.0"); env RESHARD_TEST_SERVERS adds more as NAME=PATH pairs, comma-separated:
//   RESHARD_TEST_SERVERS=valkey-8.0=../shared/servers/valkey-8.0/valkey-server,valkey-9.0=...,redis-8=...
// `.ci/run` sets it from ../shared/servers when that folder exists. Without it, the suite runs
// on the PATH server only and says (once) which servers it skipped and how to enable them.
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {findOnPath} from '../../../src/sandbox/redis-binary.js'
import {REPO_ROOT} from './cluster.js'

export interface MatrixServer {
  /** "redis-7.0", "valkey-8.0", ... */
  name: string
  /** Absolute path of the server binary. */
  server: string
  /** The cli that comes with it (redis-cli, valkey-cli, kv-cli), for `--cluster check`. */
  cli: string
}

/** The builds in ../shared/servers the matrix knows, by name. */
export const KNOWN_SERVERS: Record<string, string> = {
  'valkey-8.0': 'valkey-8.0/valkey-server',
  'valkey-9.0': 'valkey-9.0-kv/kv-server',
  'redis-8': 'redis-8-unstable/redis-server',
}

/** The cli next to a server binary (valkey-server -> valkey-cli), or the PATH one for the PATH server. */
export function cliFor(server: string): string {
  const name = basename(server).replace(/-server$/, '-cli')
  const beside = join(dirname(server), name)
  if (existsSync(beside)) return beside
  const onPath = findOnPath(name)
  if (!onPath) throw new Error(`no ${name} next to ${server} nor on PATH`)
  return onPath
}

/** "a=PATH,b=PATH" -> [{name, server}]; paths relative to the repository root. */
export function parseServerList(text: string | undefined): Array<{name: string; server: string}> {
  if (!text || text.trim() === '') return []
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((pair) => {
      const i = pair.indexOf('=')
      if (i <= 0 || i === pair.length - 1) throw new Error(`RESHARD_TEST_SERVERS: "${pair}" is not NAME=PATH`)
      return {name: pair.slice(0, i), server: resolve(REPO_ROOT, pair.slice(i + 1))}
    })
}

/** The PATH redis-server as "redis-7.0" (its major.minor from --version), then every server of env RESHARD_TEST_SERVERS. */
export function matrixServers(env: NodeJS.ProcessEnv = process.env): MatrixServer[] {
  const pathServer = findOnPath('redis-server')
  const out: MatrixServer[] = []
  if (pathServer) {
    const v = /v=(\d+)\.(\d+)/.exec(execFileSync(pathServer, ['--version'], {encoding: 'utf8'}))
    out.push({name: `redis-${v ? `${v[1]}.${v[2]}` : 'path'}`, server: pathServer, cli: cliFor(pathServer)})
  }
  for (const {name, server} of parseServerList(env.RESHARD_TEST_SERVERS)) {
    if (out.some((s) => s.name === name)) continue
    if (!existsSync(server)) throw new Error(`RESHARD_TEST_SERVERS: ${name}=${server}: no such file (relative paths are from the repository root)`)
    out.push({name, server, cli: cliFor(server)})
  }
  return out
}

/** The known servers not in the matrix, and how to add them (for one line at the start of a suite). */
export function skippedServersNote(servers: MatrixServer[]): string | undefined {
  const missing = Object.keys(KNOWN_SERVERS).filter((n) => !servers.some((s) => s.name === n))
  if (missing.length === 0) return undefined
  const example = missing.map((n) => `${n}=../shared/servers/${KNOWN_SERVERS[n]}`).join(',')
  return `[matrix] running on ${servers.map((s) => s.name).join(', ')}; skipped ${missing.join(', ')}: set RESHARD_TEST_SERVERS=${example} (.ci/run sets it when ../shared/servers exists)`
}
