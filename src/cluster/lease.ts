// Mutual exclusion between reshard runs (README "One run at a time"). A run that changes slots
// holds a lease: one dedicated connection per primary, named with CLIENT SETNAME
//   reshard-lease:v1:<state>:<expiry ms>:<start ms>:<pid>:<host>:<command>
// Every other run lists the clients of the same primaries (CLIENT LIST) before it changes
// anything. The name lives exactly as long as the connection: a run that dies (crash, SIGKILL,
// power loss) loses it when its socket closes; a run that is alive renews the expiry; a run that
// is frozen (SIGSTOP, a paused VM) keeps its sockets, so its expiry passes and `recover` may take
// it over (CLIENT KILL). No key is written, so nothing moves with the slots or needs cleaning up.
//
// Two runs that start at once: each first names its connections `pending`, then lists. On a node
// both lease, the server orders the two SETNAMEs and the two LISTs, so at least one run sees the
// other (Dekker). A run yields to any `held` lease and to a `pending` one that started earlier
// (ties: the smaller token); it waits while it sees only later `pending` ones (they will yield to
// it, or turn `held` because they saw nothing, and then it yields). Only then does it turn `held`.
import {hostname} from 'node:os'
import type {Redis} from 'ioredis'
import {PreconditionError} from '../errors.js'
import {connectNode, DEFAULT_TIMEOUT_MS, type ConnectionOptions} from './connection.js'
import {within} from './timeout.js'

const PREFIX = 'reshard-lease:v1:'
export const LEASE_TTL_MS = 30_000
const RENEW_EVERY_MS = 5_000
const WAIT_FOR_LATER_MS = 3_000

export interface LeaseOwner {
  host: string
  pid: number
  command: string
  startMs: number
}

export interface LeaseEntry extends LeaseOwner {
  state: 'pending' | 'held'
  expiryMs: number
  /** Where it was seen, and its client id there (for a take-over). */
  address: string
  clientId: string
}

/** The client name of a lease (printable ASCII without spaces, as CLIENT SETNAME requires). */
export function leaseName(o: LeaseOwner, state: 'pending' | 'held', expiryMs: number): string {
  return `${PREFIX}${state}:${expiryMs}:${o.startMs}:${o.pid}:${encodeURIComponent(o.host)}:${encodeURIComponent(o.command)}`
}

export function parseLeaseName(name: string): Omit<LeaseEntry, 'address' | 'clientId'> | undefined {
  if (!name.startsWith(PREFIX)) return undefined
  const [state, expiry, start, pid, host, ...rest] = name.slice(PREFIX.length).split(':')
  if ((state !== 'pending' && state !== 'held') || rest.length === 0) return undefined
  try {
    return {state, expiryMs: Number(expiry), startMs: Number(start), pid: Number(pid), host: decodeURIComponent(host!), command: decodeURIComponent(rest.join(':'))}
  } catch {
    return undefined
  }
}

/** Leases in a CLIENT LIST reply. */
export function leasesIn(clientList: string, address: string): LeaseEntry[] {
  const out: LeaseEntry[] = []
  for (const line of clientList.split('\n')) {
    const name = / name=(\S+)/.exec(line)?.[1]
    const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1]
    const parsed = name ? parseLeaseName(name) : undefined
    if (parsed && id) out.push({...parsed, address, clientId: id})
  }
  return out
}

const tokenOf = (o: LeaseOwner) => `${o.startMs}:${o.host}:${o.pid}`
const sameOwner = (a: LeaseOwner, b: LeaseOwner) => tokenOf(a) === tokenOf(b)
/** Whether `a` goes first: the earlier start, then the smaller token. */
const before = (a: LeaseOwner, b: LeaseOwner) => a.startMs < b.startMs || (a.startMs === b.startMs && tokenOf(a) < tokenOf(b))

export function describeHolder(e: LeaseEntry, now = Date.now()): string {
  const expired = e.expiryMs < now
  return `\`${e.command}\` (host ${e.host}, pid ${e.pid}, started ${new Date(e.startMs).toISOString()}, ${e.state === 'pending' ? 'starting' : 'running'}; lease ${expired ? 'expired' : 'valid until'} ${new Date(e.expiryMs).toISOString()}, seen on ${e.address})`
}

export class LeaseHeldError extends PreconditionError {
  constructor(holder: LeaseEntry, canTakeOver: boolean) {
    const expired = holder.expiryMs < Date.now()
    super(
      'lease_held',
      `another reshard run holds the cluster: ${describeHolder(holder)}; nothing was changed`,
      expired
        ? canTakeOver
          ? 'its lease expired but could not be taken over; check that run, then try again'
          : 'its lease expired (that run may be frozen): stop it, or run `reshard recover` to take over'
        : 'wait for it to finish (see `reshard status`), then run this again',
      {holder: {command: holder.command, host: holder.host, pid: holder.pid, start: new Date(holder.startMs).toISOString(), expires: new Date(holder.expiryMs).toISOString(), state: holder.state}},
    )
  }
}

function permissionError(e: unknown, address: string, right: string): Error {
  const msg = e instanceof Error ? e.message : String(e)
  if (/^NOPERM/.test(msg)) {
    return new PreconditionError('permission', `${address}: the user lacks ${right}, needed for the lease that keeps two reshard runs apart; nothing was changed`, 'grant the ACL listed under Permissions in the README')
  }
  return e instanceof Error ? e : new Error(msg)
}

export interface AcquireOptions {
  command: string
  /** `recover`: an expired lease is taken over (its connection killed). */
  takeOverExpired?: boolean
  now?: () => number
}

export class Lease {
  private timer?: NodeJS.Timeout
  private released = false
  private lostHandlers: Array<(reason: string) => void> = []
  lostReason?: string

  private constructor(
    readonly owner: LeaseOwner,
    private readonly clients: Map<string, Redis>,
    private readonly timeoutMs: number,
  ) {}

  /** Take the lease on every given node (host:port of each primary), or throw LeaseHeldError. */
  static async acquire(conn: ConnectionOptions, addresses: readonly string[], o: AcquireOptions): Promise<Lease> {
    const now = o.now ?? Date.now
    const owner: LeaseOwner = {host: hostname(), pid: process.pid, command: o.command, startMs: now()}
    const timeoutMs = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const clients = new Map<string, Redis>()
    const lease = new Lease(owner, clients, timeoutMs)
    try {
      await Promise.all(
        addresses.map(async (a) => {
          const i = a.lastIndexOf(':')
          clients.set(a, await connectNode(conn, a.slice(0, i), Number(a.slice(i + 1))))
        }),
      )
      await lease.name('pending', now() + LEASE_TTL_MS)
      const waitUntil = now() + WAIT_FOR_LATER_MS
      for (;;) {
        const others = (await lease.list()).filter((e) => !sameOwner(e, owner))
        const live: LeaseEntry[] = []
        for (const e of others) {
          if (o.takeOverExpired && e.expiryMs < now()) await lease.kill(e)
          else live.push(e)
        }
        const blocker = live.find((e) => e.state === 'held') ?? live.find((e) => before(e, owner))
        if (blocker) throw new LeaseHeldError(blocker, Boolean(o.takeOverExpired))
        if (live.length === 0) break
        // only later runs, still starting: they yield to us or turn held (then we yield)
        if (now() > waitUntil) throw new LeaseHeldError(live[0]!, Boolean(o.takeOverExpired))
        await new Promise((r) => setTimeout(r, 50))
      }
      await lease.name('held', now() + LEASE_TTL_MS)
      lease.watch()
      return lease
    } catch (e) {
      await lease.release()
      throw e
    }
  }

  /** Called once if the lease is lost (a connection closed, a renewal failed). */
  onLost(fn: (reason: string) => void): () => void {
    if (this.lostReason) fn(this.lostReason)
    else this.lostHandlers.push(fn)
    return () => {
      this.lostHandlers = this.lostHandlers.filter((h) => h !== fn)
    }
  }

  private async name(state: 'pending' | 'held', expiryMs: number): Promise<void> {
    const name = leaseName(this.owner, state, expiryMs)
    await Promise.all(
      [...this.clients].map(async ([a, c]) => {
        try {
          await within(c.call('CLIENT', 'SETNAME', name), this.timeoutMs, a)
        } catch (e) {
          throw permissionError(e, a, '+client|setname')
        }
      }),
    )
  }

  private async list(): Promise<LeaseEntry[]> {
    const lists = await Promise.all(
      [...this.clients].map(async ([a, c]) => {
        try {
          return leasesIn(String(await within(c.call('CLIENT', 'LIST', 'TYPE', 'normal'), this.timeoutMs, a)), a)
        } catch (e) {
          throw permissionError(e, a, '+client|list')
        }
      }),
    )
    return lists.flat()
  }

  private async kill(e: LeaseEntry): Promise<void> {
    const c = this.clients.get(e.address)!
    try {
      await within(c.call('CLIENT', 'KILL', 'ID', e.clientId), this.timeoutMs, e.address)
    } catch (err) {
      if (/No such client/i.test((err as Error).message)) return
      throw permissionError(err, e.address, '+client|kill')
    }
  }

  private watch(): void {
    // Another run leases every primary too, so it meets ours on every node still answering: a
    // node that went away (killed, restarted) takes only its own share of the lease with it.
    for (const [a, c] of this.clients) {
      c.on('close', () => {
        if (this.clients.get(a) !== c) return
        this.clients.delete(a)
        if (this.clients.size === 0) this.lost(`${a} closed the lease connection and no other primary holds it`)
      })
    }
    // A renewal may wait (a source blocked by a MIGRATE to a frozen target answers late): the
    // name stays valid until its expiry, so the lease is lost only when renewals fail past it.
    let validUntil = Date.now() + LEASE_TTL_MS
    let renewing = false
    this.timer = setInterval(() => {
      if (renewing) return
      renewing = true
      const next = Date.now() + LEASE_TTL_MS
      this.name('held', next)
        .then(
          () => (validUntil = next),
          (e: Error) => {
            if (Date.now() > validUntil - RENEW_EVERY_MS) this.lost(`the lease could not be renewed before it expired: ${e.message}`)
          },
        )
        .finally(() => (renewing = false))
    }, RENEW_EVERY_MS)
    this.timer.unref()
  }

  private lost(reason: string): void {
    if (this.released || this.lostReason) return
    this.lostReason = reason
    for (const h of this.lostHandlers) h(reason)
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    clearInterval(this.timer)
    await Promise.all(
      [...this.clients.values()].map(async (c) => {
        try {
          await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 500).unref())])
        } catch {
          /* gone already */
        }
        c.disconnect()
      }),
    )
  }
}
