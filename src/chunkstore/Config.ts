/**
 * The store's config file, `<store>/config`: JSON written once at init
 * (docs/store-format.md §3). It fixes what every later write must agree
 * on: the chunker's parameters, the key of the chunk ids and the cipher.
 *
 * The chunk-id key is secret (it keeps two stores from producing the same
 * ids for the same plaintext); the file is mode 0600. When the vault format
 * is plugged into the cipher seam, the key moves into a sealed field.
 */
import { randomBytes } from "node:crypto"
import { Result, Schema } from "effect"
import { type ChunkerParams, describeParams, GEAR_SEED } from "./Chunker.ts"
import { RepoCorrupt } from "./Errors.ts"
import { fromHex, toHex } from "./internal/fs.ts"

export const CONFIG_FORMAT = "sigmavault-store"
/** The store format this release writes and the newest it reads. */
export const STORE_VERSION = 1
export const CHUNK_ID_KEY_BYTES = 32

/** Packs close once they pass this size; 16–64 MiB keeps file counts low and gc rewrites small. */
export const DEFAULT_PACK_SIZE = 32 * 1024 * 1024
export const MIN_PACK_SIZE = 4096
export const MAX_PACK_SIZE = 1024 * 1024 * 1024

export interface RepoConfig {
  readonly version: number
  /** 16 random bytes, hex: tells stores apart in logs. */
  readonly id: string
  readonly created: string
  /** The name of the `RepoCipher` the store was created with. */
  readonly cipher: string
  /** The HMAC-SHA-256 key of the chunk ids. */
  readonly chunkIdKey: Uint8Array
  readonly chunker: ChunkerParams
  readonly packSize: number
}

const ConfigJson = Schema.Struct({
  format: Schema.Literal(CONFIG_FORMAT),
  version: Schema.Number,
  id: Schema.String,
  created: Schema.String,
  cipher: Schema.String,
  chunkIdKey: Schema.String,
  chunker: Schema.Struct({
    algorithm: Schema.Literal("fastcdc"),
    gearSeed: Schema.String,
    minSize: Schema.Number,
    avgSize: Schema.Number,
    maxSize: Schema.Number
  }),
  packSize: Schema.Number
})
const decodeConfigJson = Schema.decodeUnknownResult(ConfigJson)

export const describePackSize = (packSize: number): string | undefined =>
  Number.isSafeInteger(packSize) && packSize >= MIN_PACK_SIZE && packSize <= MAX_PACK_SIZE
    ? undefined
    : `packSize must be a whole number of bytes from ${MIN_PACK_SIZE} to ${MAX_PACK_SIZE}, got ${packSize}`

export const newConfig = (options: {
  readonly chunker: ChunkerParams
  readonly packSize: number
  readonly cipher: string
  readonly now: Date
  readonly random?: (n: number) => Uint8Array
}): RepoConfig => {
  const random = options.random ?? randomBytes
  return {
    version: STORE_VERSION,
    id: toHex(random(16)),
    created: options.now.toISOString(),
    cipher: options.cipher,
    chunkIdKey: Uint8Array.from(random(CHUNK_ID_KEY_BYTES)),
    chunker: { minSize: options.chunker.minSize, avgSize: options.chunker.avgSize, maxSize: options.chunker.maxSize },
    packSize: options.packSize
  }
}

export const encodeConfig = (config: RepoConfig): Uint8Array =>
  new TextEncoder().encode(
    `${
      JSON.stringify(
        {
          format: CONFIG_FORMAT,
          version: config.version,
          id: config.id,
          created: config.created,
          cipher: config.cipher,
          chunkIdKey: toHex(config.chunkIdKey),
          chunker: { algorithm: "fastcdc", gearSeed: GEAR_SEED, ...config.chunker },
          packSize: config.packSize
        },
        null,
        2
      )
    }\n`
  )

/** Checks a config file's bytes, most telling reason first. Never throws. */
export const decodeConfig = (file: string, bytes: Uint8Array): Result.Result<RepoConfig, RepoCorrupt> => {
  const corrupt = (reason: string) => Result.fail(new RepoCorrupt({ file, reason }))
  const json = Result.try(() => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown)
  if (Result.isFailure(json)) return corrupt(`not valid JSON (${bytes.byteLength} bytes)`)
  const version = (json.success as { version?: unknown } | null)?.version
  if (typeof version === "number" && version > STORE_VERSION) {
    return corrupt(`store format version ${version} is newer than this release reads (${STORE_VERSION}); it was written by a newer SigmaVault`)
  }
  const decoded = decodeConfigJson(json.success)
  if (Result.isFailure(decoded)) return corrupt(`unexpected shape: ${decoded.failure.message.split("\n")[0]}`)
  const value = decoded.success
  if (value.version !== STORE_VERSION) return corrupt(`unknown store format version ${value.version}`)
  if (value.chunker.gearSeed !== GEAR_SEED) {
    return corrupt(`chunker gear seed ${JSON.stringify(value.chunker.gearSeed)} is not one this release knows`)
  }
  const chunker = { minSize: value.chunker.minSize, avgSize: value.chunker.avgSize, maxSize: value.chunker.maxSize }
  const chunkerProblem = describeParams(chunker)
  if (chunkerProblem !== undefined) return corrupt(`chunker: ${chunkerProblem}`)
  const packProblem = describePackSize(value.packSize)
  if (packProblem !== undefined) return corrupt(packProblem)
  if (!/^[0-9a-f]{64}$/.test(value.chunkIdKey)) return corrupt(`chunkIdKey is not ${CHUNK_ID_KEY_BYTES} bytes of lowercase hex`)
  return Result.succeed({
    version: value.version,
    id: value.id,
    created: value.created,
    cipher: value.cipher,
    chunkIdKey: fromHex(value.chunkIdKey),
    chunker,
    packSize: value.packSize
  })
}
