/**
 * TENSOR's deduplicating chunk store: the public surface. `init` creates a
 * store, `open` opens one; the returned `Repository` adds snapshots,
 * restores, verifies and collects garbage. The on-disk format is specified
 * in docs/store-format.md.
 *
 * Writers (add, forget, gc, rebuildIndex) take the store's write lock and
 * fail with `RepoLocked` while another holds it. Readers (list, snapshot,
 * restore, stats, verify) take a read lock and see the last complete state:
 * any number of them may run alongside each other and an add, but gc and
 * forget (which delete files) refuse to start while one runs, and a reader
 * refuses to start while gc or forget runs (internal/Lock.ts).
 */
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Files, type FilesShape, unlessMissing } from "../adapters/fs/Files.ts"
import { add, type AddError, type AddOptions, type AddResult } from "./Add.ts"
import { type ChunkerParams, DEFAULT_CHUNKER, describeParams, makeCutter } from "./Chunker.ts"
import { identityCipher, type RepoCipher } from "./Cipher.ts"
import { type ChunkCodec, defaultCodec } from "./Codec.ts"
import {
  configContext,
  decodeConfig,
  DEFAULT_PACK_SIZE,
  describePackSize,
  encodeConfig,
  newConfig,
  type RepoConfig,
  type StoredConfig
} from "./Config.ts"
import {
  InvalidStoreOption,
  RepoCorrupt,
  StoreKeyRequired,
  WrongStoreKey,
  RepoAlreadyExists,
  type RepoLocked,
  RepoNotFound,
  type SnapshotNotFound,
  type FileError
} from "./Errors.ts"
import { gc, type GcError, type GcOptions, type GcResult } from "./Gc.ts"
import { INDEX_FILE, listPacks, loadIndex, PACKS_DIR, writeIndex } from "./Index.ts"
import { listDir, readBytes, removeStaleTemps, writeAtomically } from "./internal/fs.ts"
import { withLock, withReadLock } from "./internal/Lock.ts"
import type { Repo } from "./internal/repo.ts"
import { restore, type RestoreError, type RestoreOptions, type RestoreResult } from "./Restore.ts"
import {
  deleteSnapshot,
  listSnapshotIds,
  readSnapshot,
  resolveSnapshotId,
  type Snapshot,
  SNAPSHOTS_DIR,
  type SnapshotSummary,
  summarize
} from "./Snapshots.ts"
import { stats, type StoreStats } from "./Stats.ts"
import { verify, type VerifyOptions, type VerifyReport } from "./Verify.ts"
import { newEncryption, type SecretKey, unlock, VAULT_CIPHER } from "./VaultCipher.ts"

export type { AddOptions, AddProgress, AddResult, AddWarning } from "./Add.ts"
export type { ChunkerParams } from "./Chunker.ts"
export { DEFAULT_CHUNKER } from "./Chunker.ts"
export type { RepoCipher, SealedKind } from "./Cipher.ts"
export { identityCipher } from "./Cipher.ts"
export { VAULT_CIPHER } from "./VaultCipher.ts"
export type { ChunkCodec, CodecChoice } from "./Codec.ts"
export { defaultCodec, entropyCodec, strategyCodec } from "./Codec.ts"
export { DEFAULT_PACK_SIZE } from "./Config.ts"
export * from "./Errors.ts"
export type { GcOptions, GcResult } from "./Gc.ts"
export type { RestoreOptions, RestoreResult } from "./Restore.ts"
export type { Snapshot, SnapshotSummary, TreeEntry } from "./Snapshots.ts"
export type { StoreStats } from "./Stats.ts"
export type { DamagedChunk, DamagedFile, DamagedPack, DamagedSnapshot, VerifyOptions, VerifyReport } from "./Verify.ts"

export const CONFIG_FILE = "config"

export interface OpenOptions {
  /** The cipher of an unencrypted store; identity if absent. Encrypted stores take `secretKeys` instead. */
  readonly cipher?: RepoCipher
  /** X-Wing secret keys (32 bytes each, or with their public keys) to open an encrypted store with, tried in order. */
  readonly secretKeys?: ReadonlyArray<SecretKey>
  /** Which codec each new chunk gets; `defaultCodec` (brotli 1, or store for random-looking chunks) if absent. */
  readonly codec?: ChunkCodec
  /** Close packs at this size instead of the store's configured one. */
  readonly packSize?: number
  /** Chunks compressed at once; 4 if absent. */
  readonly compressConcurrency?: number
  /** The clock for snapshot times and lock records. */
  readonly now?: () => Date
  /** Recorded in snapshots; os.hostname() if absent. */
  readonly host?: string
}

export interface InitOptions extends OpenOptions {
  /** Chunk sizes, fixed for the store's life; DEFAULT_CHUNKER if absent. */
  readonly chunker?: ChunkerParams
  /** Source of the store id, the chunk-id key and the master key; node:crypto if absent. */
  readonly random?: (n: number) => Uint8Array
  /**
   * X-Wing public keys (1,216 bytes each) to encrypt the store to (the vault-v1
   * cipher); any one of their secret keys opens it. Absent: unencrypted, with
   * `cipher` (identity if absent).
   */
  readonly recipients?: ReadonlyArray<Uint8Array>
}

export interface RebuildIndexResult {
  readonly packs: number
  readonly chunks: number
  /** Packs that could be indexed only in part, and why. */
  readonly damagedPacks: ReadonlyArray<{ readonly pack: string; readonly reason: string }>
}

export interface Repository {
  readonly dir: string
  /** The store's settings (the chunk-id key is not exposed). */
  readonly info: {
    readonly id: string
    readonly created: string
    readonly cipher: string
    /** The key ids an encrypted store's master key is wrapped to; empty when unencrypted. */
    readonly keyIds: ReadonlyArray<string>
    readonly chunker: ChunkerParams
    readonly packSize: number
  }
  /** Records a snapshot of `paths` (files or directories) and returns what it stored. */
  readonly add: (paths: ReadonlyArray<string>, options?: AddOptions) => Effect.Effect<AddResult, AddError>
  /** The snapshots, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<SnapshotSummary>, RepoCorrupt | SnapshotNotFound | RepoLocked | FileError>
  /** One snapshot's whole tree; `id` may be a unique prefix. */
  readonly snapshot: (id: string) => Effect.Effect<Snapshot, RepoCorrupt | SnapshotNotFound | RepoLocked | FileError>
  /** Reads under a read lock: gc and forget wait for it (fail with RepoLocked naming it). */
  readonly restore: (id: string, targetDir: string, options?: RestoreOptions) => Effect.Effect<RestoreResult, RestoreError | RepoLocked>
  readonly stats: () => Effect.Effect<StoreStats, RepoCorrupt | SnapshotNotFound | RepoLocked | FileError>
  /** Re-reads and re-hashes everything; damage is in the report, never a failure. */
  readonly verify: (options?: VerifyOptions) => Effect.Effect<VerifyReport, RepoLocked | FileError>
  /** Deletes a snapshot (its chunks stay until gc) and returns its full id. */
  readonly forget: (id: string) => Effect.Effect<string, SnapshotNotFound | RepoLocked | FileError>
  readonly gc: (options?: GcOptions) => Effect.Effect<GcResult, GcError>
  /** Rewrites the index from the packs alone. */
  readonly rebuildIndex: () => Effect.Effect<RebuildIndexResult, RepoLocked | FileError>
}

const checkOpenOptions = (options: OpenOptions): Effect.Effect<void, InvalidStoreOption> => {
  if (options.packSize !== undefined) {
    const problem = describePackSize(options.packSize)
    if (problem !== undefined) return Effect.fail(new InvalidStoreOption({ option: "packSize", reason: problem }))
  }
  const concurrency = options.compressConcurrency
  if (concurrency !== undefined && !(Number.isSafeInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
    return Effect.fail(new InvalidStoreOption({ option: "compressConcurrency", reason: `must be a whole number from 1 to 64, got ${concurrency}` }))
  }
  return Effect.void
}

const repoOf = (dir: string, config: RepoConfig, cipher: RepoCipher, options: OpenOptions): Repo => ({
  dir,
  config,
  cipher,
  codec: options.codec ?? defaultCodec,
  cutter: makeCutter(config.chunker),
  packSize: options.packSize ?? config.packSize,
  compressConcurrency: options.compressConcurrency ?? 4,
  now: options.now ?? (() => new Date()),
  host: options.host ?? os.hostname()
})

const rebuildIndex = (repo: Repo): Effect.Effect<RebuildIndexResult, RepoLocked | FileError, Files> =>
  withLock(
    repo.dir,
    "rebuild-index",
    Effect.gen(function*() {
      yield* removeStaleTemps(repo.dir)
      const rebuilt = yield* loadIndex(repo.dir, repo.cipher, { rebuild: true })
      yield* writeIndex(repo.dir, rebuilt.index, repo.cipher)
      return { packs: rebuilt.index.packCount, chunks: rebuilt.index.chunkCount, damagedPacks: rebuilt.damagedPacks }
    }),
    repo.now
  )

/** The store's operations, each with the Files the store was opened with. */
const make = (repo: Repo, files: FilesShape): Repository => {
  const withFiles = Effect.provideService(Files, files)
  const reading = <A, E, R>(operation: string, use: Effect.Effect<A, E, R>) => withReadLock(repo.dir, operation, use, repo.now)
  return {
    dir: repo.dir,
    info: {
      id: repo.config.id,
      created: repo.config.created,
      cipher: repo.config.cipher,
      keyIds: repo.config.encryption?.recipients.map((r) => r.keyId) ?? [],
      chunker: repo.config.chunker,
      packSize: repo.packSize
    },
    add: (paths, options) => withFiles(add(repo, paths, options)),
    list: () =>
      withFiles(reading(
        "list",
        Effect.gen(function*() {
          const ids = yield* listSnapshotIds(repo.dir)
          const summaries = yield* Effect.forEach(ids, (id) => Effect.map(readSnapshot(repo.dir, id, repo.cipher), summarize))
          return summaries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1))
        })
      )),
    snapshot: (id) =>
      withFiles(reading("snapshot", Effect.flatMap(resolveSnapshotId(repo.dir, id), (full) => readSnapshot(repo.dir, full, repo.cipher)))),
    restore: (id, targetDir, options) => withFiles(reading("restore", restore(repo, id, targetDir, options))),
    stats: () => withFiles(reading("stats", stats(repo))),
    verify: (options) => withFiles(reading("verify", verify(repo, options))),
    forget: (id) =>
      withFiles(withLock(
        repo.dir,
        "forget",
        Effect.gen(function*() {
          const full = yield* resolveSnapshotId(repo.dir, id)
          yield* deleteSnapshot(repo.dir, full)
          return full
        }),
        repo.now
      )),
    gc: (options) => withFiles(gc(repo, options)),
    rebuildIndex: () => withFiles(rebuildIndex(repo))
  }
}

/**
 * Creates a store in `dir` (created if missing; it must be empty) with a
 * fresh chunk-id key, and opens it.
 */
export const init = (
  dir: string,
  options: InitOptions = {}
): Effect.Effect<Repository, RepoAlreadyExists | InvalidStoreOption | FileError, Files> =>
  Effect.gen(function*() {
    const root = path.resolve(dir)
    const chunker = options.chunker ?? DEFAULT_CHUNKER
    const chunkerProblem = describeParams(chunker)
    if (chunkerProblem !== undefined) return yield* Effect.fail(new InvalidStoreOption({ option: "chunker", reason: chunkerProblem }))
    yield* checkOpenOptions(options)
    const files = yield* Files
    const existing = yield* unlessMissing(files.list(root))
    if (existing !== undefined && existing.includes(CONFIG_FILE)) {
      return yield* Effect.fail(new RepoAlreadyExists({ dir: root, reason: "it already holds a store (it has a config file)" }))
    }
    if (existing !== undefined && existing.length > 0) {
      return yield* Effect.fail(new RepoAlreadyExists({ dir: root, reason: `the directory is not empty (${existing.length} entries)` }))
    }
    const recipients = options.recipients
    if (recipients !== undefined && options.cipher !== undefined) {
      return yield* Effect.fail(new InvalidStoreOption({ option: "cipher", reason: "give recipients (encrypted) or a cipher, not both" }))
    }
    let cipher = options.cipher ?? identityCipher
    const plain = newConfig({
      chunker,
      packSize: options.packSize ?? DEFAULT_PACK_SIZE,
      cipher: recipients === undefined ? cipher.name : VAULT_CIPHER,
      now: (options.now ?? (() => new Date()))(),
      ...(options.random === undefined ? {} : { random: options.random })
    })
    let stored: StoredConfig = plain
    if (recipients !== undefined) {
      const encrypted = newEncryption({
        storeId: plain.id,
        chunkIdKey: plain.chunkIdKey,
        recipients,
        configContext: (keyIds) => configContext(plain, keyIds),
        ...(options.random === undefined ? {} : { random: options.random })
      })
      if (encrypted._tag === "Failure") return yield* Effect.fail(new InvalidStoreOption({ option: "recipients", reason: encrypted.failure }))
      cipher = encrypted.success.cipher
      stored = { ...plain, chunkIdKey: undefined, encryption: encrypted.success.record }
    }
    yield* files.makeDirectory(root, { recursive: true, mode: 0o700 })
    for (const sub of [PACKS_DIR, SNAPSHOTS_DIR]) yield* files.makeDirectory(path.join(root, sub), { mode: 0o700 })
    // The config goes last: a store exists once its config does.
    yield* writeAtomically(path.join(root, CONFIG_FILE), [encodeConfig(stored)])
    return make(repoOf(root, { ...stored, chunkIdKey: plain.chunkIdKey }, cipher, options), files)
  })

/**
 * Opens the store in `dir`. When its index is missing (and no writer holds
 * the lock), the index is rebuilt from the packs and written.
 */
export const open = (
  dir: string,
  options: OpenOptions = {}
): Effect.Effect<Repository, RepoNotFound | RepoCorrupt | InvalidStoreOption | StoreKeyRequired | WrongStoreKey | FileError, Files> =>
  Effect.gen(function*() {
    const root = path.resolve(dir)
    yield* checkOpenOptions(options)
    const configFile = path.join(root, "config")
    const bytes = yield* readBytes(configFile)
    if (bytes === undefined) return yield* Effect.fail(new RepoNotFound({ dir: root }))
    const stored = yield* Effect.fromResult(decodeConfig(configFile, bytes))
    const { cipher, config } = yield* unlocked(root, configFile, stored, options)
    const repo = repoOf(root, config, cipher, options)
    const indexFile = path.join(root, INDEX_FILE)
    const files = yield* Files
    const indexMissing = (yield* unlessMissing(files.stat(indexFile))) === undefined
    if (indexMissing && (yield* listPacks(path.join(root, PACKS_DIR))).length > 0) {
      // If a writer holds the lock it writes the index itself, and a read-only store cannot take it;
      // either way every operation rebuilds the index in memory until one is written.
      yield* rebuildIndex(repo).pipe(Effect.catchTags({ RepoLocked: () => Effect.void, FileError: () => Effect.void }))
    }
    return make(repo, files)
  })

/** The store's cipher and chunk-id key: an encrypted store's from the secret keys given. */
const unlocked = (
  root: string,
  configFile: string,
  stored: StoredConfig,
  options: OpenOptions
): Effect.Effect<{ readonly cipher: RepoCipher; readonly config: RepoConfig }, RepoCorrupt | InvalidStoreOption | StoreKeyRequired | WrongStoreKey> => {
  const mismatch = (name: string) =>
    Effect.fail(new InvalidStoreOption({ option: "cipher", reason: `the store was created with the ${stored.cipher} cipher, not ${name}` }))
  const encryption = stored.encryption
  if (encryption === undefined) {
    const cipher = options.cipher ?? identityCipher
    if (cipher.name !== stored.cipher) return mismatch(cipher.name)
    return Effect.succeed({ cipher, config: { ...stored, chunkIdKey: stored.chunkIdKey! } })
  }
  if (options.cipher !== undefined) return mismatch(options.cipher.name)
  const keyIds = encryption.recipients.map((r) => r.keyId)
  const result = unlock(encryption, stored.id, configContext(stored, keyIds), options.secretKeys ?? [])
  if (result._tag === "Success") return Effect.succeed({ cipher: result.success.cipher, config: { ...stored, chunkIdKey: result.success.chunkIdKey } })
  const failure = result.failure
  switch (failure._tag) {
    case "NoKey":
      return Effect.fail(new StoreKeyRequired({ dir: root, keyIds }))
    case "WrongKey":
      return Effect.fail(new WrongStoreKey({ dir: root, keyIds, tried: failure.tried }))
    case "BadKey":
      return Effect.fail(new InvalidStoreOption({ option: "secretKeys", reason: failure.reason }))
    case "Corrupt":
      return Effect.fail(new RepoCorrupt({ file: configFile, reason: failure.reason }))
  }
}

/** Whether `dir` holds a store (a config file), without opening it. */
export const exists = (dir: string): Effect.Effect<boolean, FileError, Files> =>
  Effect.map(listDir(path.resolve(dir)), (names) => names.includes(CONFIG_FILE))
