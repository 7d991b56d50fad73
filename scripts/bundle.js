// Build step after tsc (npm run build): bundle the CLI for a fast start (README "Start-up time").
// The whole CLI (bin/main.js, every command and hook of dist/, @oclif/core and every package a
// command uses) becomes one CommonJS file, dist/bundle/cli.cjs, that bin/run.js loads with V8's
// code cache (bin/code-cache.js): Node 20 has no code cache for ES modules, and one file spares the
// ES module loader's resolve, link and compile of some twenty chunks. oclif still finds the
// commands through the manifest (oclif.manifest.json): each command and hook file of
// dist/bundle/commands and dist/bundle/hooks is a two-line module that hands out its class from
// the loaded bundle. The plugins (help, autocomplete) are loaded by oclif from node_modules.
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {applyPatch, patches} from './bundle-patches.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'bundle')

function jsFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : []
  })
}

/** Each command and hook of dist/ by its path below dist/commands or dist/hooks ("sandbox/up"). */
const parts = ['commands', 'hooks'].map((sub) => ({sub, files: jsFiles(join(root, 'dist', sub)).map((f) => ({file: f, name: relative(join(root, 'dist', sub), f).replace(/\\/g, '/').replace(/\.js$/, '')}))}))
// Each command and hook behind a function that require()s it: esbuild makes that the module's
// initialization (and that of what it imports) on the first call, so a start initializes one
// command's modules, not all of them (the wizard's prompts, the sandbox's child processes, ...).
const entry = [
  "export {main} from './bin/main.js'",
  ...parts.map(({sub, files}) => `export const ${sub} = {${files.map((f) => `${JSON.stringify(f.name)}: () => require(${JSON.stringify(f.file)})`).join(', ')}}`),
].join('\n')

/** Our sources load CommonJS packages with createRequire(import.meta.url) (see src/cli/oclif.ts):
 * esbuild does not follow that, so it becomes a plain require() here, which esbuild bundles. And
 * the patches of scripts/bundle-patches.js. */
const plainRequire = {
  name: 'plain-require',
  setup(b) {
    b.onLoad({filter: /[\\/](dist|bin)[\\/].*\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('createRequire(import.meta.url)')) return undefined
      const contents = text
        .replace(/^const require = createRequire\(import\.meta\.url\);?$/m, '')
        .replace(/createRequire\(import\.meta\.url\)\(/g, 'require(')
      return {contents, loader: 'js'}
    })
    for (const patch of patches) b.onLoad({filter: patch.file}, (args) => ({contents: applyPatch(patch, args.path), loader: 'js'}))
    // The editor prompt (an external editor for a long answer) is the one prompt of
    // @inquirer/prompts that no command uses (nor @oclif/plugin-not-found, which asks a confirm):
    // with the character sets it needs (iconv-lite, chardet) it was 650 KiB of the bundle, read
    // on every start. In its place, a module that says so when called.
    b.onResolve({filter: /^@inquirer\/editor$/}, () => ({path: 'inquirer-editor', namespace: 'not-bundled'}))
    b.onLoad({filter: /.*/, namespace: 'not-bundled'}, () => ({
      contents: "export default function editor() { throw new Error('the editor prompt is not part of the bundle (scripts/bundle.js)') }",
      loader: 'js',
    }))
  },
}

rmSync(out, {recursive: true, force: true})
const result = await build({
  stdin: {contents: entry, resolveDir: root, sourcefile: 'cli-entry.js', loader: 'js'},
  outfile: join(out, 'cli.cjs'),
  write: false,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // typescript: only oclif's development mode (ts-node/tsx paths) would load it
  external: ['typescript', 'ts-node', 'tsx'],
  // the ES modules among the sources and packages ask for their own URL: the bundle's
  define: {'import.meta.url': '__reshardUrl'},
  plugins: [plainRequire],
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
  // smaller to read at every start; names are kept (error names, stack traces)
  minifyWhitespace: true,
  minifySyntax: true,
})
// A dynamic import() in a script compiled with a code cache fails on Node 20
// (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING; its vm option for it is experimental and warns): the
// bundle's import() calls (oclif loading command files and plugins, all with absolute URLs) go
// through a function of bin/run.js instead, a real module's import(). Loaded by require(), the
// bundle uses its own.
const dynamicImport = /(?<![\w.$'"`])import\(/g
const body = result.outputFiles[0].text
const text =
  "var __reshardUrl = require('node:url').pathToFileURL(__filename).href;\n" +
  "var __reshardImport = globalThis[Symbol.for('reshard.import')] ?? ((url) => import(url));\n" +
  body
    .replace(dynamicImport, '__reshardImport(')
    // ASCII only, so that bin/code-cache.js can read it as latin1 (a copy; UTF-8 decoding of 2 MB
    // took 25 ms). esbuild escapes strings and identifiers but leaves regular expressions and
    // comments: a \uXXXX escape means the same character there (checked: no character beyond
    // U+FFFF, where a regex with the u flag would need \u{...}).
    .replace(/[^\x00-\x7f]/g, (c) => {
      if (c.length !== 1) throw new Error('the bundle has a character beyond U+FFFF')
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
    })
if ((body.match(dynamicImport) ?? []).length === 0) throw new Error('no import() in the bundle: has oclif changed how it loads commands? check scripts/bundle.js')
// The build's identity, on the last line: bin/code-cache.js keys the code cache by it (V8 checks a
// cache against the source's length only).
const id = createHash('sha256').update(text).digest('hex').slice(0, 16)
mkdirSync(out, {recursive: true})
writeFileSync(join(out, 'cli.cjs'), `${text}//# reshard-build ${id}\n`)

for (const {sub, files} of parts) {
  for (const f of files) {
    const stub = join(out, sub, `${f.name}.cjs`)
    const up = relative(dirname(stub), join(out, 'cli.cjs')).replace(/\\/g, '/')
    mkdirSync(dirname(stub), {recursive: true})
    writeFileSync(
      stub,
      `// ${sub.slice(0, -1)} ${JSON.stringify(f.name)} of the bundle (scripts/bundle.js): the one bin/run.js loaded, else loaded here\n` +
        `module.exports = (globalThis[Symbol.for('reshard.cli')] ?? require(${JSON.stringify(up.startsWith('.') ? up : `./${up}`)})).${sub}[${JSON.stringify(f.name)}]()\n`,
    )
  }
}
process.stdout.write(`bundle: ${relative(root, join(out, 'cli.cjs'))}, ${Math.round(text.length / 1024)} KiB, build ${id}\n`)
if (process.env.META) {
  const ins = Object.values(result.metafile.outputs)[0].inputs
  const by = {}
  for (const [k, v] of Object.entries(ins)) { const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(k); const key = m ? m[1] : k.split('/').slice(0, 2).join('/'); by[key] = (by[key] ?? 0) + v.bytesInOutput }
  console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${Math.round(v / 1024)} KiB ${k}`).join('\n'))
}
