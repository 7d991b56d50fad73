// PURE. "Did you mean ...?" for a mistyped command or flag: the closest candidate by edit
// distance (a swap of two neighbours counts as one edit: "mvoe" -> "move"), when it is close
// enough to be a typo rather than another word.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/** The closest candidate within a typo's distance (about a third of the word, at least 1). */
export function closestWord(typed: string, candidates: readonly string[]): string | undefined {
  const t = typed.toLowerCase()
  let best: {c: string; d: number} | undefined
  for (const c of candidates) {
    const d = editDistance(t, c.toLowerCase())
    if (!best || d < best.d || (d === best.d && c < best.c)) best = {c, d}
  }
  if (!best) return undefined
  const limit = Math.max(1, Math.floor(Math.max(t.length, best.c.length) / 3))
  return best.d <= limit ? best.c : undefined
}
