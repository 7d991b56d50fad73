// How a sandbox node is configured: its host, hostname, share of the slots, and redis.conf
// (written 0600 by node-spawn.ts: it may hold the password).
import {SLOT_COUNT} from './keyslot.js'
import type {SandboxState} from './state.js'

/** Every sandbox node listens on loopback only. */
export const HOST = '127.0.0.1'

/** Hostnames nodeA..nodeZ, nodeAA, nodeAB, ... by node index. */
export function nodeHostname(index: number): string {
  let k = index + 1
  let s = ''
  while (k > 0) {
    const r = (k - 1) % 26
    s = String.fromCharCode(65 + r) + s
    k = Math.floor((k - 1) / 26)
  }
  return `node${s}`
}

/** Slot ranges per primary: 16384/N each, the remainder to the first ones. */
export function spreadSlots(primaries: number): Array<[number, number]> {
  const base = Math.floor(SLOT_COUNT / primaries)
  const rem = SLOT_COUNT % primaries
  const out: Array<[number, number]> = []
  let next = 0
  for (let i = 0; i < primaries; i++) {
    const n = base + (i < rem ? 1 : 0)
    out.push([next, next + n - 1])
    next += n
  }
  return out
}

/** A value for a redis.conf line, double-quoted with escapes (the parser is sdssplitargs). */
function confQuote(value: string): string {
  let out = '"'
  for (const ch of Buffer.from(value, 'utf8')) {
    if (ch === 0x22 || ch === 0x5c) out += '\\' + String.fromCharCode(ch)
    else if (ch >= 0x20 && ch < 0x7f) out += String.fromCharCode(ch)
    else out += '\\x' + ch.toString(16).padStart(2, '0')
  }
  return out + '"'
}

export interface NodeSpec {
  port: number
  hostname: string
  dir: string
}

export function nodeConfig(node: NodeSpec, state: Pick<SandboxState, 'password' | 'tls' | 'user'>): string {
  const lines = [
    `bind ${HOST}`,
    'protected-mode no',
    'daemonize no',
    'logfile ""',
    `dir ${confQuote(node.dir)}`,
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    'cluster-node-timeout 5000',
    `cluster-announce-hostname ${node.hostname}`,
    'cluster-preferred-endpoint-type ip',
    'appendonly no',
    'save ""',
    // The first full sync of a replica starts at once instead of after 5 s.
    'repl-diskless-sync-delay 0',
    // `down` sends SIGTERM: exit without saving or waiting for lagging replicas.
    'shutdown-on-sigterm nosave now',
  ]
  if (state.tls) {
    lines.push(
      'port 0',
      `tls-port ${node.port}`,
      `tls-cert-file ${confQuote(state.tls.cert)}`,
      `tls-key-file ${confQuote(state.tls.key)}`,
      `tls-ca-cert-file ${confQuote(state.tls.caCert)}`,
      'tls-cluster yes',
      'tls-replication yes',
      'tls-auth-clients optional',
    )
  } else {
    lines.push(`port ${node.port}`)
  }
  if (state.password !== undefined) {
    lines.push(`requirepass ${confQuote(state.password)}`, `masterauth ${confQuote(state.password)}`)
    if (state.user !== undefined) {
      lines.push(`user ${confQuote(state.user)} on ${confQuote(`>${state.password}`)} ~* &* +@all`, `masteruser ${confQuote(state.user)}`)
    }
  }
  return lines.join('\n') + '\n'
}
