import {describe, expect, it} from 'vitest'
import {
  AbortedError,
  AuthError,
  ConnectionError,
  EXIT,
  EXIT_CODE_HELP,
  EXIT_CODE_TABLE,
  InvalidTransitionError,
  LeftOpenError,
  type OpenSlot,
  PreconditionError,
  redact,
  ReshardError,
  SlotAlreadyImportingError,
  SlotAlreadyMigratingError,
  StalePlanError,
  TargetUnreachableError,
  UsageError,
} from '../../src/errors.js'

describe('exit code table', () => {
  const table = new Map(EXIT_CODE_TABLE)

  it.each([
    ['OK', 0],
    ['UNEXPECTED', 1],
    ['USAGE', 2],
    ['PRECONDITION', 3],
    ['STALE_PLAN', 4],
    ['LEFT_OPEN', 5],
    ['MOVES_NEEDED', 10],
    ['INTERRUPTED_PROMPT', 130],
  ] as const)('EXIT.%s is %i and is documented', (name, code) => {
    expect(EXIT[name]).toBe(code)
    expect(table.get(code)).toBeTruthy()
    expect(EXIT_CODE_HELP).toMatch(new RegExp(`^ {2} ?${code} {2}`, 'm'))
  })

  it('documents `reshard recover` for exit 5', () => {
    expect(table.get(5)).toMatch(/reshard recover/)
  })

  it('has no duplicate codes', () => {
    expect(table.size).toBe(EXIT_CODE_TABLE.length)
  })
})

describe('error classes', () => {
  const open: OpenSlot[] = [{slot: 7, state: 'migrating', source: 'a', target: 'b'}]
  const cases: Array<[string, () => ReshardError, number, string]> = [
    ['UsageError', () => new UsageError('bad flag'), 2, 'usage'],
    ['PreconditionError', () => new PreconditionError('not_owner', 'not the owner'), 3, 'not_owner'],
    ['SlotAlreadyMigratingError', () => new SlotAlreadyMigratingError(5, 'nodeA', 'nodeB'), 3, 'slot_already_migrating'],
    ['SlotAlreadyImportingError', () => new SlotAlreadyImportingError(5, 'nodeA', 'nodeB'), 3, 'slot_already_importing'],
    ['ConnectionError', () => new ConnectionError('down'), 3, 'unreachable'],
    ['AuthError', () => new AuthError('NOAUTH'), 3, 'auth'],
    ['StalePlanError', () => new StalePlanError('stale', ['slot 1 moved']), 4, 'stale_plan'],
    ['LeftOpenError', () => new LeftOpenError('interrupted', 'stopped', open), 5, 'interrupted'],
    ['TargetUnreachableError', () => new TargetUnreachableError('target down'), 5, 'target_unreachable'],
    ['InvalidTransitionError', () => new InvalidTransitionError('a', 'b'), 1, 'invalid_state_transition'],
    ['AbortedError', () => new AbortedError(), 130, 'aborted'],
  ]

  it.each(cases)('%s: exit %i, kind %s', (_name, make, exitCode, kind) => {
    const e = make()
    expect(e).toBeInstanceOf(ReshardError)
    expect(e).toBeInstanceOf(Error)
    expect(e.exitCode).toBe(exitCode)
    expect(e.kind).toBe(kind)
    expect(e.toJSON()).toMatchObject({kind, exitCode, message: e.message})
  })

  const classes: Array<[string, () => ReshardError, number, RegExp]> = [
    ['usage', () => new UsageError('x'), 2, /usage error/],
    ['precondition', () => new PreconditionError('k', 'x'), 3, /precondition failed/],
    ['stale plan', () => new StalePlanError('x', []), 4, /stale plan/],
    ['left open', () => new LeftOpenError('k', 'x', []), 5, /left open/],
    ['aborted', () => new AbortedError('nothing was changed'), 130, /cancelled at a confirmation.*nothing was changed/],
  ]
  it.each(classes)('the %s class exits with the code EXIT_CODE_TABLE gives it', (_what, make, code, text) => {
    expect(make().exitCode).toBe(code)
    expect(new Map(EXIT_CODE_TABLE).get(code)).toMatch(text)
  })

  it('precondition subclasses are PreconditionErrors', () => {
    for (const e of [new SlotAlreadyMigratingError(1, 'x', 'y'), new SlotAlreadyImportingError(1, 'x', 'y'), new ConnectionError('x'), new AuthError('x')]) {
      expect(e).toBeInstanceOf(PreconditionError)
      expect(e.exitCode).toBe(EXIT.PRECONDITION)
    }
  })

  it('slot conflicts name the slot, the node and `reshard recover --slot`', () => {
    const m = new SlotAlreadyMigratingError(42, 'nodeA', 'nodeB')
    expect(m.message).toBe('slot 42 is already MIGRATING on nodeA (to nodeB)')
    expect(m.hint).toContain('reshard recover --slot 42')
    expect(m.details).toEqual({slot: 42})
    const i = new SlotAlreadyImportingError(43, 'nodeB', 'nodeC')
    expect(i.message).toBe('slot 43 is already IMPORTING on nodeB (from nodeC)')
    expect(i.hint).toContain('reshard recover --slot 43')
  })

  it('StalePlanError carries the differences', () => {
    const e = new StalePlanError('the cluster changed', ['slot 1: owner a -> b'])
    expect(e.toJSON()).toMatchObject({differences: ['slot 1: owner a -> b']})
    expect(e.hint).toMatch(/reshard plan/)
  })
})

describe('LeftOpenError', () => {
  const open: OpenSlot[] = [
    {slot: 100, state: 'migrating', source: 'a', target: 'b'},
    {slot: 200, state: 'importing', source: 'a', target: 'b'},
  ]

  it('lists the open slots in the message and names `reshard recover` in the hint', () => {
    const e = new LeftOpenError('interrupted', 'interrupted by SIGINT', open)
    expect(e.message).toBe('interrupted by SIGINT; slots left open: 100 (1 slot, migrating), 200 (1 slot, importing)')
    expect(e.hint).toBe('run `reshard recover` to finish them')
    expect(e.open).toBe(open)
    expect(e.exitCode).toBe(5)
    expect(e.toJSON()).toMatchObject({kind: 'interrupted', exitCode: 5, open})
  })

  it('compresses many open slots into ranges with counts, one entry per state', () => {
    const many: OpenSlot[] = [
      ...Array.from({length: 203}, (_, i) => ({slot: i, state: 'streaming', source: 'a', target: 'b'})),
      {slot: 203, state: 'importing', source: 'a', target: 'b'},
      {slot: 500, state: 'streaming', source: 'a', target: 'b'},
    ]
    const e = new LeftOpenError('interrupted', 'interrupted by SIGINT', many)
    expect(e.message).toBe('interrupted by SIGINT; slots left open: 0-202,500 (204 slots, streaming), 203 (1 slot, importing)')
  })

  const hints: Array<[string, OpenSlot[], string | undefined, string | undefined, string | undefined]> = [
    ['open, with resume command', open, 'reshard move 100 --to b', undefined, 'run `reshard recover` or re-run `reshard move 100 --to b` to finish them'],
    ['open, with first step', open, undefined, 'bring nodeB back', 'bring nodeB back; then run `reshard recover` to finish them'],
    ['nothing open, resume command', [], 'reshard rebalance', undefined, 're-run `reshard rebalance` to finish the remaining moves'],
    ['nothing open, nothing to do', [], undefined, undefined, undefined],
    ['nothing open, first step only', [], undefined, 'check the logs', 'check the logs'],
  ]
  it.each(hints)('hint: %s', (_what, o, resume, first, expected) => {
    const e = new LeftOpenError('failed', 'stopped', o, resume, first)
    expect(e.hint).toBe(expected)
    if (o.length === 0) expect(e.message).toBe('stopped')
  })
})

describe('redact', () => {
  const cases: Array<[string, string, Array<string | undefined>, string]> = [
    ['one secret', 'AUTH failed for hunter2', ['hunter2'], 'AUTH failed for ***'],
    ['every occurrence', 'hunter2 hunter2!', ['hunter2'], '*** ***!'],
    ['several secrets', 'user alice pass hunter2', ['alice', 'hunter2'], 'user *** pass ***'],
    ['regex characters are literal', 'pw=a.b*c+(d) end', ['a.b*c+(d)'], 'pw=*** end'],
    ['dollar signs are literal', 'pw=$& and $1', ['$&', '$1'], 'pw=*** and ***'],
    ['undefined and empty secrets are ignored', 'nothing secret', [undefined, ''], 'nothing secret'],
    ['no secrets', 'plain', [], 'plain'],
    ['secret not present', 'plain text', ['hunter2'], 'plain text'],
  ]
  it.each(cases)('%s', (_what, text, secrets, expected) => {
    const out = redact(text, secrets)
    expect(out).toBe(expected)
    for (const s of secrets) if (s) expect(out).not.toContain(s)
  })
})
