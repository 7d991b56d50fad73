// scripts/bundle-patches.js edits dependencies' files in the bundle for start-up time. Each edit
// must still find its text in the installed version, and must not change what the code does.
import {readFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
// @ts-expect-error: a plain JavaScript build script, no types
import {applyPatch, patches} from '../../scripts/bundle-patches.js'

type Patch = {file: RegExp; why: string; edits: Array<[string, string]>}
const require = createRequire(import.meta.url)
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..')
const patchFor = (path: string): Patch => (patches as Patch[]).find((p) => p.file.test(path))!

/** Load a CommonJS file of node_modules from the given text instead of the file's. */
function loadAs(path: string, text: string): Record<string, unknown> {
  const m = new Module(path) as Module & {_compile(text: string, path: string): void; paths: string[]}
  m.filename = path
  m.paths = (Module as unknown as {_nodeModulePaths(d: string): string[]})._nodeModulePaths(dirname(path))
  m._compile(text, path)
  return m.exports as Record<string, unknown>
}

describe('bundle patches', () => {
  it('every patch finds its text, once, in the installed dependency', () => {
    const files = ['@oclif/core/lib/cache.js', '@oclif/core/lib/config/plugin.js', 'ioredis/built/utils/Commander.js'].map((f) => join(root, 'node_modules', f))
    for (const patch of patches as Patch[]) {
      const file = files.find((f) => patch.file.test(f))
      expect(file, patch.why).toBeDefined()
      expect(() => applyPatch(patch, file!)).not.toThrow()
    }
  })

  it('a patch whose text is gone fails the build with what to do', () => {
    expect(() => applyPatch(patchFor('/x/ioredis/built/utils/Commander.js'), '/x/Commander.js', 'nothing to patch')).toThrow(/update scripts\/bundle-patches\.js/)
  })

  it("ioredis' Commander: the same methods, in the same order, and they still send commands", () => {
    const path = join(root, 'node_modules', 'ioredis/built/utils/Commander.js')
    const original = (require(path) as {default: {prototype: object}}).default.prototype
    const patched = (loadAs(path, applyPatch(patchFor(path), path)) as {default: {prototype: object}}).default.prototype
    expect(Object.getOwnPropertyNames(patched)).toEqual(Object.getOwnPropertyNames(original))
    expect(Object.keys(patched)).toEqual(Object.keys(original))
    expect(Object.getOwnPropertyNames(patched)).not.toContain('__reshardA')
    expect(Object.getOwnPropertyNames(patched).length).toBeGreaterThan(500)
  })

  it('command ids sort the same by code unit as by localeCompare, for every manifest in use', () => {
    const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {oclif: {plugins: string[]}}
    const manifests = [join(root, 'oclif.manifest.json'), ...pjson.oclif.plugins.map((p) => join(root, 'node_modules', p, 'oclif.manifest.json'))]
    for (const file of manifests) {
      const ids = Object.keys((JSON.parse(readFileSync(file, 'utf8')) as {commands: Record<string, unknown>}).commands)
      expect(ids.length, file).toBeGreaterThan(0)
      const byLocale = [...ids].sort((a, b) => a.localeCompare(b))
      const byCodeUnit = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect(byCodeUnit, file).toEqual(byLocale)
      for (const id of ids) expect(id, file).toMatch(/^[a-z0-9:-]+$/)
    }
  })
})
