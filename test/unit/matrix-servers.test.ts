// The test matrix: the PATH redis-server always, plus env RESHARD_TEST_SERVERS (NAME=PATH,...).
import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../integration/helpers/cluster.js'
import {matrixServers, parseServerList, skippedServersNote} from '../integration/helpers/matrix.js'

describe('matrixServers', () => {
  it('parses NAME=PATH pairs, paths relative to the repository root', () => {
    expect(parseServerList('a=/x/valkey-server, b=bin/kv-server,')).toEqual([
      {name: 'a', server: '/x/valkey-server'},
      {name: 'b', server: `${REPO_ROOT}/bin/kv-server`},
    ])
    expect(parseServerList(undefined)).toEqual([])
    expect(() => parseServerList('valkey')).toThrow(/not NAME=PATH/)
  })

  it('always has the PATH redis-server, named by its version; says which known servers it skipped', () => {
    const servers = matrixServers({})
    const v = /v=(\d+\.\d+)/.exec(execFileSync('redis-server', ['--version'], {encoding: 'utf8'}))![1]
    expect(servers.map((s) => s.name)).toEqual([`redis-${v}`])
    expect(servers[0]!.cli).toMatch(/redis-cli$/)
    expect(skippedServersNote(servers)).toMatch(/skipped valkey-8\.0, valkey-9\.0, redis-8: set RESHARD_TEST_SERVERS=valkey-8\.0=/)
  })

  it('a listed server that does not exist is an error, not a silent skip', () => {
    expect(() => matrixServers({RESHARD_TEST_SERVERS: 'valkey-8.0=/nonexistent/valkey-server'})).toThrow(/no such file/)
  })
})
