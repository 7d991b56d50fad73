// PURE. A view: how one kind of result reads, for people and for --json, and the exit code it
// means (Terraform's internal/command/views is the model). BaseCommand.present() picks between
// the two renderings in one place; a command only says which view its result has.

export interface ViewOptions {
  /** --quiet: print no progress, only the result (a few views drop a line that is progress-like). */
  quiet: boolean
}

export interface View<R, D extends object = R & object> {
  /** What people read; '' prints nothing. */
  human(result: R, o: ViewOptions): string
  /** The exit code this result means (a verdict: `check`, `rebalance --check`); default 0. */
  exitCode?(result: R): number
  /** The --json document when it is not the result itself (`check`: the verdict of a status read). */
  document?(result: R): D
  /** The exact --json text when the document has a canonical form of its own (a plan file's bytes). */
  text?(result: R): string
}

/** The lines that are not empty, one per line ('' when none). */
export function lines(...parts: Array<string | undefined | false>): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join('\n')
}
