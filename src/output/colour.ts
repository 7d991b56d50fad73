// One chalk instance for the whole CLI. chalk 5 ignores NO_COLOR, so we honour it here,
// and colour only a TTY (STACK.md traps).
import {Chalk, type ChalkInstance} from 'chalk'

function level(): 0 | 1 | 2 | 3 {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return 0
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return 1
  return process.stdout.isTTY && process.stderr.isTTY ? 1 : 0
}

export const paint: ChalkInstance = new Chalk({level: level()})

export function colourEnabled(): boolean {
  return paint.level > 0
}
