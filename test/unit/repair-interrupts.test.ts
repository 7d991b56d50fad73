// Ctrl-C for recover (src/cli/interrupts.ts), as `move` has it: the first signal asks the run to
// stop after the step in flight and never kills; the second also skips the waits and, if the run
// has not returned within the grace time, reports and exits through `force`; none after finish.
import {afterEach, describe, expect, it, vi} from 'vitest'
import {handleInterrupts, type Interrupts} from '../../src/cli/interrupts.js'
import {StopControl} from '../../src/migration/stop-control.js'

describe('handleInterrupts', () => {
  let installed: Interrupts | undefined
  afterEach(() => {
    installed?.uninstall()
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('first signal: stop after the step in flight; second: stop now, then force after the grace time', () => {
    vi.useFakeTimers()
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const stop = new StopControl()
    const force = vi.fn()
    installed = handleInterrupts({stop, what: 'step', force, graceMs: 1000})
    process.emit('SIGINT', 'SIGINT')
    expect(stop.hard).toBe(true)
    expect(stop.now).toBe(false)
    expect(stop.reason).toBe('interrupted by SIGINT')
    vi.advanceTimersByTime(5000)
    expect(force).not.toHaveBeenCalled()
    process.emit('SIGINT', 'SIGINT')
    expect(stop.now).toBe(true)
    vi.advanceTimersByTime(999)
    expect(force).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(force).toHaveBeenCalledWith('SIGINT')
  })

  it('after finish a second signal neither forces nor kills', () => {
    vi.useFakeTimers()
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const stop = new StopControl()
    const force = vi.fn()
    installed = handleInterrupts({stop, what: 'step', force})
    process.emit('SIGTERM', 'SIGTERM')
    installed.finish()
    process.emit('SIGTERM', 'SIGTERM')
    vi.advanceTimersByTime(10_000)
    expect(force).not.toHaveBeenCalled()
    expect(stop.now).toBe(false)
  })
})
