// Stopping a sandbox: exactly the recorded processes (each checked to still be our server on
// its port), then its state file and the data it made.
import {rmSync, rmdirSync} from 'node:fs'
import {join} from 'node:path'
import {isPidAlive, isSandboxProcess, waitForExit} from './process.js'
import {removeSandboxState, sandboxStatePath, type SandboxState} from './state.js'

export interface StopNodeResult {
  port: number
  pid: number
  hostname: string
  /** stopped: we signalled it and it exited; not_running: already gone; not_ours: the PID now belongs to another process (left alone). */
  result: 'stopped' | 'killed' | 'not_running' | 'not_ours'
}

export interface StopSandboxOptions {
  /** The state file to remove: undefined = the default, null = none. */
  statePath?: string | null
  /** Remove the data directory (default true). */
  removeData?: boolean
}

/** Stop exactly the recorded processes (each checked to still be our server on its port), then clean up. */
export async function stopSandbox(state: SandboxState, opts: StopSandboxOptions = {}): Promise<StopNodeResult[]> {
  const results: StopNodeResult[] = []
  const signalled: number[] = []
  for (const n of state.nodes) {
    const base = {port: n.port, pid: n.pid, hostname: n.hostname}
    if (!isPidAlive(n.pid)) {
      results.push({...base, result: 'not_running'})
    } else if (!isSandboxProcess(n.pid, n.port, state.redisServer)) {
      results.push({...base, result: 'not_ours'})
    } else {
      try {
        process.kill(n.pid, 'SIGTERM')
        signalled.push(n.pid)
        results.push({...base, result: 'stopped'})
      } catch {
        results.push({...base, result: 'not_running'})
      }
    }
  }
  const stubborn = await waitForExit(signalled, 5000)
  for (const pid of stubborn) {
    const r = results.find((x) => x.pid === pid)!
    if (isSandboxProcess(pid, r.port, state.redisServer)) {
      try {
        process.kill(pid, 'SIGKILL')
        r.result = 'killed'
      } catch {
        // exited meanwhile
      }
    }
  }
  await waitForExit(stubborn, 3000)
  if (opts.removeData !== false) removeSandboxData(state)
  const statePath = opts.statePath === undefined ? sandboxStatePath(state.name) : opts.statePath
  if (statePath) removeSandboxState(statePath)
  return results
}

/** Remove what the sandbox put in its data dir, and the dir itself if the sandbox made it (or it is now empty). */
function removeSandboxData(state: SandboxState): void {
  if (state.ownsDataDir) {
    rmSync(state.dataDir, {recursive: true, force: true})
    return
  }
  for (const n of state.nodes) rmSync(n.dir, {recursive: true, force: true})
  if (state.tls) rmSync(join(state.dataDir, 'tls'), {recursive: true, force: true})
  try {
    rmdirSync(state.dataDir)
  } catch {
    // not empty: someone else's files; leave them
  }
}
