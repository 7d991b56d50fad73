// Builds the exact argument list of MIGRATE (docs/architecture.md "Safety rules"): keys stay Buffers, and no stray
// empty argument (it would be read as a key).
export interface MigrateAuth {
  user?: string
  password?: string
}

export interface MigrateArgsInput {
  host: string
  port: number
  keys: readonly Buffer[]
  timeoutMs: number
  replace?: boolean
  copy?: boolean
  auth?: MigrateAuth
}

/** Arguments after the command name: host port "" 0 timeout [COPY] [REPLACE] [AUTH pw|AUTH2 user pw] KEYS k1..kn */
export function buildMigrateArgs(i: MigrateArgsInput): Array<string | Buffer> {
  if (i.keys.length === 0) throw new Error('MIGRATE needs at least one key')
  const args: Array<string | Buffer> = [i.host, String(i.port), '', '0', String(Math.max(1, Math.round(i.timeoutMs)))]
  if (i.copy) args.push('COPY')
  if (i.replace) args.push('REPLACE')
  if (i.auth?.password !== undefined && i.auth.password !== '') {
    if (i.auth.user !== undefined && i.auth.user !== '' && i.auth.user !== 'default') args.push('AUTH2', i.auth.user, i.auth.password)
    else args.push('AUTH', i.auth.password)
  }
  args.push('KEYS')
  for (const k of i.keys) args.push(k)
  return args
}

/** The command as people may read it: the password is masked, long key lists shortened. */
export function describeMigrate(args: ReadonlyArray<string | Buffer>): string {
  const show = (a: string | Buffer) => {
    const t = typeof a === 'string' ? a : printable(a)
    return t === '' ? '""' : t
  }
  const out: string[] = ['MIGRATE', ...args.slice(0, 5).map(show)]
  // options come in a known order before KEYS: COPY, REPLACE, AUTH pw, AUTH2 user pw
  let i = 5
  for (; i < args.length; i++) {
    const a = String(args[i])
    if (a === 'KEYS') break
    if (a === 'AUTH') {
      out.push('AUTH', '***')
      i++
    } else if (a === 'AUTH2') {
      out.push('AUTH2', show(args[i + 1]!), '***')
      i += 2
    } else out.push(a)
  }
  const keys = args.slice(i + 1)
  out.push('KEYS', ...keys.slice(0, 3).map(show))
  if (keys.length > 3) out.push(`... (${keys.length} keys)`)
  return out.join(' ')
}

export function printable(b: Buffer): string {
  const s = b.toString('utf8')
  // A key that is not valid UTF-8 is shown in hex so it survives any terminal or log.
  return Buffer.from(s, 'utf8').equals(b) && !/[\x00-\x1f\x7f]/.test(s) ? s : `0x${b.toString('hex')}`
}
