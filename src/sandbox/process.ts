// Sandbox processes: is a PID still the redis-server we started on that port? We only ever
// signal a recorded PID after this check, so a reused PID is never hit.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {basename} from 'node:path'

/** Whether `pid` is a live (not zombie) process. */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (e) {
    // EPERM: it exists but is not ours to signal.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return true // no /proc (macOS): kill(0) said it exists
  }
}

/** The command line of `pid` (as the process shows it; redis-server rewrites its title), or undefined. */
export function processCommandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return raw.split('\0').filter((s) => s !== '').join(' ')
  } catch {
    // no /proc: ask ps
  }
  try {
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000}).trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is alive and is the server we started on `port`: its title names the server
 * binary (redis-server, or the basename of the binary we ran) and ":<port>".
 */
export function isSandboxProcess(pid: number, port: number, serverPath = 'redis-server'): boolean {
  if (!isPidAlive(pid)) return false
  const cmd = processCommandLine(pid)
  if (!cmd) return false
  const names = new Set(['redis-server', 'valkey-server', basename(serverPath)])
  const namesServer = [...names].some((n) => cmd.includes(n))
  return namesServer && new RegExp(`:${port}(\\D|$)`).test(cmd)
}

/** Wait until none of `pids` is alive, or the deadline. Returns the ones still alive. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter(isPidAlive)
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25)
    alive = alive.filter(isPidAlive)
  }
  return alive
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
