import {seedKeys} from '/work/main/dist/sandbox/seed.js'
const conn = {seeds: [{host: '127.0.0.1', port: 42001}], source: 'flag', connectTimeoutMs: 3000}
const slots = Array.from({length: 100}, (_, i) => i)
const r = await seedKeys(conn, {count: 200000, slots, prefix: 'b', mix: 'strings'})
console.log(r.count ?? r)
process.exit(0)
