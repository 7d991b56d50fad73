// Which recorded sandbox a command means. `sandbox up|down|status --name N` name it; every
// other command (with no connection flags) takes env RESHARD_SANDBOX, or the one sandbox that
// runs. With several running and none chosen, it is a usage error that lists them: a command
// must never act on a cluster the user did not mean.
import {UsageError} from '../errors.js'
import {cliInvocation} from './invocation.js'
import {isSandboxProcess} from './process.js'
import {DEFAULT_SANDBOX_NAME, findSandboxState, listSandboxStates, type RecordedSandboxFile, type SandboxState} from './state.js'

export interface RecordedSandbox extends RecordedSandboxFile {
  /** Whether any recorded node is still our server process. */
  running: boolean
}

export function isRunning(state: SandboxState): boolean {
  return state.nodes.some((n) => isSandboxProcess(n.pid, n.port, state.redisServer))
}

/** Every recorded sandbox with whether it runs. */
export function listSandboxes(): RecordedSandbox[] {
  return listSandboxStates().map((s) => ({...s, running: isRunning(s.state)}))
}

/** "valkey (valkey 8.0.1, ports 32000-32005)" */
export function describeSandbox(s: RecordedSandboxFile): string {
  const ports = s.state.nodes.map((n) => n.port)
  const range = ports.length === 0 ? 'no nodes' : ports.length === 1 ? `port ${ports[0]}` : `ports ${Math.min(...ports)}-${Math.max(...ports)}`
  return `${s.name} (${[s.state.server?.label, range].filter(Boolean).join(', ')})`
}

function severalError(running: RecordedSandbox[], how: string): UsageError {
  return new UsageError(
    `${running.length} sandboxes are running: ${running.map(describeSandbox).join('; ')}`,
    how,
    {sandboxes: running.map((s) => s.name)},
  )
}

export interface ChooseOptions {
  /** An explicit name (--name); else env RESHARD_SANDBOX. */
  name?: string
  /** How to choose, for the error when several run (default: env RESHARD_SANDBOX or -c). */
  how?: string
}

/**
 * The sandbox meant: the named one (explicit, else env RESHARD_SANDBOX) if recorded; with no
 * name, the only one running, else the only one recorded (or "default"). Undefined when none
 * fits. Throws a UsageError (exit 2) listing them when several run and none is chosen.
 */
export function chooseSandbox(opts: ChooseOptions = {}): RecordedSandbox | undefined {
  const name = opts.name ?? (process.env.RESHARD_SANDBOX || undefined)
  if (name !== undefined) {
    const found = findSandboxState(name)
    return found ? {...found, running: isRunning(found.state)} : undefined
  }
  const all = listSandboxStates()
  if (all.length === 0) return undefined
  if (all.length === 1) return {...all[0]!, running: isRunning(all[0]!.state)}
  const withRunning = all.map((s) => ({...s, running: isRunning(s.state)}))
  const running = withRunning.filter((s) => s.running)
  if (running.length === 1) return running[0]
  if (running.length > 1) {
    throw severalError(running, opts.how ?? `choose one with env RESHARD_SANDBOX=NAME (e.g. \`RESHARD_SANDBOX=${running[0]!.name} ${cliInvocation()} status\`), or give a seed with -c host:port`)
  }
  return withRunning.find((s) => s.name === DEFAULT_SANDBOX_NAME)
}

/** The sandbox a command with no connection flags talks to (see chooseSandbox); a named one must exist. */
export function sandboxForConnection(): RecordedSandbox | undefined {
  const chosen = chooseSandbox()
  const name = process.env.RESHARD_SANDBOX
  if (!chosen && name) {
    const known = listSandboxStates()
    throw new UsageError(
      `no sandbox named "${name}" is recorded (env RESHARD_SANDBOX)`,
      known.length > 0 ? `recorded: ${known.map(describeSandbox).join('; ')}` : `start one with \`${cliInvocation()} sandbox up --name ${name}\``,
    )
  }
  return chosen
}
