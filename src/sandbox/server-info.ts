// What a server says it is. Redis, Valkey and builds under other names (Valkey 9 as "kv") all
// answer INFO server; Valkey-based ones add `server_name` and `<name>_version` (and report
// redis_version:7.2.4 for compatibility), Redis has only redis_version (255.255.255 on unstable
// builds). Only for display and records: features are detected by probing commands and config
// names, never from these strings.
import type {Redis} from 'ioredis'
import type {SandboxServerIdentity} from './state.js'

/** Fields of an INFO reply ("k:v" lines; sections and blanks skipped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim()
  }
  return out
}

/** {name, version, label} from INFO server fields: "valkey 8.0.1", "kv 9.0.4", "redis 7.0.15", "redis 255.255.255 (unstable)". */
export function serverIdentity(info: Record<string, string>): SandboxServerIdentity {
  const name = (info.server_name || 'redis').toLowerCase()
  const version = info[`${name}_version`] || info.redis_version || 'unknown'
  // Redis' unstable branch reports 255.255.255 instead of a release number.
  const label = `${name} ${version}${version === '255.255.255' ? ' (unstable)' : ''}`
  return {name, version, label}
}

export async function probeServerIdentity(client: Redis): Promise<SandboxServerIdentity> {
  return serverIdentity(parseInfo(String(await client.call('INFO', 'server'))))
}

/** The config names, among `names`, that this server knows (CONFIG GET answers with the name). */
export async function knownConfigNames(client: Redis, names: readonly string[]): Promise<string[]> {
  const known: string[] = []
  for (const name of names) {
    const reply = (await client.call('CONFIG', 'GET', name)) as unknown
    if (Array.isArray(reply) && reply.length >= 2) known.push(name)
  }
  return known
}

/**
 * Log lines that say why a server exited at start: its warnings and errors ("#" level), a bad
 * config directive, an assertion or a crash report's reason, minus the usual start-up notices.
 */
export function startFailureReason(log: string): string {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(\d+:[A-Z] [^#]*# )?(-{5,}|!!! Software Failure.*|=+ .*BUG REPORT.*)$/.test(l))
  const reasons = lines.filter(
    (l) =>
      (/ # /.test(l) && !/overcommit|WARNING: The TCP backlog|Warning: no config file|oO0OoO0Oo|Redis version=|Configuration loaded/i.test(l)) ||
      /Bad directive|FATAL|Fatal error|Guru Meditation|ASSERTION FAILED|failed to load|Address already in use/i.test(l),
  )
  const picked = (reasons.length > 0 ? reasons : lines.slice(-3)).slice(0, 3)
  // "12345:M 02 Dec 2026 12:59:24.839 # Module x failed" -> "Module x failed"
  return picked.map((l) => l.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] /, '').replace(/^#+\s*/, '')).join('; ')
}
