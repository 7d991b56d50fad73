import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {sandboxUpView, type SandboxUpDocument} from '../../output/views/sandbox.js'
import {DEFAULT_BASE_PORT, sandboxStatus, startSandbox} from '../../sandbox/sandbox.js'
import {cliInvocation} from '../../sandbox/invocation.js'
import {listSandboxes} from '../../sandbox/registry.js'
import {DEFAULT_SANDBOX_NAME, checkSandboxName, sandboxStatePath} from '../../sandbox/state.js'

export default class SandboxUp extends BaseCommand<typeof SandboxUp> {
  static override summary = 'Start a local cluster of server processes (Redis, Valkey, ...) on 127.0.0.1'
  static override description =
    'Nodes announce the hostnames nodeA, nodeB, ... (so `reshard move 100 --to nodeB` works), slots are spread evenly, ' +
    'and the command returns once every node reports cluster_state:ok and all agree. What was started is recorded, ' +
    'so other commands find the sandbox with no connection flags and `reshard sandbox down` stops exactly those processes. ' +
    'Several sandboxes can run at once, each with its own --name and --port; other commands then take the one named by ' +
    'env RESHARD_SANDBOX (or the only one running). --password also sets the replication credentials (masterauth, and ' +
    'primaryauth where the server knows it); with --user, an ACL user with every right that the nodes also replicate as.' +
    '\n\n' +
    EXIT_CODE_HELP

  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --replicas 1 --keys 100000',
    '<%= config.bin %> sandbox up --name valkey --port 32001 --redis-server ../shared/servers/valkey-8.0/valkey-server --replicas 1',
    'REDISCLI_AUTH=secret <%= config.bin %> sandbox up --tls',
  ]

  static override flags = {
    primaries: Flags.integer({description: 'number of primaries', default: 3, min: 1, max: 100}),
    replicas: Flags.integer({description: 'replicas per primary', default: 0, min: 0, max: 10}),
    port: Flags.integer({description: 'first port (nodes use port, port+1, ...; cluster bus ports are +10000)', default: DEFAULT_BASE_PORT}),
    name: Flags.string({description: 'name of this sandbox (default: env RESHARD_SANDBOX, else "default"); one state file per name'}),
    'redis-server': Flags.string({description: 'server binary to run: redis-server, valkey-server, ... (default: redis-server from PATH)'}),
    keys: Flags.integer({description: 'seed this many keys over all slots (every data type, some TTLs, some binary names)', default: 0, min: 0}),
    password: Flags.string({
      description: 'require this password on every node (prefer the env var: a flag value shows in `ps`); never printed',
      env: 'REDISCLI_AUTH',
    }),
    tls: Flags.boolean({description: 'serve TLS only, with a throw-away CA and node certificate made by openssl'}),
    dir: Flags.string({description: 'data directory (created; must be empty). Default: a new temporary directory'}),
  }

  async run(): Promise<SandboxUpDocument> {
    const f = this.flags
    const human = !this.json
    const progress = human && !f.quiet ? (m: string) => process.stderr.write(paint.dim(`${m}\n`)) : undefined
    const name = checkSandboxName(f.name ?? (process.env.RESHARD_SANDBOX || DEFAULT_SANDBOX_NAME))
    const statePath = sandboxStatePath(name)
    const {state, seeded, ms} = await startSandbox({
      name,
      user: f.user,
      primaries: f.primaries,
      replicas: f.replicas,
      port: f.port,
      redisServer: f['redis-server'],
      keys: f.keys,
      password: f.password,
      tls: f.tls,
      dir: f.dir,
      statePath,
      onProgress: progress,
    })
    const status = await sandboxStatus(state, statePath)
    const document: SandboxUpDocument = {
      ok: true,
      name,
      server: state.server ?? null,
      statePath,
      dataDir: state.dataDir,
      redisServer: state.redisServer,
      password: state.password !== undefined,
      tls: state.tls ?? null,
      nodes: status.nodes,
      seeded: seeded ?? null,
      ms,
    }
    const shown = {document, named: name !== DEFAULT_SANDBOX_NAME, server: status.server, primaries: state.primaries, replicas: state.replicas, user: state.user, replicationAuth: state.replicationAuth}
    return this.present({...shown, statusHint: human ? this.statusHint(name) : ''}, sandboxUpView)
  }

  /** A command that shows this sandbox as typed: with RESHARD_SANDBOX=name when others run too. */
  private statusHint(name: string): string {
    const others = process.env.RESHARD_SANDBOX_STATE ? [] : listSandboxes().filter((s) => s.running && s.name !== name)
    const chosen = process.env.RESHARD_SANDBOX || undefined
    const needsName = chosen !== undefined ? chosen !== name : others.length > 0
    return `${needsName ? `RESHARD_SANDBOX=${name} ` : ''}${cliInvocation()} status`
  }
}
