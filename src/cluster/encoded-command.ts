// A command written to the wire as one pre-encoded Buffer (RESP multibulk), sent through
// ioredis (sendCommand) like any other: ordering, reply parsing and errors stay ioredis'. The
// MIGRATE of a batch carries up to thousands of binary keys; encoding them in one exact-size
// Buffer avoids ioredis' per-argument strings and chunk list (issue: no per-key allocations in
// the hot path).
import {createRequire} from 'node:module'
import type {Redis} from 'ioredis'

// required, not imported, like ioredis' Redis client (see connection.ts)
type CommandCtor = typeof import('ioredis/built/Command.js').default
const CommandModule = createRequire(import.meta.url)('ioredis/built/Command.js') as unknown
const Command = (CommandModule as {default: CommandCtor}).default ?? (CommandModule as CommandCtor)

/** Decimal digits of a non-negative integer. */
function digits(n: number): number {
  let d = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    d++
  }
  return d
}

/** Writes `prefix`, n in decimal and CRLF at o; returns the offset after it. */
function putHeader(out: Buffer, o: number, prefix: number, n: number): number {
  out[o++] = prefix
  const end = o + digits(n)
  for (let i = end - 1; i >= o; i--) {
    out[i] = 48 + (n % 10)
    n = Math.floor(n / 10)
  }
  out[end] = 13
  out[end + 1] = 10
  return end + 2
}

/**
 * RESP encoding of a command: `*n`, then `$len` and the bytes of each argument. Called once per
 * MIGRATE with every key of the batch, so it allocates one Buffer and nothing per key.
 */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  let size = 3 + digits(args.length)
  for (const a of args) {
    const len = typeof a === 'string' ? Buffer.byteLength(a) : a.length
    size += 5 + digits(len) + len
  }
  const out = Buffer.allocUnsafe(size)
  let o = putHeader(out, 0, 42 /* * */, args.length)
  for (const a of args) {
    if (typeof a === 'string') {
      const len = Buffer.byteLength(a)
      o = putHeader(out, o, 36 /* $ */, len)
      o += out.write(a, o, 'utf8')
    } else {
      o = putHeader(out, o, 36, a.length)
      o += a.copy(out, o)
    }
    out[o++] = 13
    out[o++] = 10
  }
  return out
}

class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly wire: Buffer,
  ) {
    super(name, [], {replyEncoding: 'utf8'})
  }
  override toWritable(): Buffer {
    return this.wire
  }
}

/** Sends `args` (the first is the command name) as one pre-encoded write; the reply as utf8. */
export function sendEncoded(client: Redis, args: ReadonlyArray<string | Buffer>): Promise<unknown> {
  const cmd = new EncodedCommand(String(args[0]).toLowerCase(), encodeCommand(args))
  return client.sendCommand(cmd as never) as Promise<unknown>
}
