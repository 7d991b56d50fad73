// Moves grouped by source -> target pair, in first-seen order: the unit the engine runs (one
// strategy per pair), the preview shows and the mechanism is chosen for. Pure.
import type {MoveSpec} from './reconcile.js'

export interface Pair<M extends MoveSpec = MoveSpec> {
  from: string
  to: string
  moves: M[]
}

/** The key of a pair in maps (`from>to`). */
export const pairKey = (from: string, to: string): string => `${from}>${to}`

export function groupPairs<M extends MoveSpec>(moves: readonly M[]): Array<Pair<M>> {
  const byKey = new Map<string, Pair<M>>()
  for (const m of moves) {
    const k = pairKey(m.from, m.to)
    let p = byKey.get(k)
    if (!p) byKey.set(k, (p = {from: m.from, to: m.to, moves: []}))
    p.moves.push(m)
  }
  return [...byKey.values()]
}
