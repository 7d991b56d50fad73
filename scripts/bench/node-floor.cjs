#!/usr/bin/env node
// The least a Node.js tool can do to move slots by Redis 8's atomic slot migration: load ioredis,
// send CLUSTER MIGRATION IMPORT to the target, poll CLUSTER MIGRATION STATUS every 20 ms until
// completed. No discovery, no lease, no checks. Timed as a whole process beside the redis-cli
// one-liner and `reshard move`, it shows the floor of any Node.js CLI (README, Performance).
//
//   node scripts/bench/node-floor.cjs TARGET_PORT FIRST_SLOT LAST_SLOT
const Redis = require('ioredis')

const [port, first, last] = process.argv.slice(2)
const r = new Redis({host: '127.0.0.1', port: Number(port)})
;(async () => {
  const id = await r.call('CLUSTER', 'MIGRATION', 'IMPORT', first, last)
  for (;;) {
    const s = JSON.stringify(await r.call('CLUSTER', 'MIGRATION', 'STATUS', 'ID', id))
    if (s.includes('completed')) break
    if (s.includes('canceled')) throw new Error(s)
    await new Promise((res) => setTimeout(res, 20))
  }
  r.disconnect()
})().catch((e) => {
  console.error(e.message)
  process.exit(1)
})
