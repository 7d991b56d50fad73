// Build step after tsc (npm run build): bundle the CLI for a fast start (README "Start-up").
// Entry points: bin/main.js and every command and hook of dist/ (tsc's output, which stays as it
// is for the scripts that import it). ESM with code splitting, so the commands and the entry share
// one copy of @oclif/core and of every module, in chunks loaded only by the commands that use them
// (ioredis is not loaded for --version or --help). The manifest (oclif.manifest.json) and the
// plugins (help, autocomplete, loaded by oclif from node_modules) are unchanged.
import {readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'bundle')

function jsFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : []
  })
}

const entryPoints = {main: join(root, 'bin', 'main.js')}
for (const sub of ['commands', 'hooks']) {
  for (const f of jsFiles(join(root, 'dist', sub))) entryPoints[relative(join(root, 'dist'), f).replace(/\.js$/, '')] = f
}

const oclifVersion = JSON.parse(readFileSync(join(root, 'node_modules', '@oclif', 'core', 'package.json'), 'utf8')).version

/** Our sources load CommonJS packages with createRequire(import.meta.url) (see src/cli/oclif.ts):
 * esbuild does not follow that, so it becomes a plain require() here, which esbuild bundles. */
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
    // @oclif/core reads its own version from ../package.json next to its file: give it the value.
    b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]cache\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const read = "JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(__dirname, '..', 'package.json'), 'utf8')).version"
      if (!text.includes(read)) throw new Error(`${args.path}: the read of its own version changed; update scripts/bundle.js`)
      return {contents: text.replace(read, JSON.stringify(oclifVersion)), loader: 'js'}
    })
  },
}

rmSync(out, {recursive: true, force: true})
const result = await build({
  entryPoints,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // typescript: only oclif's development mode (ts-node/tsx paths) would load it
  external: ['typescript', 'ts-node', 'tsx'],
  // bundled CommonJS code calls require() for Node's own modules, and a few read __dirname
  banner: {
    js: "import {createRequire as __reshardRequire} from 'node:module'; import {dirname as __reshardDirname} from 'node:path'; import {fileURLToPath as __reshardPath} from 'node:url'; const require = __reshardRequire(import.meta.url); const __filename = __reshardPath(import.meta.url); const __dirname = __reshardDirname(__filename);",
  },
  plugins: [plainRequire],
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
})
const bytes = Object.values(result.metafile.outputs).reduce((a, o) => a + o.bytes, 0)
process.stdout.write(`bundle: ${Object.keys(result.metafile.outputs).length} files, ${Math.round(bytes / 1024)} KiB in ${relative(root, out)}\n`)
