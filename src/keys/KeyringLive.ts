/**
 * The keyring on the local filesystem, in a directory of its own (the daemon
 * passes `<state-dir>/keys`):
 *
 *   keys/                        mode 0700, refused if group or others may enter it
 *     index.json                 which keys exist, which is the default, when each was made
 *     x-wing-<id>.key            one unsealed secret key file per X-Wing key, mode 0600
 *     ml-dsa-65-<id>.key         the ledger's signing key (its seed), mode 0600
 *
 * The index is replaced atomically by the Files port (temporary file, fsync,
 * rename, directory fsync). Creating a key writes and fsyncs its file first and the index
 * second, so a crash leaves the old index (and an unused key file nobody
 * refers to) or the new one, never an index naming a missing file. Opening
 * an empty directory writes an empty index at once; afterwards a missing
 * index beside key files means it was lost, and opening refuses rather than
 * guess which key was the default.
 *
 * One process owns a keyring (the daemon); within it, operations that create
 * keys run one at a time.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto"
import * as path from "node:path"
import { Clock, Effect, Layer, Result, Schema, Semaphore } from "effect"
import { exists, FileError, Files, removeStaleTemporaries, unlessMissing } from "../adapters/fs/Files.ts"
import { isOpenToOthers } from "./internal/files.ts"
import {
  type DecryptionKey,
  type KeyInfo,
  keyFileError,
  KeyFileMissing,
  KeyFileUnusable,
  KeyNotFound,
  Keyring,
  KeyringCorrupt,
  type KeyringError,
  KeyringPermissions,
  type KeyringShape,
  KeyringVersionTooNew,
  type LedgerSigningKey,
  signingOperations
} from "./Keyring.ts"
import { type KeyKind, publicKeyOf, SEED_BYTES, signingKeyPairFromSeed, signMessage } from "./KeyPair.ts"
import { keyIdOf } from "./PublicKey.ts"
import { readSecretKeyFile, readSecretKeyFileInfo, writeSecretKeyFile } from "./SecretKeyFile.ts"

export const INDEX_FILE = "index.json"
/** The index format this release writes and the newest it reads. */
export const KEYRING_VERSION = 1
const FORMAT = "sigmavault-keyring"
const KEY_FILE = /^(x-wing|ml-dsa-65)-[0-9a-f]{16}\.key$/

export interface KeyringOptions {
  /** Where key seeds come from; default `node:crypto`. Tests pass a seeded generator. */
  readonly randomBytes?: (length: number) => Uint8Array
}

interface Entry {
  readonly id: string
  readonly kind: KeyKind
  readonly file: string
  readonly created: string
}

interface Index {
  readonly default: string | null
  /** Oldest first. */
  readonly keys: ReadonlyArray<Entry>
  readonly signing: Entry | null
}

const EMPTY_INDEX: Index = { default: null, keys: [], signing: null }

const EntrySchema = <K extends KeyKind>(kind: K) =>
  Schema.Struct({
    id: Schema.String.check(Schema.isPattern(/^[0-9a-f]{16}$/)),
    kind: Schema.Literal(kind),
    file: Schema.String.check(Schema.isPattern(KEY_FILE)),
    created: Schema.String
  })
const IndexSchema = Schema.Struct({
  format: Schema.Literal(FORMAT),
  version: Schema.Literal(KEYRING_VERSION),
  default: Schema.NullOr(Schema.String),
  keys: Schema.Array(EntrySchema("x-wing")),
  signing: Schema.NullOr(EntrySchema("ml-dsa-65"))
})
const decodeIndex = Schema.decodeUnknownResult(IndexSchema)

/** Checks the text of an index, most telling reason first. Never throws. */
const parseIndex = (file: string, text: string): Result.Result<Index, KeyringCorrupt | KeyringVersionTooNew> => {
  const corrupt = (reason: string) => Result.fail(new KeyringCorrupt({ file, reason }))
  const json = Result.try(() => JSON.parse(text) as unknown)
  if (Result.isFailure(json)) return corrupt(`not valid JSON (${text.length} bytes; a hand edit gone wrong?)`)
  const version = (json.success as { version?: unknown } | null)?.version
  if (typeof version === "number" && Number.isInteger(version) && version > KEYRING_VERSION) {
    return Result.fail(new KeyringVersionTooNew({ file, version, supported: KEYRING_VERSION }))
  }
  const decoded = decodeIndex(json.success)
  if (Result.isFailure(decoded)) return corrupt(`unexpected shape: ${decoded.failure.message.replace(/\s+/g, " ")}`)
  const index = decoded.success
  const entries = index.signing === null ? index.keys : [...index.keys, index.signing]
  const ids = new Set<string>()
  for (const entry of entries) {
    if (ids.has(entry.id)) return corrupt(`key ${entry.id} is listed twice`)
    ids.add(entry.id)
    if (entry.file !== `${entry.kind}-${entry.id}.key`) return corrupt(`key ${entry.id} names the file ${entry.file}, not ${entry.kind}-${entry.id}.key`)
    if (Number.isNaN(new Date(entry.created).getTime())) return corrupt(`key ${entry.id} has "created" ${JSON.stringify(entry.created)}, not a date`)
  }
  if (index.keys.length === 0 && index.default !== null) return corrupt(`the default is ${index.default}, but there are no keys`)
  if (index.keys.length > 0 && !index.keys.some((entry) => entry.id === index.default)) {
    return corrupt(`the default ${JSON.stringify(index.default)} is none of the listed keys`)
  }
  return Result.succeed({ default: index.default, keys: index.keys, signing: index.signing })
}

const encodeIndex = (index: Index): string =>
  `${JSON.stringify({ format: FORMAT, version: KEYRING_VERSION, ...index }, null, 2)}\n`

const toKeyInfo = (entry: Entry, publicKey: string, defaultId: string | null): KeyInfo => ({
  id: entry.id,
  kind: "x-wing",
  publicKey,
  created: new Date(entry.created),
  isDefault: entry.id === defaultId
})

/**
 * Opens the keyring in `directory`, creating the directory (0700) and an
 * empty index if there is none. Fails if the directory is open to group or
 * others, the index is corrupt or lost, or a key file it names is missing.
 */
export const openKeyring = (directory: string, options: KeyringOptions = {}): Effect.Effect<KeyringShape, KeyringError, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    const withFiles = Effect.provideService(Files, files)
    const dir = path.resolve(directory)
    const indexFile = path.join(dir, INDEX_FILE)
    const random = options.randomBytes ?? ((length: number) => new Uint8Array(nodeRandomBytes(length)))
    const creating = yield* Semaphore.make(1)
    let signingCache: LedgerSigningKey | undefined

    const writeIndex = (index: Index) =>
      files.writeAtomic(indexFile, new TextEncoder().encode(encodeIndex(index)), { replace: true, mode: 0o600 })

    const readIndexText = Effect.map(unlessMissing(files.readFile(indexFile)), (bytes) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes)))

    const readIndex: Effect.Effect<Index, KeyringError> = Effect.flatMap(
      readIndexText,
      (text) =>
        text === undefined
          ? Effect.fail(new KeyringCorrupt({ file: indexFile, reason: "the index is missing (deleted while the keyring was open?)" }))
          : Effect.fromResult(parseIndex(indexFile, text))
    )

    /** The public key text in an entry's file, checked against the id the index gives it. */
    const publicKeyTextOf = (entry: Entry) =>
      Effect.gen(function*() {
        const file = path.join(dir, entry.file)
        const info = yield* readSecretKeyFileInfo(file).pipe(withFiles, Effect.mapError((error) => keyFileError(entry.id, file, error)))
        if (info.kind !== entry.kind || keyIdOf(info.publicKey) !== entry.id) {
          return yield* Effect.fail(
            new KeyFileUnusable({ id: entry.id, file, reason: `it holds ${info.kind} key ${keyIdOf(info.publicKey)}, not the key the index names` })
          )
        }
        return info.publicKeyText
      })

    /** The 32-byte secret in an entry's file, checked against its id. */
    const secretOf = (entry: Entry) =>
      Effect.gen(function*() {
        const file = path.join(dir, entry.file)
        const contents = yield* readSecretKeyFile(file, undefined).pipe(withFiles, Effect.mapError((error) => keyFileError(entry.id, file, error)))
        if (contents.kind !== entry.kind || keyIdOf(contents.publicKey) !== entry.id) {
          return yield* Effect.fail(
            new KeyFileUnusable({ id: entry.id, file, reason: `it holds ${contents.kind} key ${keyIdOf(contents.publicKey)}, not the key the index names` })
          )
        }
        return contents
      })

    /** Writes a new key's file (unsealed, 0600, fsynced); the caller then records it in the index. */
    const createKeyFile = (kind: KeyKind, taken: ReadonlyArray<Entry>) =>
      Effect.gen(function*() {
        const secretKey = random(SEED_BYTES)
        const id = keyIdOf(publicKeyOf(kind, secretKey))
        if (taken.some((entry) => entry.id === id)) {
          return yield* Effect.die(new Error(`keyring ${dir}: a new ${kind} key has the id ${id} of an existing key (is the random source repeating?)`))
        }
        const entry: Entry = { id, kind, file: `${kind}-${id}.key`, created: new Date(yield* Clock.currentTimeMillis).toISOString() }
        const file = path.join(dir, entry.file)
        yield* writeSecretKeyFile(file, { secretKey, kind, protection: { unsealed: true }, created: new Date(entry.created) }).pipe(
          withFiles,
          Effect.mapError((error) =>
            error._tag === "FileError" ? error : new FileError({ reason: "Other", operation: "create key file", path: file, detail: error.message })
          )
        )
        return entry
      })

    const entriesOf = (index: Index) => (index.signing === null ? index.keys : [...index.keys, index.signing])

    const addDefault = (index: Index) =>
      Effect.gen(function*() {
        const entry = yield* createKeyFile("x-wing", entriesOf(index))
        yield* writeIndex({ ...index, default: entry.id, keys: [...index.keys, entry] })
        return entry
      })

    const ensureDefault: Effect.Effect<KeyInfo, KeyringError> = creating.withPermit(
      Effect.gen(function*() {
        const index = yield* readIndex
        const current = index.keys.find((entry) => entry.id === index.default)
        const entry = current ?? (yield* addDefault(index))
        return toKeyInfo(entry, yield* publicKeyTextOf(entry), entry.id)
      })
    )

    const rotate: Effect.Effect<KeyInfo, KeyringError> = creating.withPermit(
      Effect.gen(function*() {
        const entry = yield* addDefault(yield* readIndex)
        return toKeyInfo(entry, yield* publicKeyTextOf(entry), entry.id)
      })
    )

    const list: Effect.Effect<ReadonlyArray<KeyInfo>, KeyringError> = Effect.gen(function*() {
      const index = yield* readIndex
      return yield* Effect.forEach(index.keys, (entry) =>
        Effect.map(publicKeyTextOf(entry), (text) => toKeyInfo(entry, text, index.default)))
    })

    const exportPublic = (id?: string): Effect.Effect<string, KeyringError | KeyNotFound> =>
      id === undefined
        ? Effect.map(ensureDefault, (info) => info.publicKey)
        : Effect.gen(function*() {
          const entry = (yield* readIndex).keys.find((candidate) => candidate.id === id)
          if (entry === undefined) return yield* Effect.fail(new KeyNotFound({ id }))
          return yield* publicKeyTextOf(entry)
        })

    const secretKeys: Effect.Effect<ReadonlyArray<DecryptionKey>, KeyringError> = Effect.gen(function*() {
      const index = yield* readIndex
      const newestFirst = [...index.keys].reverse()
      const ordered = [
        ...newestFirst.filter((entry) => entry.id === index.default),
        ...newestFirst.filter((entry) => entry.id !== index.default)
      ]
      return yield* Effect.forEach(ordered, (entry) =>
        Effect.map(secretOf(entry), (contents) => ({ id: entry.id, publicKey: contents.publicKey, secretKey: contents.secretKey })))
    })

    const signingKey: Effect.Effect<LedgerSigningKey, KeyringError> = Effect.suspend(() =>
      signingCache !== undefined
        ? Effect.succeed(signingCache)
        : creating.withPermit(
          Effect.gen(function*() {
            if (signingCache !== undefined) return signingCache
            const index = yield* readIndex
            let entry = index.signing
            if (entry === null) {
              entry = yield* createKeyFile("ml-dsa-65", entriesOf(index))
              yield* writeIndex({ ...index, signing: entry })
            }
            const pair = signingKeyPairFromSeed((yield* secretOf(entry)).secretKey)
            const key: LedgerSigningKey = {
              id: entry.id,
              publicKey: pair.publicKey,
              secretKey: pair.secretKey,
              created: new Date(entry.created),
              sign: (message) => signMessage(pair.secretKey, message)
            }
            signingCache = key
            return key
          })
        )
    )

    // --- opening ---
    yield* files.makeDirectory(dir, { recursive: true, mode: 0o700 })
    const stat = yield* files.stat(dir, { followSymlinks: true })
    if (stat.type !== "directory") return yield* Effect.fail(new FileError({ reason: "NotDirectory", operation: "open keyring", path: dir }))
    if (isOpenToOthers(stat.mode)) return yield* Effect.fail(new KeyringPermissions({ directory: dir, mode: stat.mode & 0o777 }))
    // A crash between creating a temporary index and renaming it leaves it behind; nothing reads it.
    yield* removeStaleTemporaries(files, dir, INDEX_FILE)
    const names = yield* files.list(dir)
    const text = yield* readIndexText
    if (text === undefined) {
      const keyFiles = names.filter((name) => KEY_FILE.test(name))
      if (keyFiles.length > 0) {
        return yield* Effect.fail(
          new KeyringCorrupt({
            file: indexFile,
            reason: `it is missing, but the directory holds key files (${keyFiles.join(", ")}); restore it from a backup: which key was the default cannot be recovered from them`
          })
        )
      }
      yield* writeIndex(EMPTY_INDEX)
    } else {
      const index = yield* Effect.fromResult(parseIndex(indexFile, text))
      for (const entry of entriesOf(index)) {
        const file = path.join(dir, entry.file)
        if (!(yield* exists(files, file))) return yield* Effect.fail(new KeyFileMissing({ id: entry.id, file }))
      }
    }

    return {
      directory: dir,
      list,
      ensureDefault,
      rotate,
      exportPublic,
      secretKeys,
      signingKey,
      ...signingOperations(signingKey)
    } satisfies KeyringShape
  })

/** The live keyring in `directory` (the daemon passes `<state-dir>/keys`). */
export const layer = (directory: string, options: KeyringOptions = {}): Layer.Layer<Keyring, KeyringError, Files> =>
  Layer.effect(Keyring, openKeyring(directory, options))
