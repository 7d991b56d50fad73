import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {sandboxDownView, type SandboxDownDocument} from '../../output/views/sandbox.js'
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

  async run(): Promise<SandboxDownDocument> {
    const name = this.flags.name === undefined ? undefined : checkSandboxName(this.flags.name)
    const chosen = chooseSandbox({name, how: 'choose one with --name NAME (or env RESHARD_SANDBOX=NAME)'})
    if (!chosen) {
      const statePath = sandboxStatePath(name ?? (process.env.RESHARD_SANDBOX || undefined))
      const which = name ?? process.env.RESHARD_SANDBOX
      return this.present({ok: true, name: which ?? null, statePath, stopped: []}, sandboxDownView)
    }
    const {state, path: statePath} = chosen
    const results = await stopSandbox(state, {statePath})
    return this.present({ok: true, name: chosen.name, statePath, dataDir: state.dataDir, stopped: results}, sandboxDownView)
  }
}
