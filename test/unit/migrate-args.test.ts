import {describe, expect, it} from 'vitest'
import {buildMigrateArgs, describeMigrate, type MigrateArgsInput, printable} from '../../src/cluster/migrate-args.js'

const k = (s: string): Buffer => Buffer.from(s, 'utf8')

describe('buildMigrateArgs', () => {
  const base = {host: '10.0.0.2', port: 6379, timeoutMs: 5000}
  const ka = k('user:1')
  const kb = k('user:2')

  const cases: Array<[string, MigrateArgsInput, Array<string | Buffer>]> = [
    ['one key, no options', {...base, keys: [ka]}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka]],
    ['two keys', {...base, keys: [ka, kb]}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka, kb]],
    ['replace: false', {...base, keys: [ka], replace: false}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka]],
    ['REPLACE', {...base, keys: [ka], replace: true}, ['10.0.0.2', '6379', '', '0', '5000', 'REPLACE', 'KEYS', ka]],
    ['COPY and REPLACE', {...base, keys: [ka], copy: true, replace: true}, ['10.0.0.2', '6379', '', '0', '5000', 'COPY', 'REPLACE', 'KEYS', ka]],
    ['AUTH: password only', {...base, keys: [ka], auth: {password: 'pw'}}, ['10.0.0.2', '6379', '', '0', '5000', 'AUTH', 'pw', 'KEYS', ka]],
    [
      'AUTH: user default',
      {...base, keys: [ka], auth: {user: 'default', password: 'pw'}},
      ['10.0.0.2', '6379', '', '0', '5000', 'AUTH', 'pw', 'KEYS', ka],
    ],
    ['AUTH: empty user', {...base, keys: [ka], auth: {user: '', password: 'pw'}}, ['10.0.0.2', '6379', '', '0', '5000', 'AUTH', 'pw', 'KEYS', ka]],
    [
      'AUTH2: user and password',
      {...base, keys: [ka], auth: {user: 'alice', password: 'pw'}},
      ['10.0.0.2', '6379', '', '0', '5000', 'AUTH2', 'alice', 'pw', 'KEYS', ka],
    ],
    [
      'REPLACE with AUTH2',
      {...base, keys: [ka, kb], replace: true, auth: {user: 'alice', password: 'pw'}},
      ['10.0.0.2', '6379', '', '0', '5000', 'REPLACE', 'AUTH2', 'alice', 'pw', 'KEYS', ka, kb],
    ],
    ['no password: no AUTH', {...base, keys: [ka], auth: {user: 'alice'}}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka]],
    ['empty password: no AUTH', {...base, keys: [ka], auth: {user: 'alice', password: ''}}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka]],
    ['empty auth object', {...base, keys: [ka], auth: {}}, ['10.0.0.2', '6379', '', '0', '5000', 'KEYS', ka]],
    ['timeout rounded', {...base, timeoutMs: 1500.6, keys: [ka]}, ['10.0.0.2', '6379', '', '0', '1501', 'KEYS', ka]],
    ['timeout at least 1 ms', {...base, timeoutMs: 0, keys: [ka]}, ['10.0.0.2', '6379', '', '0', '1', 'KEYS', ka]],
    ['negative timeout', {...base, timeoutMs: -50, keys: [ka]}, ['10.0.0.2', '6379', '', '0', '1', 'KEYS', ka]],
    ['IPv6 host', {...base, host: '::1', port: 30001, keys: [ka]}, ['::1', '30001', '', '0', '5000', 'KEYS', ka]],
  ]

  it.each(cases)('%s', (_what, input, expected) => {
    const args = buildMigrateArgs(input)
    expect(args).toStrictEqual(expected)
    // Exactly one empty string: the key position; every other argument is non-empty.
    expect(args.filter((a) => typeof a === 'string' && a === '')).toHaveLength(1)
    expect(args[2]).toBe('')
    expect(args.filter((a, i) => i !== 2 && typeof a === 'string' && a.length === 0)).toEqual([])
    // The keys follow KEYS, as the same Buffer instances, and nothing else does.
    const at = args.indexOf('KEYS')
    expect(at).toBeGreaterThan(4)
    expect(args.slice(at + 1)).toHaveLength(input.keys.length)
    args.slice(at + 1).forEach((a, i) => expect(a).toBe(input.keys[i]))
  })

  it('keeps binary keys as the same Buffer instances, bytes untouched', () => {
    const bin = Buffer.from([0xff, 0xfe, 0x00])
    const utf = k('ключ')
    const empty = Buffer.alloc(0)
    const keys = [bin, utf, empty]
    const args = buildMigrateArgs({host: 'h', port: 1, timeoutMs: 10, keys})
    expect(args).toHaveLength(6 + keys.length)
    expect(args[6]).toBe(bin)
    expect(args[7]).toBe(utf)
    expect(args[8]).toBe(empty)
    expect(Buffer.isBuffer(args[6])).toBe(true)
    expect([...(args[6] as Buffer)]).toEqual([0xff, 0xfe, 0x00])
    expect((args[7] as Buffer).equals(Buffer.from([0xd0, 0xba, 0xd0, 0xbb, 0xd1, 0x8e, 0xd1, 0x87]))).toBe(true)
    // The header has strings only.
    for (const a of args.slice(0, 6)) expect(typeof a).toBe('string')
  })

  it('does not modify the key array', () => {
    const keys = [k('a'), k('b')]
    const copy = [...keys]
    buildMigrateArgs({host: 'h', port: 1, timeoutMs: 10, keys})
    expect(keys).toEqual(copy)
    expect(keys[0]).toBe(copy[0])
  })

  it('throws on zero keys', () => {
    expect(() => buildMigrateArgs({host: 'h', port: 1, timeoutMs: 10, keys: []})).toThrow(/at least one key/)
  })
})

describe('describeMigrate', () => {
  const secret = 'Sup3r-s3cret!'
  const base = {host: '10.0.0.2', port: 6379, timeoutMs: 5000}

  const cases: Array<[string, MigrateArgsInput, string]> = [
    ['plain', {...base, keys: [k('a')]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS a'],
    ['REPLACE', {...base, keys: [k('a'), k('b')], replace: true}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 REPLACE KEYS a b'],
    ['AUTH masked', {...base, keys: [k('a')], auth: {password: secret}}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 AUTH *** KEYS a'],
    [
      'AUTH2 masks the password, not the user',
      {...base, keys: [k('a')], replace: true, auth: {user: 'alice', password: secret}},
      'MIGRATE 10.0.0.2 6379 "" 0 5000 REPLACE AUTH2 alice *** KEYS a',
    ],
    ['three keys in full', {...base, keys: [k('a'), k('b'), k('c')]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS a b c'],
    ['more than three keys are counted', {...base, keys: ['a', 'b', 'c', 'd', 'e'].map(k)}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS a b c ... (5 keys)'],
    ['non-UTF-8 key in hex', {...base, keys: [Buffer.from([0xff, 0xfe, 0x00])]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS 0xfffe00'],
    ['control characters in hex', {...base, keys: [k('a\nb'), k('\x7f')]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS 0x610a62 0x7f'],
    ['UTF-8 key as text', {...base, keys: [k('ключ'), k('user:{42}')]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS ключ user:{42}'],
    ['empty key', {...base, keys: [Buffer.alloc(0)]}, 'MIGRATE 10.0.0.2 6379 "" 0 5000 KEYS ""'],
  ]
  it.each(cases)('%s', (_what, input, expected) => {
    expect(describeMigrate(buildMigrateArgs(input))).toBe(expected)
  })

  const authCases: Array<[string, MigrateArgsInput['auth']]> = [
    ['AUTH', {password: secret}],
    ['AUTH, user default', {user: 'default', password: secret}],
    ['AUTH2', {user: 'alice', password: secret}],
  ]
  it.each(authCases)('never shows the password (%s)', (_what, auth) => {
    for (const keys of [[k('a')], ['a', 'b', 'c', 'd'].map(k)]) {
      for (const replace of [false, true]) {
        const text = describeMigrate(buildMigrateArgs({...base, keys, replace, auth}))
        expect(text).not.toContain(secret)
        expect(text).toContain('***')
      }
    }
  })
})

describe('printable', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['ASCII', k('user:1'), 'user:1'],
    ['UTF-8', k('é'), 'é'],
    ['invalid UTF-8', Buffer.from([0xc3]), '0xc3'],
    ['NUL', Buffer.from([0x61, 0x00]), '0x6100'],
    ['tab', k('a\tb'), '0x610962'],
    ['empty', Buffer.alloc(0), ''],
  ]
  it.each(cases)('%s', (_what, b, expected) => {
    expect(printable(b)).toBe(expected)
  })
})

describe('describeMigrate with keys named like options', () => {
  it('masks only the password, never a key called AUTH or AUTH2', () => {
    const keys = ['AUTH', 'x', 'y'].map((k) => Buffer.from(k))
    expect(describeMigrate(buildMigrateArgs({host: 'h', port: 1, keys, timeoutMs: 5, auth: {password: 'pw'}}))).toBe('MIGRATE h 1 "" 0 5 AUTH *** KEYS AUTH x y')
    const keys2 = ['AUTH2', 'x', 'y'].map((k) => Buffer.from(k))
    expect(describeMigrate(buildMigrateArgs({host: 'h', port: 1, keys: keys2, timeoutMs: 5, auth: {user: 'u', password: 'pw'}}))).toBe('MIGRATE h 1 "" 0 5 AUTH2 u *** KEYS AUTH2 x y')
  })
})
