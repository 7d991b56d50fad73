// Load the bundled CLI (dist/bundle/cli.cjs, one CommonJS file: scripts/bundle.js) with V8's code
// cache, so that a start skips the parsing and compiling of what earlier runs already compiled
// (README "Start-up time"). Node 20 caches nothing by itself.
//
// The cache is one file per build of the bundle, Node version and architecture, in the user's
// cache directory ($XDG_CACHE_HOME/reshard or ~/.cache/reshard). It is written at the end of a run
// when there was none, when V8 refused it (other V8 flags), or when this kind of run (its first
// words, "check", "sandbox up") is not in it yet: the cache then holds every function compiled in
// this process, those it brought plus the new ones, so it grows to cover the commands in use, and
// is left alone after that. V8 checks a cache against the length of its source only, so the build
// id that scripts/bundle.js writes on the bundle's last line is part of the file's name.
// RESHARD_CODE_CACHE=0 turns it off. Nothing here may fail a run: a cache that cannot be read or
// written is no cache.
const {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} = require('node:fs')
const {createRequire, Module} = require('node:module')
const {homedir} = require('node:os')
const {basename, dirname, join} = require('node:path')
const vm = require('node:vm')

/** At most this many kinds of run are added to a cache; later ones use it as it is. */
const MAX_KINDS = 24

function defaultCacheDir(env = process.env) {
  if (env.RESHARD_CODE_CACHE === '0') return undefined
  const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '')
  return base ? join(base, 'reshard') : undefined
}

/** The kind of run, for the cache's list: the command's words before any flag or value. */
function runKind(argv) {
  const words = []
  for (const a of argv.slice(0, 2)) {
    if (!/^[a-z][a-z-]*$/.test(a)) break
    words.push(a)
  }
  return words.join(' ')
}

/**
 * Run `file` (a CommonJS bundle) and return its exports, with the code cache of `cacheDir`.
 * @param {string} file
 * @param {{cacheDir?: string, kind?: string}} [o]
 */
function loadBundle(file, {cacheDir = defaultCacheDir(), kind = ''} = {}) {
  // ASCII (scripts/bundle.js makes it so): latin1 is a plain copy, UTF-8 decoding is not
  const source = readFileSync(file, 'latin1')
  const build = /\/\/# reshard-build ([0-9a-f]+)\s*$/.exec(source.slice(-64))?.[1]
  const cacheFile = build && cacheDir ? join(cacheDir, `cli-${build}-${process.version}-${process.arch}.cache`) : undefined
  let cachedData
  let kinds = []
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile)
      kinds = JSON.parse(readFileSync(`${cacheFile}.json`, 'utf8')).kinds ?? []
    } catch {
      cachedData = undefined
      kinds = []
    }
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
  })
  const refused = cachedData !== undefined && script.cachedDataRejected === true
  if (cacheFile && (cachedData === undefined || refused || (!kinds.includes(kind) && kinds.length < MAX_KINDS))) {
    const next = refused || cachedData === undefined ? [kind] : [...kinds, kind]
    // a mistyped command (src/hooks/command-not-found.ts sets the mark) is no kind of run to keep
    process.once('exit', () => globalThis[Symbol.for('reshard.unknownCommand')] || save(script, cacheFile, next))
  }
  const m = new Module(file)
  m.filename = file
  m.paths = Module._nodeModulePaths(dirname(file))
  script.runInThisContext()(m.exports, createRequire(file), m, file, dirname(file))
  return m.exports
}

function save(script, cacheFile, kinds) {
  try {
    // the caches of other builds of the bundle are of no more use
    const dir = dirname(cacheFile)
    const build = basename(cacheFile).split('-')[1]
    for (const f of readdirSync(dir)) if (/^cli-[0-9a-f]+-/.test(f) && f.split('-')[1] !== build) rmSync(join(dir, f), {force: true})
  } catch {
    // nothing to prune
  }
  try {
    const data = script.createCachedData()
    mkdirSync(dirname(cacheFile), {recursive: true})
    // written aside and renamed: runs in parallel never read half a file
    const tmp = `${cacheFile}.${process.pid}.tmp`
    writeFileSync(tmp, data)
    writeFileSync(`${tmp}.json`, JSON.stringify({kinds}))
    renameSync(`${tmp}.json`, `${cacheFile}.json`)
    renameSync(tmp, cacheFile)
  } catch {
    // no cache this time
  }
}

module.exports = {defaultCacheDir, loadBundle, runKind}
