import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {chooseSandbox} from '../../sandbox/registry.js'
import {stopSandbox} from '../../sandbox/sandbox.js'
import {checkSandboxName, sandboxStatePath} from '../../sandbox/state.js'

export default class SandboxDown extends BaseCommand<typeof SandboxDown> {
  static override summary = 'Stop a sandbox started by `reshard sandbox up` and remove its data'
  static override description =
    'Stops exactly the recorded processes, each by PID after checking it is still the server on its port, ' +
    'then removes the data directory and the state file. With no sandbox recorded it does nothing. ' +
    'Without --name: the sandbox named by env RESHARD_SANDBOX, or the only one; with several running, it names them and stops nothing (exit 2).' +
    '\n\n' +
    EXIT_CODE_HELP

  static override examples = ['<%= config.bin %> sandbox down', '<%= config.bin %> sandbox down --name valkey']

  static override flags = {
    name: Flags.string({description: 'the sandbox to stop (default: env RESHARD_SANDBOX, else the only one)'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const name = this.flags.name === undefined ? undefined : checkSandboxName(this.flags.name)
    const chosen = chooseSandbox({name, how: 'choose one with --name NAME (or env RESHARD_SANDBOX=NAME)'})
    if (!chosen) {
      const statePath = sandboxStatePath(name ?? (process.env.RESHARD_SANDBOX || undefined))
      const which = name ?? process.env.RESHARD_SANDBOX
      if (!this.json) this.log(`No sandbox${which ? ` named "${which}"` : ''} is recorded (${statePath}); nothing to stop.`)
      return {ok: true, name: which ?? null, statePath, stopped: []}
    }
    const {state, path: statePath} = chosen
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
                : paint.yellow(`left alone: PID ${r.pid} is no longer the server on port ${r.port}`)
        this.log(`  ${r.hostname.padEnd(6)}  127.0.0.1:${r.port}  pid ${r.pid}  ${what}`)
      }
      this.log(`Sandbox "${chosen.name}" down; removed ${state.dataDir} and ${statePath}`)
    }
    return {ok: true, name: chosen.name, statePath, dataDir: state.dataDir, stopped: results}
  }
}
