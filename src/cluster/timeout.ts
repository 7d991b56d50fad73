// One way to bound the wait for a node: a stopped or blocked node must never hang a run.
import {ConnectionError} from '../errors.js'

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new ConnectionError(`${what} did not answer within ${Math.round(ms / 1000)} s`, 'check that the node is up and not blocked, then run `reshard check`')), ms)
    timer.unref()
  })
  return Promise.race([p.catch((e: unknown) => Promise.reject(closedError(e, what))), late]).finally(() => clearTimeout(timer))
}

/** ioredis' words for a connection that went away, as what happened and what to do. */
const CLOSED = /^(Connection is closed\.?|Stream isn't writeable.*|read ECONNRESET|write EPIPE|connect ECONNREFUSED .*)$/

export function closedMessage(message: string, what: string): string {
  return CLOSED.test(message) ? `${what} closed the connection (${message.replace(/\.$/, '')}): the node stopped, crashed or restarted` : message
}

export function closedError(e: unknown, what: string): unknown {
  if (!(e instanceof Error) || !CLOSED.test(e.message)) return e
  return new ConnectionError(closedMessage(e.message, what), 'check the node with `reshard status` and bring it back')
}

/** How long an admin command may wait for its node: a stopped node must not hang a run. */
export const ADMIN_TIMEOUT_MS = 15_000
