/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over bytes. Written here
 * because `node:zlib` gains `crc32` only in Node 22 and this project's floor
 * is Node 20.
 */

const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** The unsigned CRC-32 of `bytes[start, end)`. */
export const crc32 = (bytes: Uint8Array, start = 0, end = bytes.length): number => {
  let crc = 0xffffffff
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** The CRC as the 8 lowercase hex digits the journal writes. */
export const toHex = (crc: number): string => crc.toString(16).padStart(8, "0")
