/**
 * The chunk index: for every chunk id, the pack, offset and length of its
 * record (docs/store-format.md §6). It is derived data: every fact in it is
 * also in the packs' trailers, so a lost or damaged index is rebuilt from
 * the packs, and packs the index does not list (a crash after a pack was
 * renamed into place, before the index was rewritten) are folded in when
 * the store is loaded.
 *
 * In memory the index is a handful of typed arrays (about 64 bytes per
 * chunk: a 1 TiB store at the default sizes, ~750 k chunks, takes ~50 MB)
 * with an open-addressing table on the first four bytes of the id (keyed
 * hashes are uniform), and a Bloom filter in front of it for "is this chunk
 * new?", the question an add asks of every chunk, and whose answer is
 * usually "yes" for new data.
 *
 * A chunk may be in more than one pack (an interrupted gc leaves copies);
 * the first pack in index order holds the copy reads use, the "primary".
 *
 * The index file, integers little-endian:
 *
 *   0      8 bytes  magic "SVINDEX\0"
 *   8      u32      format version (1)
 *   12     u32      reserved (0)
 *   16     seal("index", body)
 *   end-32 32 bytes SHA-256 of every byte before it
 *
 * body: u32 pack count; per pack: name (32 bytes, the SHA-256 of the pack)
 * ‖ size (f64) ‖ entry count (u32); then every pack's entries in pack order:
 * id (32) ‖ offset (u32) ‖ record length (u32) ‖ raw length (u32).
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { Effect, Result } from "effect"
import type { Files } from "../adapters/fs/Files.ts"
import { BloomFilter } from "../memory/Bloom.ts"
import { CHUNK_ID_BYTES } from "./ChunkId.ts"
import type { RepoCipher } from "./Cipher.ts"
import { RepoCorrupt, FileError } from "./Errors.ts"
import { fromHex, listDir, readBytes, toHex, writeAtomically } from "./internal/fs.ts"
import { PACK_NAME, type PackEntry, packFileName, readPackTrailer, scanRecords, readPack } from "./Packs.ts"

export const INDEX_MAGIC: Uint8Array = new TextEncoder().encode("SVINDEX\0")
export const INDEX_VERSION = 1
const INDEX_PREAMBLE_BYTES = 16
const CHECKSUM_BYTES = 32
const PACK_RECORD_BYTES = 32 + 8 + 4
const ENTRY_RECORD_BYTES = CHUNK_ID_BYTES + 12

const BLOOM_FALSE_POSITIVES = 0.01

export interface PackSummary {
  readonly name: string
  readonly size: number
  /** The pack's entries are `first … first + count - 1`. */
  readonly first: number
  readonly count: number
}

/** Where the primary copy of a chunk is. */
export interface ChunkLocation {
  readonly pack: string
  readonly offset: number
  readonly length: number
  readonly rawLength: number
}

export class ChunkIndex {
  private ids: Uint8Array
  private packOf: Uint32Array
  private offsets: Uint32Array
  private lengths: Uint32Array
  private rawLengths: Uint32Array
  /** Entry number + 1 of each id's primary copy; 0 is an empty slot. */
  private slots: Uint32Array
  private entries = 0
  private distinct = 0
  private falsePositives = 0
  private readonly packList: Array<PackSummary> = []
  private readonly packNames = new Map<string, number>()
  private bloom: BloomFilter
  private bloomCapacity: number

  private constructor(capacity: number, expectedChunks: number) {
    this.ids = new Uint8Array(capacity * CHUNK_ID_BYTES)
    this.packOf = new Uint32Array(capacity)
    this.offsets = new Uint32Array(capacity)
    this.lengths = new Uint32Array(capacity)
    this.rawLengths = new Uint32Array(capacity)
    this.slots = new Uint32Array(tableSizeFor(capacity))
    this.bloomCapacity = Math.max(1024, expectedChunks)
    this.bloom = BloomFilter.create({ expectedItems: this.bloomCapacity, falsePositiveRate: BLOOM_FALSE_POSITIVES })
  }

  /** An empty index whose Bloom filter is sized for `expectedChunks` before it grows. */
  static empty(expectedChunks = 0): ChunkIndex {
    return new ChunkIndex(Math.max(16, expectedChunks), expectedChunks)
  }

  get packCount(): number {
    return this.packList.length
  }

  /** Entries, counting every copy of a chunk. */
  get entryCount(): number {
    return this.entries
  }

  /** Distinct chunk ids. */
  get chunkCount(): number {
    return this.distinct
  }

  packs(): ReadonlyArray<PackSummary> {
    return this.packList
  }

  hasPack(name: string): boolean {
    return this.packNames.has(name)
  }

  /**
   * Sizes the Bloom filter for `moreChunks` more distinct ids than it holds,
   * so an add of known size never rebuilds it halfway.
   */
  reserve(moreChunks: number): void {
    const wanted = this.distinct + moreChunks
    if (wanted > this.bloomCapacity) this.rebuildBloom(wanted)
  }

  /**
   * Adds a pack and its entries. A pack already listed is left as it is: its
   * name is the hash of its bytes, so it holds the same entries.
   */
  addPack(name: string, size: number, entries: ReadonlyArray<PackEntry>): void {
    if (this.packNames.has(name)) return
    const packNumber = this.packList.length
    this.packList.push({ name, size, first: this.entries, count: entries.length })
    this.packNames.set(name, packNumber)
    for (const entry of entries) this.addEntry(packNumber, entry)
  }

  /** True when `id` is not in the index: the Bloom filter says so, or (on a "maybe") the table does. */
  isNew(id: Uint8Array): boolean {
    if (!this.bloom.has(id)) return true
    if (this.find(id) !== 0) return false
    this.falsePositives++
    return true
  }

  /** How often the Bloom filter said "maybe" for a new chunk, so the table had to answer. */
  get bloomFalsePositives(): number {
    return this.falsePositives
  }

  /** The entry number of `id`'s primary copy, or -1. */
  primaryOf(id: Uint8Array): number {
    return this.find(id) - 1
  }

  locate(id: Uint8Array): ChunkLocation | undefined {
    const found = this.find(id)
    return found === 0 ? undefined : this.locationOf(found - 1)
  }

  /** The id of entry `n` (a view: copy it to keep it). */
  idOf(n: number): Uint8Array {
    return this.ids.subarray(n * CHUNK_ID_BYTES, (n + 1) * CHUNK_ID_BYTES)
  }

  entryAt(n: number): PackEntry & { readonly pack: string } {
    return { id: this.idOf(n), ...this.locationOf(n) }
  }

  /** Whether entry `n` is the copy of its chunk that reads use. */
  isPrimary(n: number): boolean {
    return this.find(this.idOf(n)) === n + 1
  }

  private locationOf(n: number): ChunkLocation {
    return {
      pack: this.packList[this.packOf[n]!]!.name,
      offset: this.offsets[n]!,
      length: this.lengths[n]!,
      rawLength: this.rawLengths[n]!
    }
  }

  private addEntry(packNumber: number, entry: PackEntry): void {
    if (this.entries === this.packOf.length) this.grow()
    const n = this.entries++
    this.ids.set(entry.id, n * CHUNK_ID_BYTES)
    this.packOf[n] = packNumber
    this.offsets[n] = entry.offset
    this.lengths[n] = entry.length
    this.rawLengths[n] = entry.rawLength
    if (this.find(entry.id) !== 0) return
    this.insertSlot(n)
    this.distinct++
    if (this.distinct > this.bloomCapacity) this.rebuildBloom(this.bloomCapacity * 2)
    else this.bloom.add(this.idOf(n))
  }

  /** Entry number + 1 of `id`'s primary copy, or 0. */
  private find(id: Uint8Array): number {
    const mask = this.slots.length - 1
    let slot = slotOf(id, 0) & mask
    for (;;) {
      const held = this.slots[slot]!
      if (held === 0) return 0
      if (this.idEquals(held - 1, id)) return held
      slot = (slot + 1) & mask
    }
  }

  private idEquals(n: number, id: Uint8Array): boolean {
    const base = n * CHUNK_ID_BYTES
    const ids = this.ids
    for (let i = 0; i < CHUNK_ID_BYTES; i++) if (ids[base + i] !== id[i]) return false
    return true
  }

  private insertSlot(n: number): void {
    const mask = this.slots.length - 1
    let slot = slotOf(this.ids, n * CHUNK_ID_BYTES) & mask
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask
    this.slots[slot] = n + 1
  }

  private grow(): void {
    const capacity = this.packOf.length * 2
    const widen = <T extends Uint32Array | Uint8Array>(old: T, make: (n: number) => T, scale: number): T => {
      const next = make(capacity * scale)
      next.set(old)
      return next
    }
    this.ids = widen(this.ids, (n) => new Uint8Array(n), CHUNK_ID_BYTES)
    this.packOf = widen(this.packOf, (n) => new Uint32Array(n), 1)
    this.offsets = widen(this.offsets, (n) => new Uint32Array(n), 1)
    this.lengths = widen(this.lengths, (n) => new Uint32Array(n), 1)
    this.rawLengths = widen(this.rawLengths, (n) => new Uint32Array(n), 1)
    // Only primaries are in the table, one slot per id, so re-inserting them keeps every id's copy.
    const old = this.slots
    this.slots = new Uint32Array(tableSizeFor(capacity))
    for (const held of old) if (held !== 0) this.insertSlot(held - 1)
  }

  private rebuildBloom(capacity: number): void {
    this.bloomCapacity = capacity
    this.bloom = BloomFilter.create({ expectedItems: capacity, falsePositiveRate: BLOOM_FALSE_POSITIVES })
    for (const held of this.slots) if (held !== 0) this.bloom.add(this.idOf(held - 1))
  }
}

/** A power of two at least twice `capacity`: the table stays at most half full. */
const tableSizeFor = (capacity: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, capacity) * 2))

const slotOf = (bytes: Uint8Array, at: number): number =>
  (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0

export const encodeIndex = (index: ChunkIndex, cipher: RepoCipher): ReadonlyArray<Uint8Array> => {
  const packs = index.packs()
  const body = new Uint8Array(4 + packs.length * PACK_RECORD_BYTES + index.entryCount * ENTRY_RECORD_BYTES)
  const view = new DataView(body.buffer)
  view.setUint32(0, packs.length, true)
  let at = 4
  for (const pack of packs) {
    body.set(fromHex(pack.name), at)
    view.setFloat64(at + 32, pack.size, true)
    view.setUint32(at + 40, pack.count, true)
    at += PACK_RECORD_BYTES
  }
  for (let n = 0; n < index.entryCount; n++) {
    const entry = index.entryAt(n)
    body.set(entry.id, at)
    view.setUint32(at + 32, entry.offset, true)
    view.setUint32(at + 36, entry.length, true)
    view.setUint32(at + 40, entry.rawLength, true)
    at += ENTRY_RECORD_BYTES
  }
  const preamble = new Uint8Array(INDEX_PREAMBLE_BYTES)
  preamble.set(INDEX_MAGIC, 0)
  new DataView(preamble.buffer).setUint32(8, INDEX_VERSION, true)
  const sealed = cipher.seal("index", body)
  const checksum = createHash("sha256").update(preamble).update(sealed).digest()
  return [preamble, sealed, checksum]
}

/** Reads index bytes; the reason says why they cannot be trusted. Never throws. */
export const decodeIndex = (bytes: Uint8Array, cipher: RepoCipher, expectedChunks = 0): Result.Result<ChunkIndex, string> => {
  if (bytes.byteLength < INDEX_PREAMBLE_BYTES + CHECKSUM_BYTES) return Result.fail(`truncated: ${bytes.byteLength} bytes`)
  if (!INDEX_MAGIC.every((byte, i) => bytes[i] === byte)) return Result.fail("bad magic: not a SigmaVault chunk index")
  const bodyEnd = bytes.byteLength - CHECKSUM_BYTES
  const computed = createHash("sha256").update(bytes.subarray(0, bodyEnd)).digest()
  if (!computed.equals(bytes.subarray(bodyEnd))) return Result.fail("checksum mismatch: the file was damaged or cut short")
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true)
  if (version !== INDEX_VERSION) {
    return Result.fail(version > INDEX_VERSION ? `format version ${version} is newer than this release reads` : `unknown format version ${version}`)
  }
  const opened = cipher.open("index", bytes.subarray(INDEX_PREAMBLE_BYTES, bodyEnd))
  if (Result.isFailure(opened)) return Result.fail(`does not open: ${opened.failure}`)
  const body = opened.success
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  if (body.byteLength < 4) return Result.fail("the body is empty")
  const packCount = view.getUint32(0, true)
  let at = 4
  if (at + packCount * PACK_RECORD_BYTES > body.byteLength) return Result.fail(`${packCount} packs do not fit the body`)
  const packs: Array<{ name: string; size: number; count: number }> = []
  let total = 0
  for (let i = 0; i < packCount; i++) {
    const pack = { name: toHex(body.subarray(at, at + 32)), size: view.getFloat64(at + 32, true), count: view.getUint32(at + 40, true) }
    packs.push(pack)
    total += pack.count
    at += PACK_RECORD_BYTES
  }
  if (at + total * ENTRY_RECORD_BYTES !== body.byteLength) {
    return Result.fail(`the body holds ${body.byteLength - at} bytes of entries, not ${total} entries of ${ENTRY_RECORD_BYTES}`)
  }
  const index = ChunkIndex.empty(Math.max(total, expectedChunks))
  const seen = new Set<string>()
  for (const pack of packs) {
    if (seen.has(pack.name)) return Result.fail(`pack ${pack.name} is listed twice`)
    seen.add(pack.name)
    const entries: Array<PackEntry> = []
    for (let i = 0; i < pack.count; i++) {
      entries.push({
        id: body.slice(at, at + CHUNK_ID_BYTES),
        offset: view.getUint32(at + 32, true),
        length: view.getUint32(at + 36, true),
        rawLength: view.getUint32(at + 40, true)
      })
      at += ENTRY_RECORD_BYTES
    }
    index.addPack(pack.name, pack.size, entries)
  }
  return Result.succeed(index)
}

export const INDEX_FILE = "index"
export const PACKS_DIR = "packs"

/** How the index on disk relates to the packs on disk when the store was loaded. */
export interface IndexState {
  readonly index: ChunkIndex
  /** Whether the index file must be rewritten to describe the packs (it was missing, damaged or stale). */
  readonly dirty: boolean
  /** What was found and done, for a verify report or a log line. */
  readonly notes: ReadonlyArray<string>
  /** Packs the index lists that are not on disk. */
  readonly missingPacks: ReadonlyArray<string>
  /** Packs whose records could only partly be indexed (damaged trailer and records). */
  readonly damagedPacks: ReadonlyArray<{ readonly pack: string; readonly reason: string }>
}

/**
 * Indexes the pack `name`: its trailer, or a scan of its records when the
 * trailer does not check. A pack that cannot even be read is skipped and
 * reported: one damaged pack must not keep the rest of the store out of reach.
 */
const indexPack = (
  packsDir: string,
  name: string,
  cipher: RepoCipher
): Effect.Effect<{ readonly size: number; readonly entries: ReadonlyArray<PackEntry>; readonly damage: string | undefined }, never, Files> =>
  Effect.gen(function*() {
    const file = path.join(packsDir, packFileName(name))
    const trailer = yield* readPackTrailer(file, cipher)
    if (Result.isSuccess(trailer.entries)) return { size: trailer.size, entries: trailer.entries.success, damage: undefined }
    const bytes = yield* readPack(file)
    const scanned = scanRecords(bytes, cipher)
    return {
      size: bytes.byteLength,
      entries: scanned.entries,
      damage: `trailer unreadable (${trailer.entries.failure}); ${
        scanned.stopped === undefined ? `indexed ${scanned.entries.length} records by scanning` : `scan stopped ${scanned.stopped}`
      }`
    }
  }).pipe(Effect.catch((error: FileError) => Effect.succeed({ size: 0, entries: [], damage: error.message })))

/** The names of the packs in `packsDir`, sorted. */
export const listPacks = (packsDir: string): Effect.Effect<ReadonlyArray<string>, FileError, Files> =>
  Effect.map(listDir(packsDir), (names) => names.flatMap((name) => PACK_NAME.exec(name)?.[1] ?? []))

/**
 * The index of the store at `dir`: the index file, with the packs it does
 * not list folded in after it; or, when the file is missing or damaged, an
 * index rebuilt from every pack. Never writes: the caller persists a dirty
 * index when it holds the lock.
 */
export const loadIndex = (
  dir: string,
  cipher: RepoCipher,
  options: { readonly rebuild?: boolean; readonly expectedChunks?: number } = {}
): Effect.Effect<IndexState, FileError, Files> =>
  Effect.gen(function*() {
    const packsDir = path.join(dir, PACKS_DIR)
    const onDisk = yield* listPacks(packsDir)
    const notes: Array<string> = []
    const damagedPacks: Array<{ pack: string; reason: string }> = []
    const file = path.join(dir, INDEX_FILE)
    const bytes = options.rebuild === true ? undefined : yield* readBytes(file)
    let index: ChunkIndex
    let dirty = false
    if (options.rebuild === true) {
      index = ChunkIndex.empty(options.expectedChunks ?? 0)
      dirty = true
      notes.push(`index rebuilt from ${onDisk.length} packs`)
    } else if (bytes === undefined) {
      index = ChunkIndex.empty(options.expectedChunks ?? 0)
      dirty = onDisk.length > 0
      if (dirty) notes.push(`index file missing: rebuilt from ${onDisk.length} packs`)
    } else {
      const decoded = decodeIndex(bytes, cipher, options.expectedChunks ?? 0)
      if (Result.isSuccess(decoded)) index = decoded.success
      else {
        index = ChunkIndex.empty(options.expectedChunks ?? 0)
        dirty = true
        notes.push(`${new RepoCorrupt({ file, reason: decoded.failure }).message}; rebuilt from ${onDisk.length} packs`)
      }
    }
    const present = new Set(onDisk)
    const missingPacks = index.packs().filter((pack) => !present.has(pack.name)).map((pack) => pack.name)
    if (missingPacks.length > 0) notes.push(`${missingPacks.length} packs the index lists are missing`)
    const unindexed = onDisk.filter((name) => !index.hasPack(name))
    if (unindexed.length > 0 && index.packCount > 0) {
      notes.push(`${unindexed.length} packs not in the index (left by an interrupted add or gc) were indexed`)
    }
    for (const name of unindexed) {
      const found = yield* indexPack(packsDir, name, cipher)
      if (found.damage !== undefined) damagedPacks.push({ pack: name, reason: found.damage })
      index.addPack(name, found.size, found.entries)
      dirty = true
    }
    return { index, dirty, notes, missingPacks, damagedPacks }
  })

export const writeIndex = (dir: string, index: ChunkIndex, cipher: RepoCipher): Effect.Effect<void, FileError, Files> =>
  writeAtomically(path.join(dir, INDEX_FILE), encodeIndex(index, cipher))
