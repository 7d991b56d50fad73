// The hint after `sandbox up` must work as typed: `reshard` only when that name on PATH is this
// CLI, `npx reshard` under npx, else `node <path of bin/run.js>`.
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cliInvocation} from '../../src/sandbox/invocation.js'

let root: string
let script: string

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'reshard-invocation-'))
  mkdirSync(join(root, 'repo', 'bin'), {recursive: true})
  script = join(root, 'repo', 'bin', 'run.js')
  writeFileSync(script, '#!/usr/bin/env node\n', {mode: 0o755})
  mkdirSync(join(root, 'global'))
  symlinkSync(script, join(root, 'global', 'reshard'))
  mkdirSync(join(root, 'other'))
  writeFileSync(join(root, 'other', 'reshard'), '#!/bin/sh\n', {mode: 0o755})
})

afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('cliInvocation', () => {
  it('`reshard` when PATH leads to this very script', () => {
    expect(cliInvocation({script, cwd: root, env: {PATH: join(root, 'global')}})).toBe('reshard')
    // run through the PATH link itself
    expect(cliInvocation({script: join(root, 'global', 'reshard'), cwd: root, env: {PATH: join(root, 'global')}})).toBe('reshard')
  })

  it('not `reshard` when that name on PATH is another program, or missing', () => {
    expect(cliInvocation({script, cwd: join(root, 'repo'), env: {PATH: join(root, 'other')}})).toBe('node bin/run.js')
    expect(cliInvocation({script, cwd: join(root, 'repo'), env: {PATH: ''}})).toBe('node bin/run.js')
  })

  it('`npx reshard` under npx', () => {
    expect(cliInvocation({script, cwd: root, env: {PATH: '', npm_command: 'exec', npm_lifecycle_event: 'npx'}})).toBe('npx reshard')
  })

  it('an absolute path from outside the repository', () => {
    expect(cliInvocation({script, cwd: join(root, 'other'), env: {PATH: ''}})).toBe(`node ${script}`)
  })
})
