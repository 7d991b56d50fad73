// Replication credentials of a password-protected sandbox. Replicas log in to their primary
// with masterauth/masteruser; Valkey 8+ also calls them primaryauth/primaryuser, and Valkey 9's
// atomic slot migration logs the source in to the target with them (ASM.md "Auth"). Which names
// a server knows is asked (CONFIG GET), never guessed from its version.
import type {Redis} from 'ioredis'
import {knownConfigNames} from './server-info.js'

export const REPLICATION_AUTH_NAMES = ['masterauth', 'primaryauth'] as const
export const REPLICATION_USER_NAMES = ['masteruser', 'primaryuser'] as const

/**
 * Set the password (and the user, when given) under every replication credential name the
 * servers know, on every node. Returns the names set, e.g. ['masterauth', 'primaryauth'].
 */
export async function configureReplicationAuth(clients: Redis[], password: string, user?: string): Promise<string[]> {
  const first = clients[0]
  if (!first) return []
  const authNames = await knownConfigNames(first, REPLICATION_AUTH_NAMES)
  const userNames = user === undefined ? [] : await knownConfigNames(first, REPLICATION_USER_NAMES)
  await Promise.all(
    clients.map(async (c) => {
      for (const name of authNames) await c.call('CONFIG', 'SET', name, password)
      for (const name of userNames) await c.call('CONFIG', 'SET', name, user!)
    }),
  )
  return [...authNames, ...userNames]
}
