import {describe, expect, it} from 'vitest'
import {readUntil} from '../../src/cluster/poll.js'

describe('readUntil', () => {
  it('returns the first value that is done, after as many reads as it takes', async () => {
    let n = 0
    const r = await readUntil(async () => ++n, (v) => v === 3, {deadlineMs: 1000, intervalMs: 1})
    expect(r).toEqual({value: 3, done: true})
  })

  it('gives up at the deadline with the last value read, having read at least once', async () => {
    let n = 0
    const r = await readUntil(async () => ++n, () => false, {deadlineMs: 30, intervalMs: 5})
    expect(r.done).toBe(false)
    expect(r.value).toBe(n)
    expect(n).toBeGreaterThanOrEqual(1)
  })

  it('gives up at once when stop says so', async () => {
    let n = 0
    const started = Date.now()
    const r = await readUntil(async () => ++n, () => false, {deadlineMs: 10_000, intervalMs: 1, stop: () => n >= 2})
    expect(r).toEqual({value: 2, done: false})
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
