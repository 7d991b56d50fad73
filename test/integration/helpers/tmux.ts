// A real terminal for tests: tmux on a private socket, running the built CLI.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {REPO_ROOT} from './cluster.js'

export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

/** A real terminal (tmux) running the built CLI; the exit code lands in a file. */
export class Terminal {
  private readonly socket = `reshard-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`
  private readonly session = 'wiz'
  readonly dir = mkdtempSync(join(tmpdir(), 'reshard-tmux-'))
  private readonly exitFile = join(this.dir, 'exit')

  start(env: NodeJS.ProcessEnv, args: string[], size: {columns: number; rows: number} = {columns: 160, rows: 60}): void {
    const script = join(this.dir, 'run.sh')
    const exports = Object.entries(env)
      .filter(([k, v]) => v !== undefined && /^(RESHARD_|REDISCLI_AUTH|PATH|HOME|NO_COLOR)/.test(k))
      .map(([k, v]) => `export ${k}='${String(v).replace(/'/g, `'\\''`)}'`)
    writeFileSync(script, `#!/bin/sh\n${exports.join('\n')}\ncd '${REPO_ROOT}'\nnode bin/run.js ${args.map((a) => `'${a}'`).join(' ')}\necho $? > '${this.exitFile}'\nsleep 60\n`, {mode: 0o700})
    this.tmux('new-session', '-d', '-s', this.session, '-x', String(size.columns), '-y', String(size.rows), script)
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8'})
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-S', '-200', '-t', this.session)
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys)
  }

  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const s = this.screen()
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async exitCode(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (!existsSync(this.exitFile)) {
      if (Date.now() > deadline) throw new Error(`the wizard did not exit; screen:\n${this.screen()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    return Number(readFileSync(this.exitFile, 'utf8').trim())
  }

  stop(): void {
    try {
      this.tmux('kill-server')
    } catch {
      /* already gone */
    }
    rmSync(this.dir, {recursive: true, force: true})
  }
}

