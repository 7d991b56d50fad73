import {createRequire} from 'node:module'
const require = createRequire(import.meta.url)
const Redis = require('ioredis')
const c = new Redis({port: 42002, lazyConnect: true})
await c.connect()
await c.call('config', 'resetstat')
for (let round = 0; round < 4; round++) {
  let t = performance.now()
  const p = c.pipeline()
  for (let s = 0; s < 1000; s++) p.call('CLUSTER', 'COUNTKEYSINSLOT', String(s))
  await p.exec()
  const a = performance.now() - t
  t = performance.now()
  const script = 'local r = {} for i = 1, #ARGV do r[i] = redis.call("cluster","countkeysinslot",ARGV[i]) end return r'
  const args = []; for (let s = 0; s < 1000; s++) args.push(String(s))
  await c.call('EVAL', script, '0', ...args)
  const b = performance.now() - t
  console.log(`pipeline ${a.toFixed(1)} ms, eval ${b.toFixed(1)} ms`)
}
const info = await c.call('info', 'commandstats')
console.log(info.split('\n').filter(l => /countkeys|eval/.test(l)).join('\n'))
c.disconnect()
