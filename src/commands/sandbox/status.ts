import {EXIT_CODE_HELP} from '../../errors.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {recordedSandbox, sandboxStatus} from '../../sandbox/sandbox.js'
import {sandboxStatePath} from '../../sandbox/state.js'
import {nodeTable} from '../../sandbox/table.js'

export default class SandboxStatus extends BaseCommand<typeof SandboxStatus> {
  static override summary = 'Show the recorded sandbox nodes, with PID alive/dead'
  static override description = EXIT_CODE_HELP
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json']

  async run(): Promise<Record<string, unknown>> {
    const statePath = sandboxStatePath()
    const state = recordedSandbox(statePath)
    if (!state) {
      if (!this.json) this.log(`No sandbox is recorded (${statePath}); start one with \`reshard sandbox up\`.`)
      return {ok: true, running: false, statePath, nodes: []}
    }
    const st = await sandboxStatus(state, statePath)
    const alive = st.nodes.filter((n) => n.alive).length
    if (!this.json) {
      const health = st.healthy ? paint.green('healthy') : alive === 0 ? paint.red('not running') : paint.yellow('degraded')
      const extras = [st.password ? 'password' : '', st.tls ? 'TLS' : ''].filter(Boolean).join(', ')
      this.log(`Sandbox ${health}: ${alive}/${st.nodes.length} nodes alive${extras ? ` (${extras})` : ''}; data in ${st.dataDir}`)
      for (const line of nodeTable(st.nodes, {dim: paint.dim, good: paint.green, bad: paint.red})) this.log(`  ${line}`)
      if (alive === 0) this.log('Every node is gone; `reshard sandbox down` cleans up the record.')
    }
    return {ok: true, running: alive > 0, healthy: st.healthy, statePath, dataDir: st.dataDir, password: st.password, tls: st.tls, nodes: st.nodes}
  }
}
