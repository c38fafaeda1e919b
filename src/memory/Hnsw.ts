/**
 * The HNSW layer of MNEMONIC: k-nearest-neighbour search through
 * `hnswlib-node`, wrapped so that its sharp edges never reach a caller.
 *
 * - The addon is required by its literal path inside node_modules: that is
 *   the only form `bun build --compile` embeds (a `bindings()` lookup fails
 *   inside the binary; see tools/build/NativeAddons.ts). The smoke test of
 *   the build (`selftest`) runs an HNSW recall, so a binary without it fails.
 * - Vectors are validated here (dimension, finite numbers, non-zero for
 *   cosine) because the addon silently indexes NaN.
 * - The index grows by doubling its capacity when full.
 * - Labels are never reused: with `allowReplaceDeleted` the addon refuses to
 *   re-add a deleted label, so an upsert after a delete takes a fresh label
 *   while the deleted slot's memory is recycled.
 * - `ef` is not part of hnswlib's file: it is restored after every load.
 */
import { createRequire } from "node:module"
import { Result, Schema } from "effect"
import type * as Hnswlib from "hnswlib-node"
import type { Space } from "./Schemas.ts"

// Bun embeds the addon only for a literal `require("…/addon.node")`, which it
// provides in ES modules; Node's ES modules (the unit tests) have no `require`.
// Loaded when the first index is made, not when the daemon starts: loading it
// writes it out of the binary and maps it with libstdc++ (~3 MB of RSS), and a
// NAS without vectors never needs it (issue 22).
let loaded: typeof Hnswlib | undefined
const addon = (): typeof Hnswlib =>
  loaded ??= (
    typeof require === "function"
      ? require("../../node_modules/hnswlib-node/build/Release/addon.node")
      : createRequire(import.meta.url)("../../node_modules/hnswlib-node/build/Release/addon.node")
  ) as typeof Hnswlib

export { SPACES, type Space } from "./Schemas.ts"

export interface HnswOptions {
  readonly space: Space
  readonly dimension: number
  /** graph degree: more is better recall and more memory (hnswlib's M) */
  readonly m: number
  readonly efConstruction: number
  /** search breadth: more is better recall and slower queries */
  readonly ef: number
  readonly seed: number
  readonly initialCapacity: number
}

export class InvalidVector extends Schema.TaggedError<InvalidVector>()("InvalidVector", {
  reason: Schema.String
}) {
  override get message() {
    return `invalid vector: ${this.reason}`
  }
}

/** The addon refused (out of memory, an unreadable index). */
export class HnswFailure extends Schema.TaggedError<HnswFailure>()("HnswFailure", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `HNSW index: cannot ${this.operation}: ${this.reason}`
  }
}

export interface Neighbour {
  readonly label: number
  /** hnswlib's distance: squared L2, or 1 - dot product for ip and cosine; lower is closer */
  readonly distance: number
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Copies `vector` into `into` (a plain array of `dimension` numbers, the form
 * the addon takes) while checking it against the index's dimension and space.
 */
const copyChecked = (
  vector: ArrayLike<number>,
  dimension: number,
  space: Space,
  into: Array<number>
): InvalidVector | undefined => {
  if (vector.length !== dimension) {
    return new InvalidVector({ reason: `expected ${dimension} numbers, got ${vector.length}` })
  }
  let squares = 0
  for (let i = 0; i < dimension; i++) {
    const x = vector[i]!
    if (!Number.isFinite(x)) return new InvalidVector({ reason: `element ${i} is ${x}, not a finite number` })
    into[i] = x
    squares += x * x
  }
  if (space === "cosine" && squares === 0) {
    return new InvalidVector({ reason: "a zero vector has no direction (cosine space)" })
  }
  return undefined
}

/** Checks a vector against the index's dimension and space; returns it as the plain array the addon takes. */
export const checkVector = (
  vector: ArrayLike<number>,
  dimension: number,
  space: Space
): Result.Result<Array<number>, InvalidVector> => {
  const plain = new Array<number>(dimension)
  const problem = copyChecked(vector, dimension, space, plain)
  return problem === undefined ? Result.succeed(plain) : Result.fail(problem)
}

export class HnswIndex {
  private constructor(
    readonly options: HnswOptions,
    private readonly index: Hnswlib.HierarchicalNSW,
    private live: number
  ) {
    this.query = new Array<number>(options.dimension).fill(0)
  }

  /**
   * The query of every search, as the plain array the addon takes: the addon
   * copies it before it searches, so one array serves every call and a search
   * allocates nothing for its query.
   */
  private readonly query: Array<number>

  static create(options: HnswOptions): HnswIndex {
    const index = new (addon().HierarchicalNSW)(options.space, options.dimension)
    index.initIndex({
      maxElements: Math.max(1, options.initialCapacity),
      m: options.m,
      efConstruction: options.efConstruction,
      randomSeed: options.seed,
      allowReplaceDeleted: true
    })
    index.setEf(options.ef)
    return new HnswIndex(options, index, 0)
  }

  /** An index from `toBytes`; `live` is the number of labels not deleted, which the file does not record. */
  static fromBytes(
    options: HnswOptions,
    bytes: Uint8Array,
    live: number,
    scratch: ScratchFile
  ): Result.Result<HnswIndex, HnswFailure> {
    const problem = checkIndexFile(bytes, options.dimension)
    if (problem !== undefined) return Result.fail(new HnswFailure({ operation: "read", reason: problem }))
    return throughScratch("read", scratch, bytes, (file) => {
      const index = new (addon().HierarchicalNSW)(options.space, options.dimension)
      index.readIndexSync(file, true)
      index.setEf(options.ef)
      return new HnswIndex(options, index, live)
    })
  }

  get capacity(): number {
    return this.index.getMaxElements()
  }

  /** Labels present and not deleted. */
  get size(): number {
    return this.live
  }

  get ef(): number {
    return this.index.getEf()
  }

  setEf(ef: number): void {
    this.index.setEf(ef)
  }

  /**
   * Adds `vector` under a label this index has never seen, or replaces the
   * vector of a live label. Doubles the capacity when full.
   */
  add(label: number, vector: ArrayLike<number>, isNew: boolean): Result.Result<void, InvalidVector | HnswFailure> {
    const checked = checkVector(vector, this.options.dimension, this.options.space)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    if (isNew && this.live >= this.index.getMaxElements()) {
      const grown = Result.try({
        try: () => this.index.resizeIndex(Math.max(16, this.index.getMaxElements() * 2)),
        catch: (error) => new HnswFailure({ operation: "grow", reason: reason(error) })
      })
      if (Result.isFailure(grown)) return Result.fail(grown.failure)
    }
    return Result.try({
      try: () => {
        this.index.addPoint(checked.success, label, isNew)
        if (isNew) this.live++
      },
      catch: (error) => new HnswFailure({ operation: `add label ${label}`, reason: reason(error) })
    })
  }

  /** Marks `label` deleted: it is never returned again, and its slot is recycled by a later add. */
  remove(label: number): void {
    const removed = Result.try(() => this.index.markDelete(label))
    if (Result.isSuccess(removed)) this.live--
  }

  search(vector: ArrayLike<number>, k: number): Result.Result<ReadonlyArray<Neighbour>, InvalidVector | HnswFailure> {
    const problem = copyChecked(vector, this.options.dimension, this.options.space, this.query)
    if (problem !== undefined) return Result.fail(problem)
    const wanted = Math.min(k, this.live, this.index.getMaxElements())
    if (wanted <= 0) return Result.succeed([])
    return Result.try({
      try: () => {
        const { distances, neighbors } = this.index.searchKnn(this.query, wanted)
        const found = new Array<Neighbour>(neighbors.length)
        for (let i = 0; i < neighbors.length; i++) found[i] = { label: neighbors[i]!, distance: distances[i]! }
        return found
      },
      catch: (error) => new HnswFailure({ operation: "search", reason: reason(error) })
    })
  }

  /**
   * hnswlib's own file format, through a scratch file (the addon only writes
   * to paths); give a scratch directory on disk for a large index, as /tmp
   * may be memory.
   */
  toBytes(scratch: ScratchFile): Result.Result<Uint8Array, HnswFailure> {
    return Result.try({
      try: () => scratch.write((file) => this.index.writeIndexSync(file)),
      catch: (error) => new HnswFailure({ operation: "save", reason: reason(error) })
    })
  }
}

/**
 * Checks hnswlib's file header before the addon reads it, because the addon
 * trusts it: a file for another dimension, or a truncated one, is read as
 * garbage or crashes the process. The header is six little-endian u64s:
 * offsetLevel0, maxElements, elementCount, sizeDataPerElement, labelOffset,
 * offsetData; a vector is the labelOffset - offsetData bytes at offsetData.
 */
export const checkIndexFile = (bytes: Uint8Array, dimension: number): string | undefined => {
  const HEADER = 6 * 8
  if (bytes.byteLength < HEADER) return `the saved index is ${bytes.byteLength} bytes, shorter than hnswlib's header`
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u64 = (i: number) => Number(view.getBigUint64(i * 8, true))
  const [elements, perElement, labelOffset, dataOffset] = [u64(2), u64(3), u64(4), u64(5)]
  const saved = (labelOffset - dataOffset) / 4
  if (saved !== dimension) return `the saved index holds ${saved}-dimensional vectors, expected ${dimension}`
  if (bytes.byteLength < HEADER + elements * perElement) {
    return `the saved index is truncated: ${elements} elements need more than ${bytes.byteLength} bytes`
  }
  return undefined
}

/**
 * A file for hnswlib, which reads and writes its index only through a path:
 * made, used and removed around each call (src/memory/internal/scratch.ts).
 * Handed in, so that the memory library itself needs no filesystem.
 */
export interface ScratchFile {
  /** Runs `use` with a path, then returns the bytes it wrote there. */
  readonly write: (use: (path: string) => void) => Uint8Array
  /** Puts `bytes` at a path and runs `use` with it. */
  readonly read: <A>(bytes: Uint8Array, use: (path: string) => A) => A
}

const throughScratch = <A>(
  operation: string,
  scratch: ScratchFile,
  bytes: Uint8Array,
  use: (file: string) => A
): Result.Result<A, HnswFailure> =>
  Result.try({ try: () => scratch.read(bytes, use), catch: (error) => new HnswFailure({ operation, reason: reason(error) }) })
