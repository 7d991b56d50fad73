// Free loopback ports. A cluster node needs its port AND its cluster bus port (port + 10000).
import {createServer} from 'node:net'

export const BUS_PORT_OFFSET = 10000

/** Whether `port` can be bound on `host` right now (a check, not a reservation: callers retry). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return resolve(false)
    const srv = createServer()
    srv.unref()
    srv.once('error', () => resolve(false))
    srv.listen({port, host, exclusive: true}, () => {
      srv.close(() => resolve(true))
    })
  })
}

/** Whether a node can use `port`: the port and its bus port are both free. */
export async function isNodePortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (port + BUS_PORT_OFFSET > 65535) return false
  const [a, b] = await Promise.all([isPortFree(port, host), isPortFree(port + BUS_PORT_OFFSET, host)])
  return a && b
}

/** The ports among `ports` that are busy (port or bus port). */
export async function busyNodePorts(ports: number[], host = '127.0.0.1'): Promise<number[]> {
  const free = await Promise.all(ports.map((p) => isNodePortFree(p, host)))
  return ports.filter((_, i) => !free[i])
}

export interface FindPortsOptions {
  host?: string
  /** Lowest base port (default 20000). */
  min?: number
  /** Highest port of the range (default 55000, so bus ports stay below 65536). */
  max?: number
  attempts?: number
  /** Random source in [0,1); defaults to Math.random (port choice need not be deterministic). */
  random?: () => number
}

/**
 * A random base port such that base .. base+count-1 and their bus ports are all free.
 * Random so that test files running in parallel rarely pick the same range; callers still
 * retry when a server then fails to bind (another process may take a port in between).
 */
export async function findFreePortRange(count: number, opts: FindPortsOptions = {}): Promise<number> {
  const host = opts.host ?? '127.0.0.1'
  const min = opts.min ?? 20000
  const max = Math.min(opts.max ?? 55000, 65535 - BUS_PORT_OFFSET)
  const random = opts.random ?? Math.random
  const attempts = opts.attempts ?? 50
  for (let a = 0; a < attempts; a++) {
    const base = min + Math.floor(random() * (max - min - count))
    const ports = Array.from({length: count}, (_, i) => base + i)
    if ((await busyNodePorts(ports, host)).length === 0) return base
  }
  throw new Error(`no ${count} consecutive free ports (with bus ports) found on ${host} after ${attempts} attempts`)
}

/** The first port >= `from` that a node can use. */
export async function findFreeNodePort(from: number, host = '127.0.0.1', limit = 200): Promise<number> {
  for (let p = from; p < from + limit && p + BUS_PORT_OFFSET <= 65535; p++) {
    if (await isNodePortFree(p, host)) return p
  }
  throw new Error(`no free port (with bus port) found on ${host} from ${from}`)
}
