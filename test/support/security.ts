/** The keyring and audit ledger for tests: an in-memory keyring and a real ledger in a temp dir removed afterwards. */
import { realpathSync, rmSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import * as CallerFilesTest from "../../src/adapters/fs/CallerFilesTest.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { MigrationFiles } from "../../src/adapters/migration/MigrationFiles.ts"
import * as MigrationFilesTest from "../../src/adapters/migration/MigrationFilesTest.ts"
import { Keyring } from "../../src/keys/Keyring.ts"
import * as KeyringTest from "../../src/keys/KeyringTest.ts"
import { AuditLedger, openLedger } from "../../src/ledger/index.ts"

export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
  )

export const testLedger: Layer.Layer<AuditLedger, never, Keyring> = Layer.effect(
  AuditLedger,
  Effect.gen(function*() {
    const keyring = yield* Keyring
    const key = yield* Effect.orDie(keyring.signingKey)
    const dir = yield* tempDir("sigmavault-ledger-")
    return yield* Effect.orDie(openLedger(dir, { signer: { keyId: key.id, sign: key.sign } })).pipe(Effect.provide(FilesLive.layer))
  })
)

export const testSecurity: Layer.Layer<Keyring | AuditLedger> = testLedger.pipe(Layer.provideMerge(KeyringTest.layer()))

/**
 * Callers' file jobs for tests: the confinement rules over the real
 * filesystem, with the temporary directory as the one root (tests run as one
 * user; CallerFilesLive's change of identity is the e2e suite's).
 */
export const callerFilesInTmp: Layer.Layer<CallerFiles> = CallerFilesTest.layer({
  files: FilesLive.make(),
  roots: [realpathSync(os.tmpdir())],
  forbidden: []
})

export const morphJournals = path.join(realpathSync(os.tmpdir()), `sigmavault-morph-journals-${process.pid}`)
process.once("exit", () => rmSync(morphJournals, { recursive: true, force: true }))

/** MORPH's trees for tests: the temporary directory as the one root, journals in a directory of their own (per process, removed at exit). */
export const migrationFilesInTmp: Layer.Layer<MigrationFiles> = MigrationFilesTest.layer({
  journalDir: morphJournals,
  roots: [realpathSync(os.tmpdir())],
  forbidden: []
})
