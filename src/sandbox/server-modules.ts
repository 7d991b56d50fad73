// Some server builds load their Lua engine as a module at start (Valkey 9 builds with
// BUILD_LUA=module: `libvalkeylua.so`, or `libkvlua.so` for the kv build) from a directory baked
// into the binary at build time; a copy of the binary without that file aborts at start ("Lua
// engine initialization failed"). For the sandbox only, such a server gets a stand-in module
// that registers nothing, built once with the machine's C compiler: the server then runs without
// Lua scripting (EVAL answers an error, which reshard handles as it does for a user without
// +eval). Nothing here is used for a real cluster.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {PreconditionError} from '../errors.js'

// One OnLoad per API prefix the forks use; each registers the module under a name and nothing else.
const STUB_SOURCE = `/* reshard sandbox: a stand-in for a server's missing Lua module; registers nothing. */
typedef int (*getapi_t)(const char *, void *);
typedef void (*attribs_t)(void *, const char *, int, int);
static int load(void *ctx, const char *attribs) {
  getapi_t getapi = (getapi_t)((void **)ctx)[0];
  attribs_t set = 0;
  if (getapi(attribs, (void *)&set) != 0 || !set) return 1;
  set(ctx, "reshard-nolua", 1, 1);
  return 0;
}
int ValkeyModule_OnLoad(void *ctx, void **argv, int argc) { (void)argv; (void)argc; return load(ctx, "ValkeyModule_SetModuleAttribs"); }
int KVModule_OnLoad(void *ctx, void **argv, int argc) { (void)argv; (void)argc; return load(ctx, "KVModule_SetModuleAttribs"); }
int RedisModule_OnLoad(void *ctx, void **argv, int argc) { (void)argv; (void)argc; return load(ctx, "RedisModule_SetModuleAttribs"); }
`

interface Needs {
  /** File name of the Lua module the binary loads at start, e.g. libkvlua.so. */
  module: string
  /** Directories the binary searches (its RUNPATH). */
  searched: string[]
}

/** The Lua module a binary loads at start, if any (read from its own strings). */
export function luaModuleOf(binaryPath: string): Needs | undefined {
  let bin: string
  try {
    bin = readFileSync(binaryPath).toString('latin1')
  } catch {
    return undefined
  }
  const m = /\blib([a-z]+)lua\.so\b/.exec(bin)
  if (!m) return undefined
  // RUNPATH is stored as a colon-separated string of absolute paths near the module name
  const runpath = /(\/[\w./-]+(?::\/[\w./-]+)*modules\/lua)\0/.exec(bin)
  const searched = runpath ? runpath[1]!.split(':') : []
  return {module: m[0], searched}
}

function moduleFound(n: Needs): boolean {
  const dirs = [...n.searched, ...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/local/lib', '/usr/lib', '/lib', '/usr/lib/x86_64-linux-gnu']
  return dirs.some((d) => d !== '' && existsSync(join(d, n.module)))
}

const envCache = new Map<string, NodeJS.ProcessEnv | undefined>()

/**
 * Extra environment a server binary needs to start in the sandbox: undefined when it needs
 * nothing; else LD_LIBRARY_PATH pointing at a stand-in for its missing Lua module.
 */
export function serverEnv(binaryPath: string): NodeJS.ProcessEnv | undefined {
  if (envCache.has(binaryPath)) return envCache.get(binaryPath)
  const needs = luaModuleOf(binaryPath)
  let env: NodeJS.ProcessEnv | undefined
  if (needs && !moduleFound(needs)) {
    const dir = join(process.env.RESHARD_HOME ?? join(homedir(), '.reshard'), 'shims')
    const lib = join(dir, needs.module)
    if (!existsSync(lib)) buildStub(dir, lib, binaryPath, needs.module)
    env = {LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')}
  }
  envCache.set(binaryPath, env)
  return env
}

function buildStub(dir: string, lib: string, binaryPath: string, module: string): void {
  mkdirSync(dir, {recursive: true})
  const src = join(dir, 'nolua-module.c')
  writeFileSync(src, STUB_SOURCE)
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter((x): x is string => !!x)) {
    try {
      execFileSync(cc, ['-shared', '-fPIC', '-O2', '-o', lib, src], {stdio: 'ignore', timeout: 30_000})
      return
    } catch {
      // try the next compiler
    }
  }
  throw new PreconditionError(
    'server_module_missing',
    `${binaryPath} loads its Lua engine from ${module} at start, and that file is not installed`,
    `install ${module} where the server looks for it, or install a C compiler (cc) so the sandbox can build a stand-in without Lua`,
  )
}
