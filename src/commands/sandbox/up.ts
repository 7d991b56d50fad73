import {EXIT_CODE_HELP} from '../../errors.js'
import {Flags} from '../../cli/oclif.js'
import {BaseCommand} from '../../cli/base-command.js'
import {paint} from '../../output/colour.js'
import {DEFAULT_BASE_PORT, sandboxStatus, startSandbox} from '../../sandbox/sandbox.js'
import {sandboxStatePath} from '../../sandbox/state.js'
import {nodeTable} from '../../sandbox/table.js'

export default class SandboxUp extends BaseCommand<typeof SandboxUp> {
  static override summary = 'Start a local Redis Cluster of redis-server processes on 127.0.0.1'
  static override description =
    'Nodes announce the hostnames nodeA, nodeB, ... (so `reshard move 100 --to nodeB` works), slots are spread evenly, ' +
    'and the command returns once every node reports cluster_state:ok and all agree. What was started is recorded, ' +
    'so other commands find the sandbox with no connection flags and `reshard sandbox down` stops exactly those processes.' +
    '\n\n' +
    EXIT_CODE_HELP

  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --replicas 1 --keys 100000',
    'REDISCLI_AUTH=secret <%= config.bin %> sandbox up --tls',
  ]

  static override flags = {
    primaries: Flags.integer({description: 'number of primaries', default: 3, min: 1, max: 100}),
    replicas: Flags.integer({description: 'replicas per primary', default: 0, min: 0, max: 10}),
    port: Flags.integer({description: 'first port (nodes use port, port+1, ...; cluster bus ports are +10000)', default: DEFAULT_BASE_PORT}),
    'redis-server': Flags.string({description: 'redis-server binary to run (default: from PATH)'}),
    keys: Flags.integer({description: 'seed this many keys over all slots (every data type, some TTLs, some binary names)', default: 0, min: 0}),
    password: Flags.string({
      description: 'require this password on every node (prefer the env var: a flag value shows in `ps`); never printed',
      env: 'REDISCLI_AUTH',
    }),
    tls: Flags.boolean({description: 'serve TLS only, with a throw-away CA and node certificate made by openssl'}),
    dir: Flags.string({description: 'data directory (created; must be empty). Default: a new temporary directory'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const f = this.flags
    const human = !this.json
    const progress = human && !f.quiet ? (m: string) => process.stderr.write(paint.dim(`${m}\n`)) : undefined
    const statePath = sandboxStatePath()
    const {state, seeded, ms} = await startSandbox({
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
    if (human) {
      const replicas = state.replicas > 0 ? `, ${state.replicas} replica${state.replicas > 1 ? 's' : ''} each` : ''
      this.log(`${paint.green('Sandbox up')} in ${(ms / 1000).toFixed(1)} s: ${state.primaries} primaries${replicas}; data in ${state.dataDir}`)
      for (const line of nodeTable(status.nodes, {dim: paint.dim, good: paint.green, bad: paint.red})) this.log(`  ${line}`)
      if (seeded) {
        const types = Object.entries(seeded.byType)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')
        this.log(`Seeded ${seeded.count} keys (${types}; ${seeded.withTtl} with TTL, ${seeded.binaryNames} binary names) in ${(seeded.ms / 1000).toFixed(1)} s`)
      }
      if (state.password !== undefined) this.log('Password: set (kept in the 0600 state file; reshard commands use it, redis-cli needs REDISCLI_AUTH)')
      if (state.tls) this.log(`TLS: CA certificate ${state.tls.caCert} (reshard commands use it; redis-cli needs --tls --cacert)`)
      this.log(paint.dim(`State: ${statePath}`))
      this.log(`try: ${paint.bold('reshard status')}`)
    }
    return {
      ok: true,
      statePath,
      dataDir: state.dataDir,
      redisServer: state.redisServer,
      password: state.password !== undefined,
      tls: state.tls ?? null,
      nodes: status.nodes,
      seeded: seeded ?? null,
      ms,
    }
  }
}
