/**
 * The store's config file, `<store>/config`: JSON written once at init
 * (docs/store-format.md §3). It fixes what every later write must agree
 * on: the chunker's parameters, the key of the chunk ids and the cipher.
 *
 * The chunk-id key is secret (it keeps two stores from producing the same
 * ids for the same plaintext, and an encrypted store from revealing which
 * known files it holds). An identity-cipher store keeps it in the clear
 * (the file is mode 0600); an encrypted store (`vault-v1`) keeps it sealed
 * under the master key, which only the recipients' secret keys unwrap
 * (VaultCipher.ts).
 */
import { randomBytes } from "node:crypto"
import { Result, Schema } from "effect"
import { type ChunkerParams, describeParams, GEAR_SEED } from "./Chunker.ts"
import { RepoCorrupt } from "./Errors.ts"
import { fromHex, toHex } from "./internal/fs.ts"
import { type EncryptionRecord, SEALED_CHUNK_ID_KEY_BYTES, STANZA_BYTES, VAULT_CIPHER } from "./VaultCipher.ts"

export const CONFIG_FORMAT = "sigmavault-store"
/** The store format this release writes and the newest it reads (it reads 1 too). */
export const STORE_VERSION = 2
export const OLDEST_STORE_VERSION = 1
export const CHUNK_ID_KEY_BYTES = 32

/** Packs close once they pass this size; 16–64 MiB keeps file counts low and gc rewrites small. */
export const DEFAULT_PACK_SIZE = 32 * 1024 * 1024
export const MIN_PACK_SIZE = 4096
export const MAX_PACK_SIZE = 1024 * 1024 * 1024

/** The config as stored: an encrypted store's chunk-id key is sealed in `encryption`. */
export interface StoredConfig {
  readonly version: number
  /** 16 random bytes, hex: tells stores apart in logs. */
  readonly id: string
  readonly created: string
  /** The name of the `RepoCipher` the store was created with. */
  readonly cipher: string
  /** The HMAC-SHA-256 key of the chunk ids, when stored in the clear (identity cipher). */
  readonly chunkIdKey: Uint8Array | undefined
  /** The wrapped master key and sealed chunk-id key (vault-v1 cipher). */
  readonly encryption: EncryptionRecord | undefined
  readonly chunker: ChunkerParams
  readonly packSize: number
}

/** An opened store's config: the chunk-id key is known. */
export interface RepoConfig extends Omit<StoredConfig, "chunkIdKey"> {
  /** The HMAC-SHA-256 key of the chunk ids. */
  readonly chunkIdKey: Uint8Array
}

/**
 * The associated data of an encrypted store's sealed chunk-id key: every
 * other field of the config, so none can be altered unnoticed.
 */
export const configContext = (
  config: Pick<StoredConfig, "version" | "id" | "created" | "cipher" | "chunker" | "packSize">,
  keyIds: ReadonlyArray<string>
): Uint8Array =>
  new TextEncoder().encode(JSON.stringify([
    "sigmavault/store/v2/config",
    config.version,
    config.id,
    config.created,
    config.cipher,
    GEAR_SEED,
    config.chunker.minSize,
    config.chunker.avgSize,
    config.chunker.maxSize,
    config.packSize,
    keyIds
  ]))

const ConfigJson = Schema.Struct({
  format: Schema.Literal(CONFIG_FORMAT),
  version: Schema.Number,
  id: Schema.String,
  created: Schema.String,
  cipher: Schema.String,
  chunkIdKey: Schema.optionalKey(Schema.String),
  encryption: Schema.optionalKey(Schema.Struct({
    recipients: Schema.Array(Schema.Struct({ keyId: Schema.String, stanza: Schema.String })),
    chunkIdKey: Schema.String
  })),
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
    encryption: undefined,
    chunker: { minSize: options.chunker.minSize, avgSize: options.chunker.avgSize, maxSize: options.chunker.maxSize },
    packSize: options.packSize
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/** The config file's bytes; an encrypted store's chunk-id key goes only into `encryption`, sealed. */
export const encodeConfig = (config: StoredConfig): Uint8Array =>
  new TextEncoder().encode(
    `${
      JSON.stringify(
        {
          format: CONFIG_FORMAT,
          version: config.version,
          id: config.id,
          created: config.created,
          cipher: config.cipher,
          ...(config.encryption === undefined
            ? { chunkIdKey: toHex(config.chunkIdKey!) }
            : {
              encryption: {
                recipients: config.encryption.recipients.map((r) => ({ keyId: r.keyId, stanza: b64(r.stanza) })),
                chunkIdKey: b64(config.encryption.sealedChunkIdKey)
              }
            }),
          chunker: { algorithm: "fastcdc", gearSeed: GEAR_SEED, ...config.chunker },
          packSize: config.packSize
        },
        null,
        2
      )
    }\n`
  )

/** Checks a config file's bytes, most telling reason first. Never throws. */
export const decodeConfig = (file: string, bytes: Uint8Array): Result.Result<StoredConfig, RepoCorrupt> => {
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
  if (!Number.isSafeInteger(value.version) || value.version < OLDEST_STORE_VERSION) {
    return corrupt(`unknown store format version ${value.version}`)
  }
  if (value.chunker.gearSeed !== GEAR_SEED) {
    return corrupt(`chunker gear seed ${JSON.stringify(value.chunker.gearSeed)} is not one this release knows`)
  }
  const chunker = { minSize: value.chunker.minSize, avgSize: value.chunker.avgSize, maxSize: value.chunker.maxSize }
  const chunkerProblem = describeParams(chunker)
  if (chunkerProblem !== undefined) return corrupt(`chunker: ${chunkerProblem}`)
  const packProblem = describePackSize(value.packSize)
  if (packProblem !== undefined) return corrupt(packProblem)
  const base = { version: value.version, id: value.id, created: value.created, cipher: value.cipher, chunker, packSize: value.packSize }
  if (value.cipher === VAULT_CIPHER) {
    if (value.version < 2) return corrupt(`the ${VAULT_CIPHER} cipher needs store format version 2, the config says ${value.version}`)
    if (value.chunkIdKey !== undefined) return corrupt(`an encrypted store's config must not hold the chunk-id key in the clear`)
    const encryption = value.encryption
    if (encryption === undefined) return corrupt(`the ${VAULT_CIPHER} cipher needs an encryption field (the wrapped keys)`)
    if (encryption.recipients.length === 0) return corrupt("the encryption field lists no recipients")
    const recipients = []
    for (const [i, r] of encryption.recipients.entries()) {
      const stanza = fromBase64(r.stanza)
      if (!/^[0-9a-f]{16}$/.test(r.keyId) || stanza === undefined || stanza.byteLength !== STANZA_BYTES) {
        return corrupt(`recipient ${i + 1} is not a 16-hex key id with a ${STANZA_BYTES}-byte base64 stanza`)
      }
      recipients.push({ keyId: r.keyId, stanza })
    }
    const sealed = fromBase64(encryption.chunkIdKey)
    if (sealed === undefined || sealed.byteLength !== SEALED_CHUNK_ID_KEY_BYTES) {
      return corrupt(`the sealed chunk-id key is not ${SEALED_CHUNK_ID_KEY_BYTES} bytes of base64`)
    }
    return Result.succeed({ ...base, chunkIdKey: undefined, encryption: { recipients, sealedChunkIdKey: sealed } })
  }
  if (value.encryption !== undefined) return corrupt(`an encryption field with the ${value.cipher} cipher`)
  if (value.chunkIdKey === undefined || !/^[0-9a-f]{64}$/.test(value.chunkIdKey)) {
    return corrupt(`chunkIdKey is not ${CHUNK_ID_KEY_BYTES} bytes of lowercase hex`)
  }
  return Result.succeed({ ...base, chunkIdKey: fromHex(value.chunkIdKey), encryption: undefined })
}

const fromBase64 = (text: string): Uint8Array | undefined =>
  /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0 ? new Uint8Array(Buffer.from(text, "base64")) : undefined
