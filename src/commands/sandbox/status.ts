import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {findSandboxState, listSandboxStates, checkSandboxName, type RecordedSandboxFile} from '../../sandbox/state.js'
import {sandboxStatus} from '../../sandbox/sandbox.js'
import {nodeTable} from '../../sandbox/table.js'

export default class SandboxStatus extends BaseCommand<typeof SandboxStatus> {
  static override summary = 'Show the recorded sandbox nodes, with PID alive/dead'
  static override description =
    'Without --name: the sandbox named by env RESHARD_SANDBOX, else every recorded one.\n\n' + EXIT_CODE_HELP

  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --name valkey --json']

  static override flags = {
    name: Flags.string({description: 'the sandbox to show (default: env RESHARD_SANDBOX, else every recorded one)'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const raw = this.flags.name ?? (process.env.RESHARD_SANDBOX || undefined)
    const name = raw === undefined ? undefined : checkSandboxName(raw)
    const found = name === undefined ? listSandboxStates() : [findSandboxState(name)].filter((s): s is RecordedSandboxFile => s !== undefined)
    if (found.length === 0) {
      if (!this.json) this.log(`No sandbox${name ? ` named "${name}"` : ''} is recorded; start one with \`reshard sandbox up${name ? ` --name ${name}` : ''}\`.`)
      return {ok: true, running: false, name: name ?? null, nodes: []}
    }
    const docs: Array<Record<string, unknown>> = []
    for (const s of found) {
      if (docs.length > 0 && !this.json) this.log('')
      docs.push(await this.show(s))
    }
    if (docs.length === 1) return docs[0]!
    return {ok: true, running: docs.some((d) => d.running), sandboxes: docs}
  }

  private async show(s: RecordedSandboxFile): Promise<Record<string, unknown>> {
    const st = await sandboxStatus(s.state, s.path)
    const alive = st.nodes.filter((n) => n.alive).length
    if (!this.json) {
      const health = st.healthy ? paint.green('healthy') : alive === 0 ? paint.red('not running') : paint.yellow('degraded')
      const extras = [st.password ? 'password' : '', st.tls ? 'TLS' : ''].filter(Boolean).join(', ')
      this.log(`Sandbox "${s.name}" ${health}: ${st.server ?? 'unknown server'}, ${alive}/${st.nodes.length} nodes alive${extras ? ` (${extras})` : ''}; data in ${st.dataDir}`)
      for (const line of nodeTable(st.nodes, {dim: paint.dim, good: paint.green, bad: paint.red})) this.log(`  ${line}`)
      if (alive === 0) this.log(`Every node is gone; \`reshard sandbox down --name ${s.name}\` cleans up the record.`)
    }
    return {
      ok: true,
      name: s.name,
      server: st.server ?? null,
      running: alive > 0,
      healthy: st.healthy,
      statePath: s.path,
      dataDir: st.dataDir,
      password: st.password,
      tls: st.tls,
      nodes: st.nodes,
    }
  }
}
