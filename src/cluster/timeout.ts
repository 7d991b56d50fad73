// One way to bound the wait for a node: a stopped or blocked node must never hang a run.
import {ConnectionError} from '../errors.js'

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new ConnectionError(`${what} did not answer within ${Math.round(ms / 1000)} s`, 'check that the node is up and not blocked, then run `reshard check`')), ms)
    timer.unref()
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}
