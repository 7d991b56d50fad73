// How often the atomic mover polls its task: fast while a small task may end at once and once the
// snapshot is across (the end is milliseconds away), at the base interval while the snapshot is
// copied. The run ends when a poll sees the task end, so the interval is paid at the end.
import {describe, expect, it} from 'vitest'
import {POLL_MS, pollDelay} from '../../src/migration/atomic-mover.js'

describe('pollDelay', () => {
  it('polls fast in the first second, whatever the state', () => {
    expect(pollDelay(POLL_MS, 0, undefined)).toBe(20)
    expect(pollDelay(POLL_MS, 999, 'migrating')).toBe(20)
  })

  it('polls at the base interval while the snapshot is copied', () => {
    expect(pollDelay(POLL_MS, 1000, 'migrating')).toBe(POLL_MS)
    expect(pollDelay(POLL_MS, 5000, 'importing')).toBe(POLL_MS)
    expect(pollDelay(POLL_MS, 5000, 'retrying')).toBe(POLL_MS)
  })

  it('polls fast once the snapshot is across: streaming and the handover', () => {
    expect(pollDelay(POLL_MS, 5000, 'streaming')).toBe(20)
    expect(pollDelay(POLL_MS, 5000, 'finalizing')).toBe(20)
  })

  it('never polls slower than a given base (tests pass 1 ms)', () => {
    expect(pollDelay(1, 5000, 'streaming')).toBe(1)
    expect(pollDelay(1, 0, undefined)).toBe(1)
  })

  it('the base is below the 100 ms of the servers’ own cli', () => {
    expect(POLL_MS).toBeLessThan(100)
  })
})
