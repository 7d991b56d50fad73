// The competitors of `npm run bench -- --server PATH`: reshard (default mechanism, and
// --mechanism legacy), the server's own cli (`--cluster reshard` / `--cluster rebalance`, and on
// Valkey 9 `--cluster-use-atomic-slot-migration`), and on Redis 8 the server's own atomic one-liner
// (`CLUSTER MIGRATION IMPORT s e` on the target, polled with `CLUSTER MIGRATION STATUS ID`).
// Each is a command line spawned and timed from spawn to exit, as an operator would run it.
import {spawnSync} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import {basename, dirname, join} from 'node:path'

/** The cli next to a server binary: kv-server -> kv-cli, valkey-server -> valkey-cli, redis-server -> redis-cli. */
export function cliNextTo(serverPath) {
  const dir = dirname(serverPath)
  const own = basename(serverPath).replace(/-server$/, '-cli')
  for (const name of [own, 'valkey-cli', 'redis-cli']) {
    const p = join(dir, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // next
    }
  }
  return undefined
}

export function versionOf(bin) {
  return (spawnSync(bin, ['--version'], {encoding: 'utf8'}).stdout ?? '').trim()
}

/** Whether this cli's `--cluster` takes --cluster-use-atomic-slot-migration (Valkey 9). */
export function cliHasAsm(cliPath) {
  const r = spawnSync(cliPath, ['--cluster', 'reshard', '127.0.0.1:1', '--cluster-use-atomic-slot-migration', '--cluster-yes'], {encoding: 'utf8', timeout: 10_000})
  return !/unrecognized|unknown option|Invalid option/i.test(`${r.stdout}${r.stderr}`)
}

/**
 * The tools for one dataset kind ('move' or 'rebalance') on a server with `flavour` (valkey,
 * redis, none). Each: {id, name, kind, asm (the server's own atomic tool), legacyOnly}.
 */
export function toolsFor(kind, {flavour, cli, cliAsm}) {
  const cliName = basename(cli)
  const tools = [
    {id: 'reshard', name: `reshard ${kind} (default: ${flavour === 'none' ? 'legacy' : 'auto'})`, kind: 'reshard', extra: []},
    {id: 'reshard-legacy', name: `reshard ${kind} --mechanism legacy`, kind: 'reshard', extra: ['--mechanism', 'legacy']},
    {id: 'cli', name: `${cliName} --cluster ${kind === 'move' ? 'reshard' : 'rebalance'} (pipeline 1000)`, kind: 'cli', extra: ['--cluster-pipeline', '1000']},
  ]
  if (cliAsm) tools.push({id: 'cli-asm', name: `${cliName} --cluster ${kind === 'move' ? 'reshard' : 'rebalance'} --cluster-use-atomic-slot-migration`, kind: 'cli', extra: ['--cluster-use-atomic-slot-migration'], asm: true})
  else if (flavour === 'redis' && kind === 'move') tools.push({id: 'server-asm', name: `CLUSTER MIGRATION IMPORT + STATUS (${cliName} one-liner)`, kind: 'redis-import', asm: true})
  // an unsupported tool is never listed: `flavour === 'none'` (Redis 7) runs the legacy tools only
  return flavour === 'none' ? tools.filter((t) => t.id !== 'reshard-legacy') : tools
}

/**
 * The Redis 8 one-liner an operator types: start the import on the target, poll its status every
 * 100 ms (as valkey-cli polls its atomic migration) until completed; a cancel or an error fails.
 */
function redisImportScript(cli, to, n) {
  const c = `"${cli}" -h 127.0.0.1 -p ${to.port}`
  return [
    `id=$(${c} CLUSTER MIGRATION IMPORT 0 ${n - 1}) || exit 1`,
    `case "$id" in *ERR*) echo "$id"; exit 1;; esac`,
    `while :; do s=$(${c} CLUSTER MIGRATION STATUS ID "$id") || exit 1`,
    `  case "$s" in *completed*) exit 0;; *canceled*) echo "$s"; exit 1;; esac`,
    `  sleep 0.1`,
    `done`,
  ].join('\n')
}

/** The command moving slots 0..n-1 (the lowest slots of `from`) to `to`. */
export function moveCommand(tool, {bin, cli}, from, to, n) {
  if (tool.kind === 'reshard') return [process.execPath, [bin, 'move', `0-${n - 1}`, '--to', to.id, '--yes', '-q', '-c', from.address, ...tool.extra]]
  if (tool.kind === 'redis-import') return ['sh', ['-c', redisImportScript(cli, to, n)]]
  // the cli takes the source's lowest slots first: 0..n-1 here (verified after each run)
  return [cli, ['--cluster', 'reshard', from.address, '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', String(n), '--cluster-yes', ...tool.extra]]
}

/** The command that spreads slots onto the empty primaries. */
export function rebalanceCommand(tool, {bin, cli}, seed) {
  if (tool.kind === 'reshard') return [process.execPath, [bin, 'rebalance', '--use-empty-primaries', '--yes', '-q', '-c', seed, ...tool.extra]]
  return [cli, ['--cluster', 'rebalance', seed, '--cluster-use-empty-masters', '--cluster-yes', ...tool.extra]]
}
