import {EXIT_CODE_HELP} from '../../errors.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {recordedSandbox, stopSandbox} from '../../sandbox/sandbox.js'
import {sandboxStatePath} from '../../sandbox/state.js'

export default class SandboxDown extends BaseCommand<typeof SandboxDown> {
  static override summary = 'Stop the sandbox started by `reshard sandbox up` and remove its data'
  static override description =
    'Stops exactly the recorded processes, each by PID after checking it is still the redis-server on its port, ' +
    'then removes the data directory and the state file. With no sandbox recorded it does nothing.' +
    '\n\n' +
    EXIT_CODE_HELP

  static override examples = ['<%= config.bin %> sandbox down']

  async run(): Promise<Record<string, unknown>> {
    const statePath = sandboxStatePath()
    const state = recordedSandbox(statePath)
    if (!state) {
      if (!this.json) this.log(`No sandbox is recorded (${statePath}); nothing to stop.`)
      return {ok: true, statePath, stopped: []}
    }
    const results = await stopSandbox(state, {statePath})
    if (!this.json) {
      for (const r of results) {
        const what =
          r.result === 'stopped'
            ? paint.green('stopped')
            : r.result === 'killed'
              ? paint.yellow('killed (did not exit on SIGTERM)')
              : r.result === 'not_running'
                ? paint.dim('was not running')
                : paint.yellow(`left alone: PID ${r.pid} is no longer the redis-server on port ${r.port}`)
        this.log(`  ${r.hostname.padEnd(6)}  127.0.0.1:${r.port}  pid ${r.pid}  ${what}`)
      }
      this.log(`Sandbox down; removed ${state.dataDir} and ${statePath}`)
    }
    return {ok: true, statePath, dataDir: state.dataDir, stopped: results}
  }
}
