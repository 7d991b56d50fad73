// An unknown command (`reshard mvoe 100 --to nodeB`). In a terminal, @oclif/plugin-not-found asks
// "Did you mean move?" and runs it with the same arguments. Without a terminal (or with --json)
// nothing may wait for input (docs/architecture.md "User contract"): one line names the closest command and the fixed
// command line, and the exit code is 2 (usage error) from the one table.
//
// oclif joins the words before the first flag into the id ("mvoe:100"), so the id is split back
// into the unknown command word and its arguments before either path sees it.
import type {Hook} from '@oclif/core'
import {EXIT} from '../errors.js'
import {paint} from '../output/colour.js'
import {closestWord} from '../cli/suggest.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const {config} = opts
  // bin/code-cache.js: a mistyped word is no kind of run to add to the code cache
  ;(globalThis as Record<symbol, unknown>)[Symbol.for('reshard.unknownCommand')] = true
  const parts = opts.id.split(':')
  // the longest prefix that is a topic ("plan"), plus the word that is not a command in it
  let n = 1
  while (n < parts.length && config.findTopic(parts.slice(0, n).join(':'))) n++
  const typed = parts.slice(0, n).join(':')
  const rest = [...parts.slice(n), ...(opts.argv ?? [])]
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const suggestion = closestWord(typed, visible)
  const spaced = (id: string) => id.replace(/:/g, ' ')
  const json = rest.includes('--json')
  if (process.stdin.isTTY && process.stdout.isTTY && !json && suggestion) {
    const plugin = (await import('@oclif/plugin-not-found')).default as unknown as Hook<'command_not_found'>
    return plugin.call(this, {...opts, id: typed, argv: rest})
  }
  const message = `unknown command "${spaced(typed)}"${suggestion ? `; did you mean "${spaced(suggestion)}"?` : ''}`
  const fixed = suggestion ? `run \`${config.bin} ${[spaced(suggestion), ...rest].join(' ')}\`, or see \`${config.bin} --help\`` : `see \`${config.bin} --help\` for the commands`
  if (json) {
    process.stdout.write(JSON.stringify({ok: false, error: {kind: 'usage', message, exitCode: EXIT.USAGE, hint: fixed, suggestion: suggestion ? spaced(suggestion) : undefined}}, null, 2) + '\n')
  } else {
    process.stderr.write(`${paint.red('Error:')} ${message}\n${paint.dim(`  ${fixed}`)}\n`)
  }
  process.exitCode = EXIT.USAGE
  this.exit(EXIT.USAGE)
}

export default hook
