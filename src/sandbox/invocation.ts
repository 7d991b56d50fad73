// How the user can run this CLI again, as typed: `reshard` when that name on PATH is this very
// CLI, `npx reshard` under npx, else `node <path to bin/run.js>` (relative to the working
// directory when inside it). For hints such as "try: reshard status".
import {realpathSync} from 'node:fs'
import {isAbsolute, relative} from 'node:path'
import {searchPath} from './redis-binary.js'

export interface InvocationContext {
  /** The script node runs (process.argv[1]). */
  script?: string
  cwd: string
  env: NodeJS.ProcessEnv
}

function realpath(p: string): string | undefined {
  try {
    return realpathSync(p)
  } catch {
    return undefined
  }
}

/** The first executable `name` in env PATH (only PATH: a hint must work as typed). */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return searchPath(name, env.PATH)
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The command prefix that runs this CLI as typed, e.g. "reshard", "npx reshard" or "node bin/run.js". */
export function cliInvocation(ctx: InvocationContext = {script: process.argv[1], cwd: process.cwd(), env: process.env}, bin = 'reshard'): string {
  const script = ctx.script ? realpath(ctx.script) ?? ctx.script : undefined
  const found = onPath(bin, ctx.env)
  if (found && script && realpath(found) === script) return bin
  if (ctx.env.npm_command === 'exec' || ctx.env.npm_lifecycle_event === 'npx') return `npx ${bin}`
  if (!script) return bin
  const rel = relative(ctx.cwd, script)
  const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : script
  return `node ${shellQuote(shown)}`
}
