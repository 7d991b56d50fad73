// Running a tool the way an operator does, timed from spawn to exit, while sampling its peak
// resident memory (VmHWM from /proc) — and only ever signalling processes we started.
import {spawn} from 'node:child_process'
import {closeSync, openSync, readFileSync} from 'node:fs'

const running = new Set()

/** SIGTERM every child process this benchmark started that is still running. */
export function killRunningChildren(signal = 'SIGTERM') {
  for (const child of running) {
    try {
      child.kill(signal)
    } catch {
      // gone
    }
  }
}

export function trackChild(child) {
  running.add(child)
  child.once('exit', () => running.delete(child))
}

function peakRssKb(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmHWM:\s+(\d+) kB/.exec(s) ?? /VmRSS:\s+(\d+) kB/.exec(s)
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

export function tail(path, lines = 12) {
  try {
    const text = readFileSync(path, 'utf8')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * Spawn `cmd args` with stdout+stderr appended to `logPath`; resolve when it exits with
 * {ms (spawn to exit), code, signal, peakRssKb}.
 */
export function timedRun(cmd, args, {env, cwd, logPath, rssPollMs = 20}) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logPath, 'a')
    let child
    const t0 = process.hrtime.bigint()
    try {
      child = spawn(cmd, args, {cwd, env, stdio: ['ignore', fd, fd]})
    } catch (e) {
      closeSync(fd)
      reject(e)
      return
    }
    closeSync(fd)
    trackChild(child)
    let peak = 0
    const poll = () => {
      if (child.pid) peak = Math.max(peak, peakRssKb(child.pid))
    }
    const timer = setInterval(poll, rssPollMs)
    poll()
    child.once('error', (e) => {
      clearInterval(timer)
      reject(e)
    })
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      clearInterval(timer)
      resolve({ms, code, signal, peakRssKb: peak})
    })
  })
}
