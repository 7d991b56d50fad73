// --max-keys-per-second and the atomic mechanism: the servers' atomic slot migration has no rate
// setting, so a rate limit would silently not apply. `auto` moves such pairs by legacy (with a
// warning that says why); `--mechanism atomic` with a rate limit is a usage error (exit 2).
import {describe, expect, it} from 'vitest'
import type {AsmFlavour, ClusterAdmin} from '../../src/cluster/cluster-admin.js'
import {engineOptionsFrom} from '../../src/cli/engine-flags.js'
import {EXIT, UsageError} from '../../src/errors.js'
import {assertMechanismLimits, chooseMechanisms, choosePair} from '../../src/migration/mechanism.js'
import type {Topology} from '../../src/topology/topology.js'

const topo = {nodes: [], owners: [], open: [], uncovered: [], disagreements: []} as unknown as Topology

function adminWith(flavour: AsmFlavour | 'none'): {admin: ClusterAdmin; asked: string[]} {
  const asked: string[] = []
  const admin = {
    dryRun: false,
    asmFlavour: async (id: string) => {
      asked.push(id)
      return flavour
    },
  } as unknown as ClusterAdmin
  return {admin, asked}
}

describe('choosePair with a rate limit', () => {
  it('auto: a pair that could move atomically moves by legacy, with a reason worth a warning', () => {
    const c = choosePair('auto', 'valkey', 'valkey', [], {maxKeysPerSecond: 1000})
    expect(c.mechanism).toBe('legacy')
    expect(c.warn).toBe(true)
    expect(c.reason).toMatch(/--max-keys-per-second/)
  })

  it('auto without a rate limit stays atomic', () => {
    expect(choosePair('auto', 'redis', 'redis', [], {})).toEqual({mechanism: 'atomic', flavour: 'redis'})
  })

  it('a pair without atomic migration is legacy for its own reason, not a warning', () => {
    const c = choosePair('auto', 'none', 'none', [], {maxKeysPerSecond: 5})
    expect(c.mechanism).toBe('legacy')
    expect(c.reason).toMatch(/offers no atomic/)
    expect(c.warn).toBeUndefined()
  })

  it('legacy open slots are still the reason named first (and warned about)', () => {
    const c = choosePair('auto', 'valkey', 'valkey', [7], {maxKeysPerSecond: 5})
    expect(c.reason).toMatch(/recover/)
    expect(c.warn).toBe(true)
  })
})

describe('chooseMechanisms with a rate limit', () => {
  const pairs = [
    {from: 'A', to: 'B'},
    {from: 'C', to: 'D'},
  ]

  it('auto: every pair moves by legacy, each with the warning flag', async () => {
    const {admin} = adminWith('redis')
    const m = await chooseMechanisms(admin, topo, pairs, 'auto', {maxKeysPerSecond: 100})
    expect([...m.values()].map((x) => [x.mechanism, x.warn])).toEqual([
      ['legacy', true],
      ['legacy', true],
    ])
  })

  it('auto without a limit: atomic, no warning', async () => {
    const {admin} = adminWith('redis')
    const m = await chooseMechanisms(admin, topo, pairs, 'auto', {})
    expect([...m.values()].map((x) => [x.mechanism, x.warn])).toEqual([
      ['atomic', undefined],
      ['atomic', undefined],
    ])
  })

  it('atomic with a limit: a usage error (exit 2) before any node is asked', async () => {
    const {admin, asked} = adminWith('valkey')
    const e = await chooseMechanisms(admin, topo, pairs, 'atomic', {maxKeysPerSecond: 100}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(UsageError)
    expect((e as UsageError).exitCode).toBe(EXIT.USAGE)
    expect(asked).toEqual([])
  })

  it('legacy with a limit is fine', async () => {
    const {admin} = adminWith('valkey')
    const m = await chooseMechanisms(admin, topo, pairs, 'legacy', {maxKeysPerSecond: 100})
    expect([...m.values()].every((x) => x.mechanism === 'legacy' && !x.warn)).toBe(true)
  })
})

describe('the flags', () => {
  it('--mechanism atomic --max-keys-per-second N is a usage error', () => {
    expect(() => engineOptionsFrom({mechanism: 'atomic', 'max-keys-per-second': 500})).toThrow(UsageError)
    expect(() => assertMechanismLimits('atomic', {maxKeysPerSecond: 500})).toThrow(/cannot limit an atomic slot migration/)
  })

  it('--max-keys-per-second with auto, legacy or no --mechanism is accepted', () => {
    for (const mechanism of ['auto', 'legacy', undefined]) {
      expect(engineOptionsFrom({mechanism, 'max-keys-per-second': 500}).maxKeysPerSecond).toBe(500)
    }
    expect(() => engineOptionsFrom({mechanism: 'atomic'})).not.toThrow()
  })
})
