// Ctrl-C (SIGINT) and SIGTERM for a command that changes the cluster step by step, as `move`
// handles them (cli/mover-command.ts): the first signal asks the run to stop after the step in
// flight (it then reports what is left open); the second also skips the waits and, if the run has
// not returned within a moment (a step stuck on a frozen node), `force` reports and exits at once.
// The handlers stay installed until `finish`: a signal in the final phase never kills the process.
import {paint} from '../output/colour.js'
import type {StopControl} from '../migration/stop-control.js'

/** After a second signal, how long the step in flight may take before `force` runs. */
export const GRACE_MS = 1000

export interface Interrupts {
  /** The command is done (its result is being printed): later signals are ignored. */
  finish(): void
  /** Remove the handlers (after finish, at cleanup). */
  uninstall(): void
}

/** `what`: what is in flight ("step"), or the whole message after the first signal ("stopping: ..."). */
export function handleInterrupts(o: {stop: StopControl; what: string | (() => string); force: (sig: NodeJS.Signals) => void; graceMs?: number}): Interrupts {
  let count = 0
  let finished = false
  const onSignal = (sig: NodeJS.Signals) => {
    count++
    if (finished) return
    if (count === 1) {
      o.stop.request('hard', `interrupted by ${sig}`)
      const message = typeof o.what === 'string' ? `stopping after the ${o.what} in flight` : o.what()
      process.stderr.write(paint.yellow(`\n${sig}: ${message} (press Ctrl-C again to exit now)\n`))
      return
    }
    if (count > 2) return
    o.stop.request('now', `interrupted by ${sig}`)
    setTimeout(() => {
      if (finished) return
      finished = true
      o.force(sig)
    }, o.graceMs ?? GRACE_MS).unref()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    finish: () => {
      finished = true
    },
    uninstall: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
