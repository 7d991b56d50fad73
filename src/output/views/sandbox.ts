// `reshard sandbox up|status|down`: the sandboxes started, recorded or stopped, and their nodes.
import type {NodeStatus} from '../../sandbox/sandbox-status.js'
import type {SeedResult} from '../../sandbox/seed.js'
import type {SandboxState} from '../../sandbox/state.js'
import type {StopNodeResult as StopResult} from '../../sandbox/stop.js'
import {nodeTable} from '../../sandbox/table.js'
import {paint} from '../colour.js'
import type {View} from './view.js'

/** One recorded sandbox as `sandbox status --json` shows it. */
export interface SandboxStatusDocument {
  ok: true
  name: string
  server: string | null
  running: boolean
  healthy: boolean
  statePath: string
  dataDir: string
  password: boolean
  tls: boolean
  nodes: NodeStatus[]
}

/** No sandbox recorded (by that name). */
export interface NoSandboxDocument {
  ok: true
  running: false
  name: string | null
  nodes: []
}

export interface SandboxesDocument {
  ok: true
  running: boolean
  sandboxes: SandboxStatusDocument[]
}

export type SandboxStatusResult = SandboxStatusDocument | NoSandboxDocument | SandboxesDocument

function renderOne(d: SandboxStatusDocument): string {
  const alive = d.nodes.filter((n) => n.alive).length
  const health = d.healthy ? paint.green('healthy') : alive === 0 ? paint.red('not running') : paint.yellow('degraded')
  const extras = [d.password ? 'password' : '', d.tls ? 'TLS' : ''].filter(Boolean).join(', ')
  const out = [`Sandbox "${d.name}" ${health}: ${d.server ?? 'unknown server'}, ${alive}/${d.nodes.length} nodes alive${extras ? ` (${extras})` : ''}; data in ${d.dataDir}`]
  for (const line of nodeTable(d.nodes, {dim: paint.dim, good: paint.green, bad: paint.red})) out.push(`  ${line}`)
  if (alive === 0) out.push(`Every node is gone; \`reshard sandbox down --name ${d.name}\` cleans up the record.`)
  return out.join('\n')
}

export const sandboxStatusView: View<SandboxStatusResult> = {
  human: (d) => {
    if ('sandboxes' in d) return d.sandboxes.map(renderOne).join('\n\n')
    if ('statePath' in d) return renderOne(d)
    return `No sandbox${d.name ? ` named "${d.name}"` : ''} is recorded; start one with \`reshard sandbox up${d.name ? ` --name ${d.name}` : ''}\`.`
  },
}

export type SandboxDownDocument =
  | {ok: true; name: string | null; statePath: string; stopped: []}
  | {ok: true; name: string; statePath: string; dataDir: string; stopped: StopResult[]}

function stopped(r: StopResult): string {
  const what =
    r.result === 'stopped'
      ? paint.green('stopped')
      : r.result === 'killed'
        ? paint.yellow('killed (did not exit on SIGTERM)')
        : r.result === 'not_running'
          ? paint.dim('was not running')
          : paint.yellow(`left alone: PID ${r.pid} is no longer the server on port ${r.port}`)
  return `  ${r.hostname.padEnd(6)}  127.0.0.1:${r.port}  pid ${r.pid}  ${what}`
}

export const sandboxDownView: View<SandboxDownDocument> = {
  human: (d) => {
    if (!('dataDir' in d)) return `No sandbox${d.name ? ` named "${d.name}"` : ''} is recorded (${d.statePath}); nothing to stop.`
    return [...d.stopped.map(stopped), `Sandbox "${d.name}" down; removed ${d.dataDir} and ${d.statePath}`].join('\n')
  },
}

/** `sandbox up --json`. */
export interface SandboxUpDocument {
  ok: true
  name: string
  server: SandboxState['server'] | null
  statePath: string
  dataDir: string
  redisServer: string
  password: boolean
  tls: SandboxState['tls'] | null
  nodes: NodeStatus[]
  seeded: SeedResult | null
  ms: number
}

/** What `sandbox up` started: its document, and what people read besides. */
export interface SandboxUp {
  document: SandboxUpDocument
  /** Started under a name of its own (not "default"). */
  named: boolean
  /** The server's name and version as the nodes say it ("valkey 8.0.1"). */
  server?: string
  primaries: number
  replicas: number
  user?: string
  replicationAuth?: string[]
  /** A command that shows this sandbox, as typed. */
  statusHint: string
}

function seededLine(s: SeedResult): string {
  const types = Object.entries(s.byType)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ')
  return `Seeded ${s.count} keys (${types}; ${s.withTtl} with TTL, ${s.binaryNames} binary names) in ${(s.ms / 1000).toFixed(1)} s`
}

export const sandboxUpView: View<SandboxUp, SandboxUpDocument> = {
  human: (u) => {
    const d = u.document
    const replicas = u.replicas > 0 ? `, ${u.replicas} replica${u.replicas > 1 ? 's' : ''} each` : ''
    const out = [`${paint.green(`Sandbox${u.named ? ` "${d.name}"` : ''} up`)} in ${(d.ms / 1000).toFixed(1)} s: ${u.server ?? 'unknown server'}, ${u.primaries} primaries${replicas}; data in ${d.dataDir}`]
    for (const line of nodeTable(d.nodes, {dim: paint.dim, good: paint.green, bad: paint.red})) out.push(`  ${line}`)
    if (d.seeded) out.push(seededLine(d.seeded))
    if (d.password) {
      const repl = u.replicationAuth && u.replicationAuth.length > 0 ? `; replication: ${u.replicationAuth.join(', ')}` : ''
      const user = u.user !== undefined ? `, ACL user ${u.user}` : ''
      out.push(`Password: set${user} (kept in the 0600 state file; reshard commands use it, redis-cli needs REDISCLI_AUTH${repl})`)
    }
    if (d.tls) out.push(`TLS: CA certificate ${d.tls.caCert} (reshard commands use it; redis-cli needs --tls --cacert)`)
    out.push(paint.dim(`State: ${d.statePath}`))
    out.push(`try: ${paint.bold(u.statusHint)}`)
    return out.join('\n')
  },
  document: (u) => u.document,
}
