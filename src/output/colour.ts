// One chalk instance for the whole CLI. chalk 5 ignores NO_COLOR, so we honour it here,
// and colour only a TTY (STACK.md traps).

function level(): 0 | 1 | 2 | 3 {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return 0
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return 1
  return process.stdout.isTTY && process.stderr.isTTY ? 1 : 0
}

type Style = (...text: unknown[]) => string
/** The part of chalk the CLI uses: one style at a time, no chaining. */
export interface Painter {
  readonly level: number
  bold: Style
  cyan: Style
  dim: Style
  green: Style
  red: Style
  yellow: Style
}

/** What chalk gives at level 0: the text unchanged (several arguments joined by spaces). */
function plain(): Painter {
  const style: Style = (...text) => (text.length === 1 ? '' + text[0] : text.join(' '))
  return {level: 0, bold: style, cyan: style, dim: style, green: style, red: style, yellow: style}
}

// Without colour (pipes, CI, NO_COLOR: how scripts and benchmarks run) chalk is not even loaded:
// about 10 ms of start-up.
const wanted = level()
export const paint: Painter = wanted === 0 ? plain() : new (await import('chalk')).Chalk({level: wanted})
