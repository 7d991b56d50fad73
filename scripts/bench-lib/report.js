// Statistics and the markdown tables the benchmark prints.

export function median(xs) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function summarize(xs) {
  if (xs.length === 0) return {min: null, median: null, max: null}
  return {min: Math.min(...xs), median: median(xs), max: Math.max(...xs)}
}

export function fmtNum(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—'
  return x.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

/** A rate or size with sensible precision for its magnitude. */
export function fmtAuto(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—'
  if (Math.abs(x) >= 100) return fmtNum(x, 0)
  if (Math.abs(x) >= 10) return fmtNum(x, 1)
  return fmtNum(x, 2)
}

export function fmtMs(x) {
  if (x === null || x === undefined) return '—'
  return x >= 100 ? fmtNum(x, 0) : x >= 10 ? fmtNum(x, 1) : fmtNum(x, 2)
}

export function fmtRatio(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`
}

/** A markdown table: header row, separator, rows (numbers right-aligned by `align`). */
export function markdownTable(header, rows, align = []) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)))
  const cell = (v, i) => (align[i] === 'r' ? String(v ?? '').padStart(widths[i]) : String(v ?? '').padEnd(widths[i]))
  const lines = [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${widths.map((w, i) => (align[i] === 'r' ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ]
  return lines.join('\n')
}
