// The README's command reference is generated from the commands (`npm run readme`, i.e.
// `oclif readme`); this keeps it current.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from './helpers/cluster.js'

function commandsSection(text: string): string {
  // markers on lines of their own (oclif also prints "replacing <!-- commands --> in ...")
  const start = text.indexOf('\n<!-- commands -->\n')
  const end = text.indexOf('\n<!-- commandsstop -->')
  expect(start).toBeGreaterThanOrEqual(0)
  expect(end).toBeGreaterThan(start)
  return text.slice(start, end).trim()
}

describe('README command reference', () => {
  it('matches `oclif readme` output (run `npm run readme` after changing a command)', () => {
    const generated = execFileSync(join(REPO_ROOT, 'node_modules/.bin/oclif'), ['readme', '--no-aliases', '--no-source-links', '--readme-path', 'README.md', '--dry-run'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {...process.env, COLUMNS: '120', OCLIF_DISABLE_UPDATE_CHECK: '1'},
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    expect(commandsSection(readme)).toBe(commandsSection(generated))
  }, 60_000)
})
