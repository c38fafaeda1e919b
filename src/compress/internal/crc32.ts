/**
 * CRC-32 (the zlib/PNG polynomial) of each block's original bytes. Bun has it
 * as `Bun.hash.crc32`, node:zlib from Node 20.15 (both about 8 GB/s here);
 * older runtimes get a table-driven version (about 400 MB/s). Bun's own is
 * taken first, so a command never loads node:zlib for it (zlibCall.ts).
 */
import { nodeZlib } from "./zlibCall.ts"

let table: Uint32Array | undefined

const makeTable = (): Uint32Array => {
  const made = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    made[n] = c >>> 0
  }
  return made
}

export const crc32Portable = (bytes: Uint8Array): number => {
  const TABLE = (table ??= makeTable())
  let crc = 0xffffffff
  for (let i = 0; i < bytes.byteLength; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

type Crc32 = (data: Uint8Array) => number

const bunCrc32 = (globalThis as { readonly Bun?: { readonly hash?: { readonly crc32?: Crc32 } } }).Bun?.hash?.crc32

/** The fastest CRC-32 this runtime has, found on first use. */
let chosen: Crc32 | undefined

const choose = (): Crc32 => {
  if (bunCrc32 !== undefined) return (bytes) => bunCrc32(bytes) >>> 0
  const zlibCrc32 = (nodeZlib() as { crc32?: Crc32 }).crc32
  return zlibCrc32 === undefined ? crc32Portable : (bytes) => zlibCrc32(bytes) >>> 0
}

export const crc32 = (bytes: Uint8Array): number => (chosen ??= choose())(bytes)
