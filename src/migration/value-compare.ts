// Is a key's value the same on two nodes? DUMP first (cheap, exact); when the bytes differ, a
// canonical form, because a set's or hash's DUMP can differ between processes for one value.
// `undefined` means a copy could not be read (the node neither owns nor imports the slot).
import type {ClusterReader} from '../cluster/cluster-admin.js'

export type Comparison = 'same' | 'different' | 'unreadable' | 'absent'

export async function compareValues(
  admin: Pick<ClusterReader, 'canonical'>,
  a: string,
  b: string,
  keys: readonly Buffer[],
  dumpsA: ReadonlyArray<Buffer | null | undefined>,
  dumpsB: ReadonlyArray<Buffer | null | undefined>,
): Promise<Comparison[]> {
  const out: Comparison[] = keys.map((_, i) => {
    const x = dumpsA[i]
    const y = dumpsB[i]
    if (x === null || y === null) return 'absent'
    if (x === undefined || y === undefined) return 'unreadable'
    return x.equals(y) ? 'same' : 'different'
  })
  const recheck = keys.filter((_, i) => out[i] === 'different')
  if (recheck.length === 0) return out
  const [ca, cb] = await Promise.all([admin.canonical(a, recheck), admin.canonical(b, recheck)])
  let j = 0
  keys.forEach((_, i) => {
    if (out[i] !== 'different') return
    const x = ca[j]
    const y = cb[j]
    j++
    if (x && y && x.equals(y)) out[i] = 'same'
  })
  return out
}
