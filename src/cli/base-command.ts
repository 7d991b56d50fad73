// The base of every command: shared connection/output flags, and the one place where typed
// errors become a one-line message (or a --json document) and an exit code.
import {Command, Errors, Flags} from './oclif.js'
import type {Interfaces} from '@oclif/core'
import {AbortedError, EXIT, PreconditionError, ReshardError, UsageError, redact} from '../errors.js'
import type {ConnectionOptions} from '../cluster/connection.js'
import {resolveConnection} from './connection-target.js'
import {paint} from '../output/colour.js'
import {closestWord} from './suggest.js'
import type {View} from '../output/views/view.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/** The flags every command has, typed without knowing the command. */
type ConnectionFlagValues = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags']>

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    cluster: Flags.string({
      char: 'c',
      multiple: true,
      helpGroup: 'CONNECTION',
      description: 'seed node host:port (repeatable; env RESHARD_CLUSTER, comma-separated). Default: the running sandbox',
    }),
    user: Flags.string({helpGroup: 'CONNECTION', description: 'ACL user name (password from env REDISCLI_AUTH or --askpass)'}),
    askpass: Flags.boolean({helpGroup: 'CONNECTION', description: 'ask for the password on the terminal (masked)'}),
    tls: Flags.boolean({helpGroup: 'CONNECTION', description: 'connect with TLS'}),
    cacert: Flags.string({helpGroup: 'CONNECTION', description: 'CA certificate file for --tls'}),
    cert: Flags.string({helpGroup: 'CONNECTION', description: 'client certificate file for --tls'}),
    key: Flags.string({helpGroup: 'CONNECTION', description: 'client private key file for --tls'}),
    timeout: Flags.string({
      helpGroup: 'CONNECTION',
      description: 'seconds a node may take to connect or to answer a command that should answer at once (default 5); a node that does not is reported by address',
    }),
    quiet: Flags.boolean({char: 'q', helpGroup: 'OUTPUT', description: 'print no progress, only the result'}),
  }

  protected flags!: BaseFlags<T>
  protected args!: Interfaces.InferredArgs<T['args']>
  private secrets: string[] = []
  /** The --json document present() printed: oclif must not print it again as the returned value. */
  private presented?: object
  private cleanups: Array<() => Promise<void> | void> = []

  static override get usage(): string | undefined {
    return undefined
  }

  override async init(): Promise<void> {
    await super.init()
    const {flags, args} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as Interfaces.InferredArgs<T['args']>
    if (process.env.REDISCLI_AUTH) this.secrets.push(process.env.REDISCLI_AUTH)
    // A closed pipe on stdout/stderr (`reshard ... | head`) must not kill a run half-way and
    // leave slots open: output is dropped, the run goes on.
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e
      })
    }
  }

  /** Connection options from flags, env and the sandbox state. */
  protected async connection(): Promise<ConnectionOptions> {
    const f: ConnectionFlagValues = this.flags
    const conn = await resolveConnection({
      cluster: f.cluster,
      user: f.user,
      askpass: Boolean(f.askpass),
      tls: Boolean(f.tls),
      cacert: f.cacert,
      cert: f.cert,
      key: f.key,
      timeout: parseTimeout(f.timeout),
    })
    if (conn.password) {
      this.secrets.push(conn.password)
      // bin/run.js masks these in everything written while DEBUG is set (ioredis' debug output)
      ;((globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('reshard.secrets')] ??= new Set()).add(conn.password)
    }
    return conn
  }

  protected onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn)
  }

  /**
   * The one confirmation before a change (move, apply, rebalance, drain, recover, add-node,
   * remove-node, the wizard's runs): --yes and --dry-run need no answer; without a terminal we
   * refuse rather than wait for input; Ctrl-C at the question changes nothing (exit 130).
   */
  protected async askBeforeChange(question: string): Promise<boolean> {
    const f = this.flags as {yes?: boolean; 'dry-run'?: boolean}
    if (f.yes || f['dry-run']) return true
    if (!this.interactive) {
      throw new UsageError('refusing to change the cluster without --yes: stdin is not a terminal', 'add --yes to run without confirmation, or --dry-run to preview')
    }
    const {confirm} = await import('@inquirer/prompts')
    try {
      return await confirm({message: question, default: false})
    } catch {
      throw new AbortedError('nothing was changed')
    }
  }

  protected get json(): boolean {
    return this.jsonEnabled()
  }

  /** Whether the command may ask for confirmation: never when stdin is not a TTY. */
  protected get interactive(): boolean {
    return Boolean(process.stdin.isTTY) && !this.jsonEnabled()
  }

  /**
   * The one place a result is printed: under --json its document (once: oclif's own printing of
   * the returned value skips it, see logJson), otherwise the view's text; then the exit code the
   * result means (a verdict), set without an error so nothing more is printed. Returns the
   * document, which the command returns.
   */
  protected present<R extends object, D extends object = R>(result: R, view: View<R, D>): D {
    const document = view.document ? view.document(result) : (result as unknown as D)
    if (this.jsonEnabled()) {
      if (view.text) process.stdout.write(view.text(result))
      else this.logJson(document)
      this.presented = document
    } else {
      const text = view.human(result, {quiet: Boolean((this.flags as {quiet?: boolean}).quiet)})
      if (text !== '') this.log(text)
    }
    const code = view.exitCode?.(result) ?? 0
    if (code !== 0) process.exitCode = code
    return document
  }

  /**
   * Every --json document goes out here: the text oclif's logJson prints without a theme, but
   * without its colorizer's tokenizing (15 ms for a 100-slot result: profiled).
   */
  override logJson(json: unknown): void {
    if (json !== undefined && json === this.presented) return
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  override async finally(err: Error | undefined): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn()
      } catch {
        // closing connections must not hide the real outcome
      }
    }
    await super.finally(err)
  }

  /**
   * Writes a typed error the way `catch` does (one line and hint, or the --json document), at
   * once and synchronously: for a run that must exit now (a second Ctrl-C).
   */
  protected printFailureNow(err: ReshardError, document?: object): void {
    if (this.jsonEnabled()) {
      const body = JSON.parse(redact(JSON.stringify(err.toJSON()), this.secrets)) as Record<string, unknown>
      const doc = document ? {...(JSON.parse(redact(JSON.stringify(document), this.secrets)) as Record<string, unknown>), ok: false, error: body} : {ok: false, error: body}
      this.logJson(doc)
    }
    // the one line goes to stderr in both modes (with --json, stderr carries the events)
    process.stderr.write(`${paint.red('Error:')} ${redact(err.message, this.secrets)}\n`)
    if (err.hint) process.stderr.write(`${paint.dim(`  ${redact(err.hint, this.secrets)}`)}\n`)
  }

  override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own exits (help, version) and parse errors keep their behaviour: parse errors are usage errors.
    if (err instanceof Errors.ExitError) throw err
    // a Redis ACL refusal anywhere is a precondition (the user's permissions), not a crash
    if (!(err instanceof ReshardError) && /^NOPERM/.test(err.message ?? '')) {
      err = new PreconditionError('permission', `the user lacks a permission: ${err.message.replace(/^NOPERM\s*/, '')}`, 'grant the ACL listed under Permissions in the README')
    }
    const isParse = err.oclif?.exit !== undefined && !(err instanceof ReshardError)
    const code = err instanceof ReshardError ? err.exitCode : isParse ? EXIT.USAGE : EXIT.UNEXPECTED
    // one line: a parse error's detail sits on its following lines ("Parsing --x\n\treason")
    const oneLine = isParse
      ? err.message
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !/^See more help with/.test(l))
          .map((l) => l.replace(/:$/, ''))
          .join(': ')
      : (err.message.split('\n')[0] ?? String(err))
    const message = redact(isParse ? withFlagSuggestion(oneLine, this.ctor) : oneLine, this.secrets)
    const hint = err instanceof ReshardError ? err.hint : isParse ? `see \`reshard ${(this.id ?? '').replace(/:/g, ' ')} --help\`` : undefined
    if (this.jsonEnabled()) {
      const body =
        err instanceof ReshardError
          ? JSON.parse(redact(JSON.stringify(err.toJSON()), this.secrets))
          : {kind: isParse ? 'usage' : 'unexpected', message, exitCode: code}
      // a run that failed still reports what it did (per-move outcomes)
      const document = err instanceof ReshardError ? err.document : undefined
      this.logJson(document ? {...JSON.parse(redact(JSON.stringify(document), this.secrets)), ok: false, error: body} : {ok: false, error: body})
    } else if (err instanceof ReshardError && err.kind === 'aborted') {
      // the operator said no: that is an answer, not an error
      process.stderr.write(`${message}\n`)
    } else {
      process.stderr.write(`${paint.red('Error:')} ${message}\n`)
      // a stale plan lists every difference
      const differences = err instanceof ReshardError ? (err.details?.differences as string[] | undefined) : undefined
      for (const d of differences ?? []) process.stderr.write(`  - ${redact(d, this.secrets)}\n`)
      if (hint) process.stderr.write(`${paint.dim(`  ${redact(hint, this.secrets)}`)}\n`)
      if (code === EXIT.UNEXPECTED && process.env.DEBUG) process.stderr.write(`${err.stack ?? ''}\n`)
    }
    // run finally() first so connections close, then exit with our code
    process.exitCode = code
    throw new Errors.ExitError(code)
  }
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(n) || n < 0.1 || n > 3600) {
    throw new UsageError(`--timeout "${text}" is not a number of seconds between 0.1 and 3600`, 'e.g. --timeout 5')
  }
  return n
}

/** "Nonexistent flag: --too" -> "...; did you mean --to?" (the closest flag of the command). */
function withFlagSuggestion(message: string, ctor: typeof Command): string {
  const m = /Nonexistent flags?: (--?[\w-]+)/.exec(message)
  if (!m) return message
  const c = ctor as unknown as {flags?: Record<string, unknown>; baseFlags?: Record<string, unknown>; enableJsonFlag?: boolean}
  const names = [...Object.keys(c.flags ?? {}), ...Object.keys(c.baseFlags ?? {}), ...(c.enableJsonFlag ? ['json'] : []), 'help']
  const best = closestWord(m[1]!.replace(/^-+/, ''), names)
  return best ? `${message}; did you mean --${best}?` : message
}
