/**
 * CRC-32 (the zlib/PNG polynomial) of each block's original bytes. node:zlib
 * has it, hardware-assisted, from Node 20.15 and in Bun; older runtimes get a
 * table-driven version (about 400 MB/s).
 */
import * as zlib from "node:zlib"

const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export const crc32Portable = (bytes: Uint8Array): number => {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.byteLength; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32

export const crc32: (bytes: Uint8Array) => number = native === undefined ? crc32Portable : (bytes) => native(bytes) >>> 0
