/**
 * CRYPTO: content hashes, signed manifests of trees and their verification
 * (docs/integrity.md). Paths are the caller's (CallerFiles: its rights,
 * inside the file roots); the manifest is signed by QUANTUM with the
 * daemon's ML-DSA-65 key, and a manifest whose signature does not hold is
 * refused before the tree is looked at.
 */
import * as path from "node:path"
import { Clock, Effect, Result } from "effect"
import { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { FileError, Files, type FilesShape } from "../../adapters/fs/Files.ts"
import { parseManifest } from "../../integrity/Manifest.ts"
import { buildManifest, hashFile, signatureProblem, signedManifest, type TreeProgress, verifyTree } from "../../integrity/Tree.ts"
import { decodeSigningPublicKey } from "../../keys/PublicKey.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Quantum } from "../quantum/messages.ts"
import { withLease } from "../shared/lease.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Crypto, ManifestMalformed, ManifestSignatureInvalid, MAX_LISTED, OutputInsideTree } from "./messages.ts"

export const cryptoCapabilities: ReadonlyArray<Capability> = [
  {
    name: "content-hashing",
    available: true,
    detail: "SHA-256 of files (node:crypto, streamed), and manifests of trees (path, size, mtime, mode, SHA-256) signed with the daemon's ML-DSA-65 key"
  },
  {
    name: "bit-rot-verification",
    available: true,
    detail: "checks a manifest's signature, then re-hashes the tree: changed, bit rot (content changed, size and mtime not), missing, added and unreadable files"
  }
]

/** One progress event per this many bytes at most (plus the last). */
const PROGRESS_EVERY = 64 * 1024 * 1024
/** A manifest larger than this is not read (about 5 million files). */
const MAX_MANIFEST_BYTES = 1024 * 1024 * 1024

const readWhole = (files: FilesShape, file: string) =>
  Effect.scoped(Effect.gen(function*() {
    const reader = yield* files.openRead(file, { followSymlinks: false })
    if (reader.info.size > MAX_MANIFEST_BYTES) {
      return yield* new FileError({ reason: "TooLarge", operation: "read", path: file, detail: `a manifest is at most ${MAX_MANIFEST_BYTES} bytes` })
    }
    const pieces: Array<Uint8Array> = []
    let total = 0
    for (;;) {
      const piece = new Uint8Array(1024 * 1024)
      const n = yield* reader.read(piece)
      if (n === 0) break
      pieces.push(piece.subarray(0, n))
      total += n
      if (total > MAX_MANIFEST_BYTES) {
        return yield* new FileError({ reason: "TooLarge", operation: "read", path: file, detail: `a manifest is at most ${MAX_MANIFEST_BYTES} bytes` })
      }
    }
    return Buffer.concat(pieces, total)
  }))

/** ARBITER's path resources have no trailing '/' (except the root itself). */
const leaseable = (root: string) => (root.length > 1 && root.endsWith("/") ? root.slice(0, -1) : root)

export const cryptoMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const callerFiles = yield* CallerFiles

  const progressOf = (job: string) => {
    let reported = 0
    return (progress: TreeProgress) => {
      if (progress.bytes - reported < PROGRESS_EVERY && progress.files < progress.totalFiles) return
      if (progress.bytes === reported && progress.files < progress.totalFiles) return
      reported = progress.bytes
      Effect.runFork(env.progress({ job, done: progress.bytes, total: progress.totalBytes, unit: "bytes" }))
    }
  }

  const elapsedSince = (started: number) => Effect.map(Clock.currentTimeMillis, (now) => (now - started) / 1000)

  return yield* serviceMachine(Crypto, {
    handlers: {
      hash: (message, { caller }) =>
        Effect.gen(function*() {
          const files = yield* callerFiles.forCaller(caller)
          const hashed = yield* hashFile(message.path).pipe(Effect.provideService(Files, files))
          return { path: message.path, algorithm: "sha256" as const, digest: hashed.sha256, bytes: hashed.bytes }
        }).pipe(Effect.scoped),

      manifest: (message, { caller }) =>
        Effect.gen(function*() {
          const root = path.normalize(message.root)
          const output = path.normalize(message.output)
          if (output === root || output.startsWith(root.endsWith("/") ? root : `${root}/`)) {
            return yield* new OutputInsideTree({ root: message.root, output: message.output })
          }
          const started = yield* Clock.currentTimeMillis
          const files = yield* callerFiles.forCaller(caller)
          const hasher = yield* callerFiles.hasherFor(caller)
          // A reading job: it conflicts with what would change the tree under it (a migration, a prune, a benchmark).
          const built = yield* withLease(
            env,
            { resource: `path:${leaseable(root)}`, job: "verify" },
            buildManifest(root, { onProgress: progressOf(`manifest ${root}`), hasher }).pipe(Effect.provideService(Files, files))
          )
          const signed = yield* env.system.call(Quantum, { type: "sign-manifest", bodySha256: built.bodySha256 }).pipe(failedDependency("QUANTUM"))
          const bytes = signedManifest(built.body, signed.keyId, Uint8Array.from(Buffer.from(signed.signature, "base64")))
          yield* files.writeAtomic(output, bytes, { mode: 0o644 })
          return {
            output: message.output,
            root: built.root,
            files: built.files,
            bytes: built.bytes,
            skipped: built.skipped,
            unreadable: built.unreadable.slice(0, MAX_LISTED),
            keyId: signed.keyId,
            seconds: yield* elapsedSince(started)
          }
        }).pipe(Effect.scoped),

      verify: (message, { caller }) =>
        Effect.gen(function*() {
          const started = yield* Clock.currentTimeMillis
          const files = yield* callerFiles.forCaller(caller)
          const text = yield* readWhole(files, message.manifest)
          const parsed = parseManifest(text)
          if (Result.isFailure(parsed)) {
            return yield* new ManifestMalformed({ manifest: message.manifest, line: parsed.failure.line, reason: parsed.failure.reason })
          }
          const manifest = parsed.success
          const key = yield* env.system.call(Quantum, { type: "signing-key" }).pipe(failedDependency("QUANTUM"))
          const publicKey = decodeSigningPublicKey(key.publicKey)
          if (Result.isFailure(publicKey)) {
            return yield* Effect.die(new Error(`QUANTUM's signing key does not decode: ${publicKey.failure.message}`))
          }
          const refused = signatureProblem(manifest, { id: key.id, publicKey: publicKey.success })
          if (refused !== undefined) return yield* new ManifestSignatureInvalid({ manifest: message.manifest, reason: refused })
          const root = path.normalize(message.root ?? new TextDecoder().decode(manifest.root))
          const hasher = yield* callerFiles.hasherFor(caller)
          const report = yield* withLease(
            env,
            { resource: `path:${leaseable(root)}`, job: "verify" },
            verifyTree(manifest, root, { onProgress: progressOf(`verify ${message.manifest}`), hasher }).pipe(Effect.provideService(Files, files))
          )
          const list = <A>(items: ReadonlyArray<A>) => items.slice(0, MAX_LISTED)
          return {
            manifest: message.manifest,
            root: report.root,
            signedBy: key.id,
            created: manifest.created,
            files: report.files,
            bytes: report.bytes,
            intact: report.intact,
            matched: report.matched,
            counts: {
              changed: report.changed.length,
              bitRot: report.bitRot.length,
              missing: report.missing.length,
              added: report.added.length,
              unreadable: report.unreadable.length,
              metadataChanged: report.metadataChanged.length
            },
            changed: list(report.changed),
            bitRot: list(report.bitRot),
            missing: list(report.missing),
            added: list(report.added),
            unreadable: list(report.unreadable),
            metadataChanged: list(report.metadataChanged),
            seconds: yield* elapsedSince(started)
          }
        }).pipe(Effect.scoped)
    }
  })
})
