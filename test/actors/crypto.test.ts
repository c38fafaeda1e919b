/**
 * CRYPTO as its callers see it: manifests signed through QUANTUM, verified
 * against the tree, refused when tampered with, with the caller's rights.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { cryptoAgent } from "../../src/actors/crypto/index.ts"
import { ledgerAgent } from "../../src/actors/ledger/index.ts"
import { quantumAgent } from "../../src/actors/quantum/index.ts"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import type { Keyring } from "../../src/keys/Keyring.ts"
import * as KeyringTest from "../../src/keys/KeyringTest.ts"
import type { AuditLedger } from "../../src/ledger/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { counterAgent, ROOT, tree } from "../support/agents.ts"
import { callerFilesInTmp, tempDir, testLedger } from "../support/security.ts"

const layer = Layer.mergeAll(testLedger.pipe(Layer.provideMerge(KeyringTest.layer())), FilesLive.layer, callerFilesInTmp, StateStoreTest.layer())
const start = ActorSystem.make({
  root: tree<Files | CallerFiles | Keyring | AuditLedger | StateStore>("root", "one_for_one", [
    cryptoAgent,
    quantumAgent,
    ledgerAgent,
    arbiterAgent,
    counterAgent("MORPH-STANDIN")
  ])
})

const rejection = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit), "refused")
  const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string; rejection?: { _tag: string; reason?: string }; message: string }
  assert.strictEqual(error._tag, "Rejected", error.message)
  return { ...error.rejection!, message: error.message }
}

describe("CRYPTO", () => {
  it.effect("manifest, then damage, then verify: each change reported; the manifest is signed by QUANTUM's key", () =>
    Effect.gen(function*() {
      const system = yield* start
      const ask = (message: unknown, caller: Caller = ROOT) => system.injectAsk(caller, "CRYPTO", message, { timeoutMs: 20_000 })
      const dir = yield* tempDir(`sigmavault-crypto-${process.pid}-`)
      const root = path.join(dir, "tree")
      yield* Effect.promise(async () => {
        await fs.mkdir(path.join(root, "sub"), { recursive: true })
        await fs.writeFile(path.join(root, "a.txt"), "alpha\n")
        await fs.writeFile(path.join(root, "sub", "b.txt"), "bravo\n")
        await fs.writeFile(path.join(root, "--help"), "dash\n")
      })
      const output = path.join(dir, "tree.manifest")
      const written = (yield* ask({ type: "manifest", root, output })) as { files: number; keyId: string; bytes: number }
      const signing = (yield* system.injectAsk(ROOT, "QUANTUM", { type: "signing-key" })) as { id: string }
      assert.deepStrictEqual([written.files, written.bytes, written.keyId], [3, 17, signing.id])
      const text = yield* Effect.promise(() => fs.readFile(output, "utf8"))
      assert.match(text, /^sigmavault-manifest 1\n/)
      assert.match(text, /\nsignature ml-dsa-65 [0-9a-f]{16} \S+\n$/)

      const hashed = (yield* ask({ type: "hash", path: path.join(root, "a.txt") })) as { digest: string }
      assert.include(text, `f ${hashed.digest} 6 `)

      const clean = (yield* ask({ type: "verify", manifest: output })) as { intact: boolean; matched: number; signedBy: string }
      assert.deepStrictEqual([clean.intact, clean.matched, clean.signedBy], [true, 3, signing.id])

      yield* Effect.promise(async () => {
        await fs.writeFile(path.join(root, "a.txt"), "alpha, edited\n")
        await fs.rm(path.join(root, "sub", "b.txt"))
        await fs.writeFile(path.join(root, "c.txt"), "new\n")
      })
      const damaged = (yield* ask({ type: "verify", manifest: output })) as {
        intact: boolean
        changed: ReadonlyArray<{ path: string }>
        missing: ReadonlyArray<string>
        added: ReadonlyArray<string>
        counts: Record<string, number>
      }
      assert.isFalse(damaged.intact)
      assert.deepStrictEqual(damaged.changed.map((c) => c.path), ["a.txt"])
      assert.deepStrictEqual(damaged.missing, ["sub/b.txt"])
      assert.deepStrictEqual(damaged.added, ["c.txt"])
      assert.deepStrictEqual(damaged.counts, { changed: 1, bitRot: 0, missing: 1, added: 1, unreadable: 0, metadataChanged: 0 })

      // Tampering with the manifest: one entry's hash changed, and the signature no longer holds.
      const tampered = path.join(dir, "tampered.manifest")
      yield* Effect.promise(() => fs.writeFile(tampered, text.replace(hashed.digest, "0".repeat(64))))
      const refused = rejection(yield* Effect.exit(ask({ type: "verify", manifest: tampered })))
      assert.strictEqual(refused._tag, "ManifestSignatureInvalid")
      assert.include(refused.message, "changed after it was signed")
      const unsigned = path.join(dir, "unsigned.manifest")
      yield* Effect.promise(() => fs.writeFile(unsigned, text.replace(/signature .*\n$/, "")))
      assert.include(rejection(yield* Effect.exit(ask({ type: "verify", manifest: unsigned }))).message, "no signature line")

      // Never over an existing file, never inside the tree it describes.
      assert.strictEqual(rejection(yield* Effect.exit(ask({ type: "manifest", root, output }))).message.includes("already exists"), true)
      assert.strictEqual(rejection(yield* Effect.exit(ask({ type: "manifest", root, output: path.join(root, "m") })))._tag, "OutputInsideTree")
      // Outside the file roots, nothing is looked at.
      assert.include(rejection(yield* Effect.exit(ask({ type: "hash", path: "/etc/shadow" }))).message, "outside the file roots")
    }).pipe(Effect.provide(layer)))

  it.effect("a directory the caller cannot list is reported unreadable, not missing", () =>
    Effect.gen(function*() {
      const system = yield* start
      const dir = yield* tempDir(`sigmavault-crypto-${process.pid}-`)
      const root = path.join(dir, "tree")
      yield* Effect.promise(async () => {
        await fs.mkdir(path.join(root, "private"), { recursive: true })
        await fs.writeFile(path.join(root, "open.txt"), "open\n")
        await fs.writeFile(path.join(root, "private", "secret.txt"), "secret\n")
        await fs.chmod(path.join(root, "private"), 0o700)
        await fs.chmod(root, 0o755)
      })
      const output = path.join(dir, "m")
      yield* system.injectAsk(ROOT, "CRYPTO", { type: "manifest", root, output }, { timeoutMs: 20_000 })
      const someone: Caller = { uid: 4242, gid: 4242, groups: [], via: "socket" }
      const report = (yield* system.injectAsk(someone, "CRYPTO", { type: "verify", manifest: output }, { timeoutMs: 20_000 })) as {
        intact: boolean
        missing: ReadonlyArray<string>
        unreadable: ReadonlyArray<{ path: string; reason: string }>
      }
      assert.isFalse(report.intact)
      assert.deepStrictEqual(report.missing, [])
      assert.include(report.unreadable.map((u) => u.path), "private/secret.txt")
    }).pipe(Effect.provide(layer)))

  it.effect("runs under ARBITER's verify lease on the tree: a migration holding it gets manifest and verify refused, naming it", () =>
    Effect.gen(function*() {
      const system = yield* start
      const dir = yield* tempDir(`sigmavault-crypto-${process.pid}-`)
      const root = path.join(dir, "tree")
      yield* Effect.promise(async () => {
        await fs.mkdir(root)
        await fs.writeFile(path.join(root, "a.txt"), "alpha\n")
      })
      yield* system.injectAsk(ROOT, "CRYPTO", { type: "manifest", root, output: path.join(dir, "m") }, { timeoutMs: 20_000 })
      const held = (yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: `path:${dir}`, job: "migration", holder: "MORPH-STANDIN" })) as { id: string }
      const refused = rejection(yield* Effect.exit(system.injectAsk(ROOT, "CRYPTO", { type: "verify", manifest: path.join(dir, "m") }, { timeoutMs: 20_000 })))
      assert.strictEqual(refused._tag, "LeaseConflict")
      assert.include(refused.message, "MORPH-STANDIN")
      const again = rejection(yield* Effect.exit(system.injectAsk(ROOT, "CRYPTO", { type: "manifest", root, output: path.join(dir, "m2") }, { timeoutMs: 20_000 })))
      assert.strictEqual(again._tag, "LeaseConflict")
      yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: held.id })
      const report = (yield* system.injectAsk(ROOT, "CRYPTO", { type: "verify", manifest: path.join(dir, "m") }, { timeoutMs: 20_000 })) as { intact: boolean }
      assert.isTrue(report.intact)
      const leases = (yield* system.injectAsk(ROOT, "ARBITER", { type: "leases" })) as { leases: ReadonlyArray<unknown> }
      assert.deepStrictEqual(leases.leases, [], "the verify's lease was released")
    }).pipe(Effect.provide(layer)))
})
