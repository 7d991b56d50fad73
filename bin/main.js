// The CLI's entry, bundled by scripts/bundle.js with every command and hook into one CommonJS file,
// dist/bundle/cli.cjs, which bin/run.js loads (with V8's code cache: bin/code-cache.js) and whose
// main() it calls. The require() calls below are bundled as well (esbuild follows them once
// scripts/bundle.js has turned createRequire(import.meta.url) back into require): @oclif/core is
// then one copy shared by this entry and every command.
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

// Secrets seen so far (REDISCLI_AUTH now; the base command adds a password typed at --askpass).
// With DEBUG set, ioredis' debug output prints every command it sends, AUTH and MIGRATE ... AUTH2
// included: every write to stderr and stdout then goes through a filter that masks them.
const secrets = (globalThis[Symbol.for('reshard.secrets')] ??= new Set())
if (process.env.REDISCLI_AUTH) secrets.add(process.env.REDISCLI_AUTH)
if (process.env.DEBUG) {
  for (const stream of [process.stderr, process.stdout]) {
    const write = stream.write.bind(stream)
    stream.write = (chunk, ...rest) => {
      if (secrets.size > 0 && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
        let text = String(chunk)
        for (const s of secrets) if (s) text = text.split(s).join('***')
        chunk = text
      }
      return write(chunk, ...rest)
    }
  }
}

// The two checks the index would have made: a deleted working directory, and oclif's own
// engines range (>=18; semver is not worth loading for it).
try {
  process.cwd()
} catch (error) {
  if (error.code === 'ENOENT') process.stderr.write('WARNING: current directory does not exist\n')
}
if (!/^(1|true|yes|y)$/i.test(process.env.OCLIF_DISABLE_ENGINE_WARNING ?? '') && Number(process.versions.node.split('.')[0]) < 18) {
  process.emitWarning(`Node version must be >=18.0.0 to use this CLI. Current node version: ${process.versions.node}`)
}

// oclif's execute() would (1) call process.exit() right after an error's --json document, which
// drops what a slow reader has not taken from the pipe yet (everything past its 64 KiB buffer), and
// (2) after a success, wait at most 10 s for stdout to drain and then fail with an unhandled
// "timed out" (exit 1, a stack trace, the document cut). Here the process waits for its output to
// drain, however slow the reader, and then exits with the command's code. Under --json a failure
// no command caught is still one JSON document on stdout, as docs/ci.md promises for every failure.
// The bundle is the compiled CLI: oclif must not look for TypeScript sources to run instead
// (it does under NODE_ENV=test or development, and warns when it finds none).
globalThis.oclif = Object.assign(globalThis.oclif ?? {}, {enableAutoTranspile: false})
const {run} = require('@oclif/core/run')
const handleModule = require('@oclif/core/handle')
// An empty write's callback runs once every write before it has been flushed. ('drain' is not
// enough: it is emitted only after a write() returned false, so waiting for it with a few bytes
// still buffered left nothing to keep the event loop alive, and Node ended the process with exit
// 13, "unsettled top-level await", seen in CI.)
const drained = (stream) =>
  new Promise((resolve) => {
    if (!stream.writableLength || stream.destroyed) return resolve()
    stream.once('error', resolve)
    stream.once('close', resolve)
    stream.write('', () => resolve())
  })
handleModule.Exit.exit = (code = 0) => {
  process.exitCode = code
  Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(code))
}
/** Run the CLI with these arguments; the process exits with the command's code once its output
 *  has drained. */
export async function main(argv) {
  try {
    await run(argv, import.meta.url)
    await Promise.all([drained(process.stdout), drained(process.stderr)])
  } catch (error) {
    if (argv.includes('--json') && error?.code !== 'EEXIT' && !error?.skipOclifErrorHandling) {
      const exitCode = error?.oclif?.exit ?? 1
      const message = String(error?.message ?? error).split('\n')[0]
      process.stdout.write(JSON.stringify({ok: false, error: {kind: exitCode === 2 ? 'usage' : 'unexpected', message, exitCode}}, null, 2) + '\n')
      process.exitCode = exitCode
      await Promise.all([drained(process.stdout), drained(process.stderr)])
    } else {
      await handleModule.handle(error)
    }
  }
}
