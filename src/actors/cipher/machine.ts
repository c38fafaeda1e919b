/**
 * CIPHER: files encrypted to and decrypted with the keyring's keys in the
 * vault format (docs/vault-format.md), with progress on the event stream.
 */
import { Effect, Result } from "effect"
import { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { Files } from "../../adapters/fs/Files.ts"
import { Keyring } from "../../keys/Keyring.ts"
import { decodePublicKey } from "../../keys/PublicKey.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { inspectVaultFile } from "../../vault/Inspect.ts"
import { decryptFile, encryptFile } from "../../vault/Vault.ts"
import { serviceMachine } from "../shared/serve.ts"
import { BadRecipient, Cipher, NoKeys } from "./messages.ts"

export const cipherCapabilities: ReadonlyArray<Capability> = [
  {
    name: "encryption",
    available: true,
    detail: "encrypts a file for svpk1 public keys (default: the keyring's default key): a per-file key wrapped with X-Wing (ML-KEM-768 + X25519), data in AES-256-GCM chunks; progress on the event stream"
  },
  {
    name: "decryption",
    available: true,
    detail: "decrypts with the keyring's keys; the output appears only when every chunk authenticated"
  },
  {
    name: "header-inspection",
    available: true,
    detail: "reads a vault file's header without decrypting its payload: version, chunk size, recipient stanzas (and which keyring key opens each), the payload's chunks and plaintext size"
  }
]

/** One progress event per this many bytes at most (plus the last): a 1 GiB file makes about a hundred. */
const PROGRESS_EVERY = 8 * 1024 * 1024

export const cipherMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const keyring = yield* Keyring
  const callerFiles = yield* CallerFiles

  const progressOf = (job: string) => {
    let reported = 0
    return (bytes: number) => {
      if (bytes - reported < PROGRESS_EVERY) return
      reported = bytes
      Effect.runFork(env.progress({ job, done: bytes, unit: "bytes" }))
    }
  }

  const recipientsOf = (texts: ReadonlyArray<string> | undefined) =>
    texts === undefined
      ? Effect.flatMap(keyring.ensureDefault, (key) => Effect.fromResult(decodePublicKey(key.publicKey))).pipe(Effect.map((key) => [key]))
      : Effect.forEach(texts, (text, i) =>
        Effect.fromResult(Result.mapError(decodePublicKey(text), (error) => new BadRecipient({ position: i + 1, reason: error.message }))))

  return yield* serviceMachine(Cipher, {
    handlers: {
      encrypt: (message, { caller }) =>
        Effect.gen(function*() {
          const files = yield* callerFiles.forCaller(caller)
          const recipients = yield* recipientsOf(message.recipients)
          const job = `encrypt ${message.input}`
          const result = yield* encryptFile(message.input, message.output, recipients, { onProgress: progressOf(job) }).pipe(
            Effect.provideService(Files, files)
          )
          yield* env.progress({ job, done: result.plaintextBytes, total: result.plaintextBytes, unit: "bytes" })
          return { output: message.output, recipients: recipients.length, ...result }
        }).pipe(Effect.scoped),
      decrypt: (message, { caller }) =>
        Effect.gen(function*() {
          const files = yield* callerFiles.forCaller(caller)
          const keys = yield* keyring.secretKeys
          if (keys.length === 0) return yield* new NoKeys()
          const job = `decrypt ${message.input}`
          const result = yield* decryptFile(message.input, message.output, keys.map((key) => key.secretKey), { onProgress: progressOf(job) }).pipe(
            Effect.provideService(Files, files)
          )
          yield* env.progress({ job, done: result.plaintextBytes, total: result.plaintextBytes, unit: "bytes" })
          return { output: message.output, plaintextBytes: result.plaintextBytes, key: keys[result.identityIndex]?.id }
        }).pipe(Effect.scoped),
      inspect: (message, { caller }) =>
        Effect.gen(function*() {
          const files = yield* callerFiles.forCaller(caller)
          const keys = yield* keyring.secretKeys
          const info = yield* inspectVaultFile(message.input, keys.map((key) => key.secretKey)).pipe(Effect.provideService(Files, files))
          return {
            input: message.input,
            version: info.version,
            chunkSize: info.chunkSize,
            recipients: info.recipients,
            headerBytes: info.headerBytes,
            fileBytes: info.fileBytes,
            payloadBytes: info.payloadBytes,
            ...("problem" in info.payload ? { payloadProblem: info.payload.problem } : info.payload),
            stanzas: info.stanzas.map((stanza) => ({
              index: stanza.index,
              ...(stanza.opensWith === undefined ? {} : { keyId: keys[stanza.opensWith]!.id })
            })),
            ...(info.headerAuthentic === undefined ? {} : { headerAuthentic: info.headerAuthentic })
          }
        }).pipe(Effect.scoped)
    }
  })
})
