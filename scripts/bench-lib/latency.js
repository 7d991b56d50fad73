// The parent side of the latency client (see latency-client.js): start it, open and close
// measuring windows around a tool run, collect its stats.
import {fork} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {trackChild} from './proc.js'

const CLIENT = fileURLToPath(new URL('./latency-client.js', import.meta.url))

export class LatencyClient {
  static async start(cfg, {env, logFd} = {}) {
    const child = fork(CLIENT, [JSON.stringify(cfg)], {env, stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore', 'ipc']})
    trackChild(child)
    const lc = new LatencyClient(child)
    await lc.next('ready', 30_000)
    return lc
  }

  constructor(child) {
    this.child = child
    this.waiters = []
    this.exited = false
    child.on('message', (m) => {
      const i = this.waiters.findIndex((w) => w.type === m.type)
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m)
    })
    child.once('exit', (code) => {
      this.exited = true
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the latency client exited (code ${code})`))
    })
  }

  next(type, timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error('the latency client is not running'))
      const w = {type, resolve, reject}
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w)
        reject(new Error(`the latency client did not answer "${type}" in time`))
      }, timeoutMs)
      w.resolve = (m) => {
        clearTimeout(t)
        resolve(m)
      }
      w.reject = (e) => {
        clearTimeout(t)
        reject(e)
      }
      this.waiters.push(w)
    })
  }

  async begin() {
    const p = this.next('started')
    this.child.send({cmd: 'start'})
    await p
  }

  async end() {
    const p = this.next('stats')
    this.child.send({cmd: 'stop'})
    return p
  }

  async close() {
    if (this.exited) return
    const done = new Promise((r) => this.child.once('exit', r))
    try {
      this.child.send({cmd: 'exit'})
    } catch {
      // channel closed
    }
    const t = setTimeout(() => this.child.kill('SIGTERM'), 2000)
    await done
    clearTimeout(t)
  }
}
