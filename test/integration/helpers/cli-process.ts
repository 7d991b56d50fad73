// A CLI child process the test can watch and signal while it runs: its NDJSON progress events
// (stderr, one JSON object a line with `--json`) are parsed as they arrive, so a test can act
// (SIGKILL, SIGINT, SIGSTOP a server) the moment a given event appears.
import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'
import {REPO_ROOT, type CliResult} from './cluster.js'

export interface CliEvent {
  type: string
  slot?: number
  state?: string
  [k: string]: unknown
}

export interface LiveCli {
  child: ChildProcess
  pid: number
  /** Every NDJSON event seen so far, in order. */
  events: CliEvent[]
  /** Resolves with the first event (past or future) matching `pred`; rejects after `timeoutMs` or when the CLI exits first. */
  waitFor(pred: (e: CliEvent) => boolean, timeoutMs?: number): Promise<CliEvent>
  /** Resolves when stderr (events included) matches `re`; rejects after `timeoutMs` or when the CLI exits first. */
  waitForText(re: RegExp, timeoutMs?: number): Promise<void>
  /** Resolves when the process has exited (code -1 when killed by a signal). */
  done: Promise<CliResult & {signal: NodeJS.Signals | null}>
  exited: boolean
  signal(sig: NodeJS.Signals): void
}

/** Spawn `node bin/run.js ...args` (stdin a closed pipe, never a TTY). The child is SIGKILLed after `timeoutMs`. */
export function spawnCli(args: string[], opts: {env: NodeJS.ProcessEnv; timeoutMs?: number}): LiveCli {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args], {cwd: REPO_ROOT, env: opts.env, stdio: ['pipe', 'pipe', 'pipe']})
  child.stdin!.on('error', () => undefined)
  child.stdin!.end('')
  const events: CliEvent[] = []
  const waiters: Array<{pred: (e: CliEvent) => boolean; resolve: (e: CliEvent) => void; reject: (e: Error) => void; timer: NodeJS.Timeout}> = []
  let stdout = ''
  let stderr = ''
  let partial = ''
  const live: LiveCli = {
    child,
    pid: child.pid!,
    events,
    exited: false,
    waitFor(pred, timeoutMs = 60_000) {
      const seen = events.find(pred)
      if (seen) return Promise.resolve(seen)
      if (live.exited) return Promise.reject(new Error(`the CLI exited before the awaited event\nstderr: ${stderr.slice(-3000)}\nstdout: ${stdout.slice(-3000)}`))
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1)
            reject(new Error(`no matching event within ${timeoutMs} ms\nstderr: ${stderr.slice(-3000)}`))
          }, timeoutMs),
        }
        waiters.push(w)
      })
    },
    async waitForText(re, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!re.test(stderr)) {
        if (live.exited) throw new Error(`the CLI exited before stderr matched ${re}\nstderr: ${stderr.slice(-3000)}`)
        if (Date.now() > deadline) throw new Error(`stderr did not match ${re} within ${timeoutMs} ms\nstderr: ${stderr.slice(-3000)}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    done: undefined as unknown as LiveCli['done'],
    signal(sig) {
      if (!live.exited) child.kill(sig)
    },
  }
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return
    let e: CliEvent
    try {
      e = JSON.parse(line) as CliEvent
    } catch {
      return
    }
    if (typeof e.type !== 'string') return
    events.push(e)
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        clearTimeout(w.timer)
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(e)
      }
    }
  }
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
    partial += d
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const l of lines) onLine(l)
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000)
  live.done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer)
      live.exited = true
      if (partial) onLine(partial)
      for (const w of waiters.splice(0)) {
        clearTimeout(w.timer)
        w.reject(new Error(`the CLI exited (code ${code}, signal ${signal}) before the awaited event\nstderr: ${stderr.slice(-3000)}\nstdout: ${stdout.slice(-3000)}`))
      }
      resolve({code: code ?? -1, signal, stdout, stderr})
    })
  })
  return live
}

/** The first `slot-state` event of `slot` (any slot when omitted) reaching `state`. */
export const slotState =
  (state: string, slot?: number) =>
  (e: CliEvent): boolean =>
    e.type === 'slot-state' && e.state === state && (slot === undefined || e.slot === slot)

/** The first `keys-moved` event of `slot` (any slot when omitted). */
export const keysMoved =
  (slot?: number) =>
  (e: CliEvent): boolean =>
    e.type === 'keys-moved' && (slot === undefined || e.slot === slot)
