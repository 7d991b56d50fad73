// Prompt-level tests of the wizard's questions (validation, defaults, re-asking), with
// @inquirer/testing's screen standing in for the terminal.
import {screen} from '@inquirer/testing/vitest'
import {describe, expect, it} from 'vitest'
import {askConfirm, askNode, askSeed, askSlotCount, askSlotExpression, askSlotMode, askSlotOrder, askTask, validateSlotsOwned} from '../../src/prompts/wizard-questions.js'

const owned = new Set(Array.from({length: 200}, (_, i) => i))

describe('askSeed', () => {
  it('defaults to 127.0.0.1:6379', async () => {
    const answer = askSeed()
    expect(screen.getScreen()).toContain('Address of any node')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('127.0.0.1:6379')
  })
  it('re-asks on a malformed address, with the reason', async () => {
    const answer = askSeed()
    screen.keypress({name: 'backspace', ctrl: false})
    for (let i = 0; i < 20; i++) screen.keypress('backspace')
    screen.type('nohost')
    screen.keypress('enter')
    await screen.next()
    expect(screen.getScreen()).toContain('is not a host:port address')
    for (let i = 0; i < 10; i++) screen.keypress('backspace')
    screen.type('10.0.0.1:7000')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('10.0.0.1:7000')
  })
})

describe('askTask', () => {
  it('offers recover first, with a warning, when slots are open', async () => {
    const answer = askTask(2)
    const first = screen.getScreen().split('\n').find((l) => l.includes('❯'))
    expect(first).toContain('Recover 2 open slot(s) first')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('recover')
  })
  it('starts with move on a healthy cluster', async () => {
    const answer = askTask(0)
    const first = screen.getScreen().split('\n').find((l) => l.includes('❯'))
    expect(first).toContain('Move slots')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('move')
  })
})

describe('askNode', () => {
  const nodes = [
    {id: 'aaa', hostname: 'nodeA', address: '127.0.0.1:30001', slots: 5461, keys: 100},
    {id: 'bbb', hostname: 'nodeB', address: '127.0.0.1:30002', slots: 5462, keys: 200},
    {id: 'ccc', hostname: 'nodeC', address: '127.0.0.1:30003', slots: 5461, keys: 300},
  ]
  it('lists hostname, address, slots and keys, and leaves out excluded nodes', async () => {
    const answer = askNode('To which primary?', nodes, ['aaa'])
    const s = screen.getScreen()
    expect(s).toContain('nodeB')
    expect(s).toContain('127.0.0.1:30002')
    expect(s).toContain('5462 slots')
    expect(s).toContain('200 keys')
    expect(s).not.toContain('nodeA')
    screen.keypress('down')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('ccc')
  })
})

describe('slot questions', () => {
  it('mode: range', async () => {
    const answer = askSlotMode()
    screen.keypress('down')
    screen.keypress('enter')
    await expect(answer).resolves.toBe('range')
  })
  it('count: default 100 within the source slots, re-asks out of range', async () => {
    const answer = askSlotCount(50)
    expect(screen.getScreen()).toContain('(1-50)')
    screen.keypress('enter')
    await expect(answer).resolves.toBe(50)
    const again = askSlotCount(500)
    for (let i = 0; i < 5; i++) screen.keypress('backspace')
    screen.type('900')
    screen.keypress('enter')
    await new Promise((r) => setTimeout(r, 100))
    expect(screen.getScreen()).toContain('must be between 1 and 500')
    for (let i = 0; i < 5; i++) screen.keypress('backspace')
    screen.type('7')
    screen.keypress('enter')
    await expect(again).resolves.toBe(7)
  })
  it('order: fewest keys first by default', async () => {
    const answer = askSlotOrder()
    screen.keypress('enter')
    await expect(answer).resolves.toBe('fewest-keys')
  })
  it('range: re-asks malformed input and slots the source does not own, with the reason', async () => {
    const answer = askSlotExpression('range', owned, '0-99')
    screen.type('abc')
    screen.keypress('enter')
    await screen.next()
    expect(screen.getScreen()).toContain('"abc" is not a slot or slot range')
    for (let i = 0; i < 3; i++) screen.keypress('backspace')
    screen.type('150-250')
    screen.keypress('enter')
    await screen.next()
    expect(screen.getScreen()).toContain('does not own slot(s) 200-250')
    for (let i = 0; i < 7; i++) screen.keypress('backspace')
    screen.type('100-199')
    screen.keypress('enter')
    const slots = await answer
    expect(slots).toHaveLength(100)
    expect(slots[0]).toBe(100)
  })
  it('confirm defaults to no', async () => {
    const answer = askConfirm('Run it now?')
    screen.keypress('enter')
    await expect(answer).resolves.toBe(false)
  })
})

describe('validateSlotsOwned', () => {
  it.each([
    ['100-199', 'range', true],
    ['0-99,150', 'list', true],
    ['0-99,150', 'range', 'give one range'],
    ['16384', 'list', 'out of range'],
    ['300', 'list', 'does not own'],
    ['', 'list', 'no slots given'],
  ] as const)('%s as %s', (text, mode, expected) => {
    const r = validateSlotsOwned(text, owned, mode)
    if (expected === true) expect(r).toBe(true)
    else expect(String(r)).toContain(expected)
  })
})
