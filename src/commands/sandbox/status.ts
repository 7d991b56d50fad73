import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {sandboxStatusView, type SandboxStatusDocument, type SandboxStatusResult} from '../../output/views/sandbox.js'
import {findSandboxState, listSandboxStates, checkSandboxName, type RecordedSandboxFile} from '../../sandbox/state.js'
import {sandboxStatus} from '../../sandbox/sandbox.js'

export default class SandboxStatus extends BaseCommand<typeof SandboxStatus> {
  static override summary = 'Show the recorded sandbox nodes, with PID alive/dead'
  static override description =
    'Without --name: the sandbox named by env RESHARD_SANDBOX, else every recorded one.\n\n' + EXIT_CODE_HELP

  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --name valkey --json']

  static override flags = {
    name: Flags.string({description: 'the sandbox to show (default: env RESHARD_SANDBOX, else every recorded one)'}),
  }

  async run(): Promise<SandboxStatusResult> {
    const raw = this.flags.name ?? (process.env.RESHARD_SANDBOX || undefined)
    const name = raw === undefined ? undefined : checkSandboxName(raw)
    const found = name === undefined ? listSandboxStates() : [findSandboxState(name)].filter((s): s is RecordedSandboxFile => s !== undefined)
    if (found.length === 0) return this.present({ok: true, running: false, name: name ?? null, nodes: []}, sandboxStatusView)
    const docs: SandboxStatusDocument[] = []
    for (const s of found) docs.push(await statusOf(s))
    const result: SandboxStatusResult = docs.length === 1 ? docs[0]! : {ok: true, running: docs.some((d) => d.running), sandboxes: docs}
    return this.present(result, sandboxStatusView)
  }
}

async function statusOf(s: RecordedSandboxFile): Promise<SandboxStatusDocument> {
  const st = await sandboxStatus(s.state, s.path)
  return {
    ok: true,
    name: s.name,
    server: st.server ?? null,
    running: st.nodes.some((n) => n.alive),
    healthy: st.healthy,
    statePath: s.path,
    dataDir: st.dataDir,
    password: st.password,
    tls: st.tls,
    nodes: st.nodes,
  }
}
