// check's orphan scan: which slots each primary is asked about (rangesOutside), and what it reports.
import {describe, expect, it} from 'vitest'
import {addOrphans, rangesOutside, statusOf} from '../../src/operations/status.js'
import {complementRanges, slotRange} from '../../src/topology/slot-set.js'
import {fakeAdmin} from './fakes/fake-admin.js'
import {FakeCluster, nodeId} from './fakes/fake-cluster.js'

const A = nodeId(0)
const B = nodeId(1)

describe('orphan scan', () => {
  it("asks each primary about every slot it neither claims nor has open, minus the slots under ASM, as ranges", async () => {
    const fake = new FakeCluster([[...slotRange(0, 99), ...slotRange(200, 16383)], slotRange(100, 199)])
    fake.setSlot(fake.node(A), {slot: 150, action: 'importing', nodeId: B})
    const t = await fakeAdmin(fake).refresh()
    expect(rangesOutside(A, t, new Set())).toEqual([[100, 149], [151, 199]])
    expect(rangesOutside(A, t, new Set([120, 121]))).toEqual([[100, 119], [122, 149], [151, 199]])
    expect(rangesOutside(B, t, new Set())).toEqual([[0, 99], [200, 16383]])
    expect(rangesOutside(B, t, new Set([0, 16383]))).toEqual([[1, 99], [200, 16382]])
  })

  it('reports the keys a primary holds in slots it does not own, with the fix', async () => {
    const fake = new FakeCluster([slotRange(0, 8191), slotRange(8192, 16383)])
    fake.addKeys(B, 7, 3)
    fake.addKeys(B, 8, 2)
    const admin = fakeAdmin(fake)
    const t = await admin.refresh()
    const doc = statusOf(t)
    const asked: Array<[string, ReadonlyArray<readonly [number, number]>]> = []
    await addOrphans(
      {
        async nonEmptySlots(id, ranges) {
          asked.push([id, ranges])
          const counts = await admin.countKeys(id, ranges.flatMap(([a, b]) => slotRange(a, b)))
          const slots = ranges.flatMap(([a, b]) => slotRange(a, b))
          return new Map(slots.map((s, i) => [s, counts[i]!] as [number, number]).filter(([, n]) => n > 0))
        },
      },
      t,
      doc,
    )
    // A answered DBSIZE 0: not asked
    expect(asked).toEqual([[B, [[0, 8191]]]])
    expect(doc.orphaned).toEqual([{node: expect.any(String), slots: '7-8', keys: 5}])
    expect(doc.healthy).toBe(false)
    expect(doc.problems.join('\n')).toMatch(/5 orphaned key\(s\) on .* in slot\(s\) it does not own: 7-8; move them to the owner with: reshard recover --slot 7-8/)
  })

  it('the slots a set of ranges leaves out', () => {
    expect(complementRanges([[100, 199]])).toEqual([[0, 99], [200, 16383]])
    expect(complementRanges([[0, 99], [200, 16383]])).toEqual([[100, 199]])
    expect(complementRanges([])).toEqual([[0, 16383]])
    expect(complementRanges([[0, 16383]])).toEqual([])
    expect(complementRanges([[0, 0], [2, 2], [16383, 16383]])).toEqual([[1, 1], [3, 16382]])
  })
})
