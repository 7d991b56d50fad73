// What the sandbox prints and records about its server: name and version from INFO server as
// each server of the matrix answers it (servers/README.md), and why a server exited at start.
import {describe, expect, it} from 'vitest'
import {parseInfo, serverIdentity, startFailureReason} from '../../src/sandbox/server-info.js'

const info = (lines: string[]) => parseInfo(['# Server', ...lines, ''].join('\r\n'))

describe('serverIdentity', () => {
  it('names each server of the matrix by what it says, not by redis_version', () => {
    expect(serverIdentity(info(['redis_version:7.0.15', 'redis_mode:cluster']))).toEqual({name: 'redis', version: '7.0.15', label: 'redis 7.0.15'})
    expect(serverIdentity(info(['redis_version:7.2.4', 'server_name:valkey', 'valkey_version:8.0.1']))).toEqual({name: 'valkey', version: '8.0.1', label: 'valkey 8.0.1'})
    expect(serverIdentity(info(['redis_version:7.2.4', 'server_name:kv', 'kv_version:9.0.4']))).toEqual({name: 'kv', version: '9.0.4', label: 'kv 9.0.4'})
    expect(serverIdentity(info(['redis_version:255.255.255']))).toEqual({name: 'redis', version: '255.255.255', label: 'redis 255.255.255 (unstable)'})
  })

  it('falls back to redis_version when the named version field is missing', () => {
    expect(serverIdentity(info(['redis_version:7.2.4', 'server_name:Other']))).toMatchObject({name: 'other', version: '7.2.4'})
  })
})

describe('startFailureReason', () => {
  it('picks the reason out of a crash report (a kv-server without its Lua module)', () => {
    const log = [
      '2200:M 02 Dec 2026 13:35:48.721 # WARNING Memory overcommit must be enabled! Without it, a background save may fail.',
      '2200:M 02 Dec 2026 13:35:48.726 * oO0OoO0OoO0Oo KV is starting oO0OoO0OoO0Oo',
      '2200:M 02 Dec 2026 13:35:48.726 * Configuration loaded',
      '2200:M 02 Dec 2026 13:35:48.767 * Running mode=cluster, port=32090.',
      '2200:M 02 Dec 2026 13:35:48.768 # Module libkvlua.so failed to load: libkvlua.so: cannot open shared object file: No such file or directory',
      '',
      '=== KV BUG REPORT START: Cut & paste starting from here ===',
      '2200:M 02 Dec 2026 13:35:48.768 # ------------------------------------------------',
      '2200:M 02 Dec 2026 13:35:48.768 # !!! Software Failure. Press left mouse button to continue',
      '2200:M 02 Dec 2026 13:35:48.768 # Guru Meditation: Lua engine initialization failed, check the server logs. #server.c:7616',
      '------ STACK TRACE ------',
    ].join('\n')
    expect(startFailureReason(log)).toBe(
      'Module libkvlua.so failed to load: libkvlua.so: cannot open shared object file: No such file or directory; Guru Meditation: Lua engine initialization failed, check the server logs. #server.c:7616',
    )
  })

  it('a bad config directive', () => {
    const log = ['*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***', "Reading the configuration file, at line 20", ">>> 'primaryauth \"x\"'", 'Bad directive or wrong number of arguments'].join('\n')
    expect(startFailureReason(log)).toMatch(/FATAL CONFIG FILE ERROR.*Bad directive/)
  })

  it('the last lines when nothing stands out', () => {
    expect(startFailureReason('a\nb\nc\nd')).toBe('b; c; d')
  })
})
