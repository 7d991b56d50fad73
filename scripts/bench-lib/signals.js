// Ctrl-C during a benchmark: the first signal stops the running tool and every benchmark
// cluster (the run ends after the current step, marked interrupted); the second exits at once.
import {emergencyStopAll} from './cluster.js'
import {killRunningChildren} from './proc.js'

/** Sets `state.interrupted` on the first SIGINT/SIGTERM; never leaves a server behind on exit. */
export function installBenchSignals(state) {
  const onSignal = (sig) => {
    if (state.interrupted) {
      killRunningChildren('SIGKILL')
      emergencyStopAll()
      process.exit(130)
    }
    state.interrupted = true
    process.stderr.write(`\n${sig}: stopping the running tool and every benchmark cluster (again to exit at once)\n`)
    killRunningChildren('SIGTERM')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', () => {
    killRunningChildren('SIGKILL')
    emergencyStopAll()
  })
}
