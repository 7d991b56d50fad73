// Reads of keys for RedisClusterAdmin: the read-only Lua scripts it sends (never a SETSLOT, see
// setslot.ts), and DUMP / canonical contents of keys on one node, for the loss check.
import type {Redis} from 'ioredis'

// Type + contents of a key with unordered types sorted: equal values give equal replies even
// when their DUMPs differ (a set's or hash's encoding order can differ between processes).
// Streams and other types return false here and are compared by DUMP only.
export const CANONICAL_SCRIPT = `
local k = KEYS[1]
local t = redis.call('TYPE', k)['ok']
if t == 'none' then return nil end
local out = {t}
local function add(v) out[#out + 1] = v end
if t == 'string' then add(redis.call('GET', k))
elseif t == 'list' then for _, v in ipairs(redis.call('LRANGE', k, 0, -1)) do add(v) end
elseif t == 'set' then local m = redis.call('SMEMBERS', k); table.sort(m); for _, v in ipairs(m) do add(v) end
elseif t == 'zset' then for _, v in ipairs(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')) do add(v) end
elseif t == 'hash' then
  local h = redis.call('HGETALL', k); local f = {}
  for i = 1, #h, 2 do f[#f + 1] = h[i] .. '=' .. string.len(h[i]) .. '=' .. h[i + 1] end
  table.sort(f); for _, v in ipairs(f) do add(v) end
else add('dump-only') add(redis.call('DUMP', k)) end
add('ttl'); add(tostring(redis.call('PTTL', k) > 0))
return out`

// COUNTKEYSINSLOT lists as one read-only script per node (a wave has up to 1024 slots, and a
// pipeline of 1024 commands costs the client ~20 ms of command objects and reply handling; the
// server needs ~1 ms). Each count comes back in list order, or the error text.
// CLUSTER SETSLOT is never sent from a script (setslot.ts): on Valkey 8+ a primary with
// replicas blocks the caller until its replicas acknowledge, and a blocked script aborts the
// server process.
export const COUNTKEYS_SCRIPT = `
local out = {}
for i = 1, #ARGV do
  local r = redis.pcall('CLUSTER', 'COUNTKEYSINSLOT', ARGV[i])
  if type(r) == 'table' and r.err then out[#out + 1] = r.err else out[#out + 1] = r end -- a count, or the error text
end
return out`

// The slots of some ranges that hold keys, as flat [slot, count, ...] pairs (ARGV: start, end, ...):
// `check`'s orphan scan asks a primary about every slot it does not own (~11,000 of 16,384), and
// sending them one by one and reading back 11,000 counts costs the client ~100 ms of command
// objects, replies and garbage; the ranges and the few non-empty slots cost nothing.
/** The node's keys outside the slot ranges of ARGV (lo, hi pairs): DBSIZE minus the keys in them.
 *  A table of one number (a script's number alone is not told apart from an error reply here). */
export const OUTSIDE_SCRIPT = `
local n = 0
for i = 1, #ARGV, 2 do
  for s = tonumber(ARGV[i]), tonumber(ARGV[i + 1]) do
    n = n + redis.call('CLUSTER', 'COUNTKEYSINSLOT', s)
  end
end
return {redis.call('DBSIZE') - n}`

export const NONEMPTY_SCRIPT = `
local out = {}
for i = 1, #ARGV, 2 do
  for s = tonumber(ARGV[i]), tonumber(ARGV[i + 1]) do
    local n = redis.call('CLUSTER', 'COUNTKEYSINSLOT', s)
    if n > 0 then out[#out + 1] = s; out[#out + 1] = n end
  end
end
return out`

/** DUMP of each key (ASKING first): null when the node does not have it, undefined when it will not show it. */
export async function dumpKeys(c: Redis, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
  const p = c.pipeline()
  for (const k of keys) {
    p.call('ASKING')
    p.callBuffer('DUMP', k)
  }
  const res = (await p.exec()) ?? []
  const out: Array<Buffer | null | undefined> = []
  for (let i = 0; i < keys.length; i++) {
    const [err, val] = res[2 * i + 1] ?? [new Error('no reply'), null]
    if (err) {
      // ASK: a MIGRATING node does not have the key. MOVED: the node neither owns nor imports
      // the slot, so it will not show its copy (orphaned keys): unreadable.
      if (/^ASK /.test(err.message)) {
        out.push(null)
        continue
      }
      if (/^MOVED |^CLUSTERDOWN/.test(err.message)) {
        out.push(undefined)
        continue
      }
      throw err
    }
    out.push((val as Buffer | null) ?? null)
  }
  return out
}

/** Each key's type and contents in a canonical order (CANONICAL_SCRIPT), length-prefixed; null / undefined as dumpKeys. */
export async function canonicalKeys(c: Redis, keys: readonly Buffer[]): Promise<Array<Buffer | null | undefined>> {
  const out: Array<Buffer | null | undefined> = []
  for (const k of keys) {
    try {
      await c.call('ASKING')
      const r = (await c.callBuffer('EVAL', CANONICAL_SCRIPT, '1', k)) as Buffer[] | null
      out.push(r === null ? null : Buffer.concat(r.flatMap((part) => [Buffer.from(String(part.length) + ':'), part])))
    } catch (e) {
      if (/^(MOVED|ASK|CLUSTERDOWN) /.test((e as Error).message)) out.push((e as Error).message.startsWith('ASK') ? null : undefined)
      else throw e
    }
  }
  return out
}
