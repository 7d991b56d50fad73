// CRC16 (XMODEM) and the Redis Cluster key -> slot mapping, on raw bytes: keys are binary
// (docs/architecture.md "Safety rules"), so a key is hashed exactly as the server hashes it, never re-encoded.

export const SLOT_COUNT = 16384

const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let crc = i << 8
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    t[i] = crc
  }
  return t
})()

export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ data[i]!) & 0xff]!
  return crc
}

/** The slot of a key, honouring hash tags: the bytes between the first `{` and the next `}`, if non-empty. */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  const open = bytes.indexOf(0x7b)
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) return crc16(bytes, open + 1, close) & (SLOT_COUNT - 1)
  }
  return crc16(bytes) & (SLOT_COUNT - 1)
}

let tagTable: string[] | undefined

/**
 * A short hash tag for every slot: `{tag}` makes a key land in that slot. Found by brute force
 * once (about 170k CRCs, a few ms) and cached; deterministic.
 */
export function hashTagForSlot(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot} is out of range 0-16383`)
  if (!tagTable) {
    const table = new Array<string>(SLOT_COUNT)
    let missing = SLOT_COUNT
    for (let i = 0; missing > 0; i++) {
      const tag = i.toString(36)
      const s = crc16(Buffer.from(tag, 'latin1')) & (SLOT_COUNT - 1)
      if (table[s] === undefined) {
        table[s] = tag
        missing--
      }
    }
    tagTable = table
  }
  return tagTable[slot]!
}
