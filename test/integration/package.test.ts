// The published package: what `npm pack` would ship (no source maps, no dev entry point, a
// LICENSE that matches package.json). Runs on the built dist/ (integration tests build first).
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from './helpers/cluster.js'

describe('npm pack', () => {
  it('ships the CLI, the manifest and the LICENSE, and no .map file or bin/dev.js', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
    const files = (JSON.parse(out) as Array<{files: Array<{path: string}>}>)[0]!.files.map((f) => f.path)
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files).not.toContain('bin/dev.js')
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([])
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/run.js', 'bin/code-cache.js', 'oclif.manifest.json', 'dist/bundle/cli.cjs', 'dist/bundle/commands/move.cjs', 'dist/bundle/commands/add-node.cjs', 'dist/bundle/hooks/command-not-found.cjs', 'bin/package.json']) {
      expect(files).toContain(f)
    }
    // the CLI runs from the bundle alone (scripts/bundle.js): tsc's separate files stay out
    expect(files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/'))).toEqual([])
    // every file the manifest names is shipped
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {relativePath: string[]}>}
    for (const c of Object.values(manifest.commands)) expect(files).toContain(c.relativePath.join('/'))
  })

  it('has an MIT LICENSE matching package.json', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {license: string}
    expect(pkg.license).toBe('MIT')
    expect(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /)
  })
})
