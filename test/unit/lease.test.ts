import {describe, expect, it} from 'vitest'
import {describeHolder, leaseName, leasesIn, parseLeaseName} from '../../src/cluster/lease.js'

describe('lease names', () => {
  const owner = {host: 'ops-1.example', pid: 4242, command: 'reshard move 0-99 --to nodeB --yes', startMs: 1_700_000_000_000}

  it('round-trip through CLIENT SETNAME (printable, no spaces) and CLIENT LIST', () => {
    const name = leaseName(owner, 'held', owner.startMs + 30_000)
    expect(name).toMatch(/^[!-~]+$/)
    expect(parseLeaseName(name)).toEqual({...owner, state: 'held', expiryMs: owner.startMs + 30_000})
    const list = [
      `id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:30001 fd=8 name=${name} age=3 idle=0 flags=N db=0`,
      'id=8 addr=127.0.0.1:5001 laddr=127.0.0.1:30001 fd=9 name= age=3 idle=0 flags=N db=0',
      'id=9 addr=127.0.0.1:5002 laddr=127.0.0.1:30001 fd=10 name=some-app age=3 idle=0 flags=N db=0',
    ].join('\n')
    const found = leasesIn(list, '127.0.0.1:30001')
    expect(found).toEqual([{...owner, state: 'held', expiryMs: owner.startMs + 30_000, address: '127.0.0.1:30001', clientId: '7'}])
    expect(describeHolder(found[0]!, owner.startMs)).toBe(
      '`reshard move 0-99 --to nodeB --yes` (host ops-1.example, pid 4242, started 2023-11-14T22:13:20.000Z, running; lease valid until 2023-11-14T22:13:50.000Z, seen on 127.0.0.1:30001)',
    )
  })

  it('ignores names that are not leases', () => {
    for (const n of ['reshard-lease:v1:other:1:2:3:h:c', 'reshard-lease:v1:held:1:2:3:h', 'app', 'reshard-lease:v2:held:1:2:3:h:c']) expect(parseLeaseName(n)).toBeUndefined()
  })
})
