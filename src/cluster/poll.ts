// Re-reading the cluster until it says what we wait for: gossip lags, so "every node names the new
// owner" or "the drained node is a replica now" is polled with a deadline, never assumed.

export interface PollOptions {
  /** Give up after this long (the last value read is returned, with done = false). */
  deadlineMs: number
  /** Pause between reads (default 100 ms). */
  intervalMs?: number
  /** Give up at once when this says so (the second Ctrl-C). */
  stop?: () => boolean
}

/** Calls `read` until `done(value)`, the deadline or `stop`; always reads at least once. */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, o: PollOptions): Promise<{value: T; done: boolean}> {
  const deadline = Date.now() + o.deadlineMs
  for (;;) {
    const value = await read()
    if (done(value)) return {value, done: true}
    if (o.stop?.() || Date.now() > deadline) return {value, done: false}
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100))
  }
}
