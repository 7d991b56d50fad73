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

/** RESP encoding of a command: `*n`, then `$len` and the bytes of each argument. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts = args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a))
  let size = 3 + String(parts.length).length
  for (const p of parts) size += 5 + String(p.length).length + p.length
  const out = Buffer.allocUnsafe(size)
  let o = out.write(`*${parts.length}\r\n`, 0, 'latin1')
  for (const p of parts) {
    o += out.write(`$${p.length}\r\n`, o, 'latin1')
    o += p.copy(out, o)
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
