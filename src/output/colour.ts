// One chalk instance for the whole CLI. chalk 5 ignores NO_COLOR, so we honour it here,
// and colour only a TTY (STACK.md traps).
import {Chalk} from 'chalk'

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

// Without colour (pipes, CI, NO_COLOR: how scripts and benchmarks run) chalk is not used. (It is
// part of the CLI's one bundle, dist/bundle/cli.cjs: a CommonJS file has no top-level await for a
// lazy import, and in the bundle chalk costs next to nothing to load.)
const wanted = level()
export const paint: Painter = wanted === 0 ? plain() : new Chalk({level: wanted})
