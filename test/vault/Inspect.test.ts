/**
 * Reading a vault header without decrypting: a real file's header is read
 * as written; truncated, garbage and mutated headers get the format's typed
 * errors, never a crash.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { generateKeyPair } from "../../src/keys/KeyPair.ts"
import { inspectVaultFile, payloadShape } from "../../src/vault/Inspect.ts"
import { encrypt } from "../../src/vault/Vault.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sigmavault-inspect-${process.pid}-`))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const alice = generateKeyPair(new Uint8Array(32).fill(1))
const bob = generateKeyPair(new Uint8Array(32).fill(2))
const carol = generateKeyPair(new Uint8Array(32).fill(3))

const sealed = async (plaintext: Uint8Array, recipients: ReadonlyArray<Uint8Array>, chunkSize: number) => {
  const pieces: Array<Uint8Array> = []
  await Effect.runPromise(encrypt((async function*() {
    yield plaintext
  })(), async (bytes) => void pieces.push(bytes.slice()), recipients, { chunkSize }))
  return Buffer.concat(pieces)
}

let n = 0
const inspect = (bytes: Uint8Array, keys: ReadonlyArray<Uint8Array> = []) => {
  const file = path.join(dir, `v${n++}`)
  fs.writeFileSync(file, bytes)
  return Effect.runPromiseExit(Effect.provide(inspectVaultFile(file, keys), FilesLive.layer)).finally(() => fs.rmSync(file))
}

const HEADER_ERRORS = ["NotAVaultFile", "UnsupportedVaultVersion", "MalformedVaultHeader", "VaultTruncated"]

const typedOrSuccess = (exit: Exit.Exit<unknown, unknown>, what: string) => {
  if (Exit.isSuccess(exit)) return "ok"
  assert.isFalse(Cause.hasDies(exit.cause), `${what}: ${Cause.pretty(exit.cause)}`)
  const error = Cause.squash(exit.cause) as { _tag: string; message: string }
  assert.include(HEADER_ERRORS, error._tag, what)
  assert.isNotEmpty(error.message)
  return error._tag
}

describe("inspectVaultFile", () => {
  it("reads a real file's header: recipients, chunk size, payload shape; names which given key opens which stanza", async () => {
    const plaintext = new Uint8Array(150_000).fill(9)
    const file = await sealed(plaintext, [alice.publicKey, bob.publicKey], 64 * 1024)
    const exit = await inspect(file, [carol.secretKey, bob.secretKey])
    assert.isTrue(Exit.isSuccess(exit))
    const info = (exit as Exit.Success<any>).value
    assert.deepInclude(info, { version: 1, chunkSize: 65536, recipients: 2, headerBytes: 78 + 2 * 1168, fileBytes: file.length, headerAuthentic: true })
    assert.deepStrictEqual(info.payload, { chunks: 3, plaintextBytes: 150_000 })
    assert.deepStrictEqual(info.stanzas, [{ index: 0, opensWith: undefined }, { index: 1, opensWith: 1 }])

    const anonymous = await inspect(file)
    assert.deepInclude((anonymous as Exit.Success<any>).value, { headerAuthentic: undefined })

    // A header byte changed after the stanzas: the stanza still opens, the MAC does not hold.
    const changed = Buffer.from(file)
    changed[20] = changed[20]! ^ 0x80
    assert.strictEqual(((await inspect(changed, [alice.secretKey])) as Exit.Success<any>).value.headerAuthentic, false)

    // Cut inside the payload's tag: the shape says so.
    const cut = file.subarray(0, 78 + 2 * 1168 + 2 * (65536 + 16) + 10)
    assert.include(((await inspect(cut)) as Exit.Success<any>).value.payload.problem, "cut short")
  })

  it("payload shapes: whole chunks, a short last chunk, an empty file's one chunk, and what cannot be a payload", () => {
    const C = 65536
    assert.deepStrictEqual(payloadShape(16, C), { chunks: 1, plaintextBytes: 0 })
    assert.deepStrictEqual(payloadShape(C + 16, C), { chunks: 1, plaintextBytes: C })
    assert.deepStrictEqual(payloadShape(C + 16 + 17, C), { chunks: 2, plaintextBytes: C + 1 })
    assert.include((payloadShape(0, C) as { problem: string }).problem, "no chunk")
    assert.include((payloadShape(C + 16 + 16, C) as { problem: string }).problem, "cut short")
    assert.include((payloadShape(7, C) as { problem: string }).problem, "cut short")
  })

  it("names what is wrong with truncated and garbage headers", async () => {
    const file = await sealed(new Uint8Array(10), [alice.publicKey], 64 * 1024)
    const tag = async (bytes: Uint8Array) => typedOrSuccess(await inspect(bytes), "")
    assert.strictEqual(await tag(new Uint8Array(0)), "NotAVaultFile")
    assert.strictEqual(await tag(file.subarray(0, 5)), "VaultTruncated")
    assert.strictEqual(await tag(file.subarray(0, 12)), "VaultTruncated")
    assert.strictEqual(await tag(file.subarray(0, 500)), "VaultTruncated")
    assert.strictEqual(await tag(Buffer.from("#!/bin/sh\necho hello\n")), "NotAVaultFile")
    const version = Buffer.from(file)
    version[8] = 2
    assert.strictEqual(await tag(version), "UnsupportedVaultVersion")
    const chunk = Buffer.from(file)
    chunk.writeUInt32BE(5, 9)
    assert.strictEqual(await tag(chunk), "MalformedVaultHeader")
  })

  it("property: random bytes, and real headers with random bytes changed or cut, never crash", async () => {
    const file = await sealed(new Uint8Array(1000), [alice.publicKey], 64 * 1024)
    const seen = new Set<string>()
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 3000 }),
        fc.tuple(fc.nat({ max: file.length }), fc.array(fc.tuple(fc.nat({ max: 60 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([cut, edits]) => {
          const bytes = Buffer.from(file.subarray(0, cut))
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value
          return bytes
        })
      ),
      async (bytes) => void seen.add(typedOrSuccess(await inspect(bytes, [alice.secretKey]), Buffer.from(bytes).toString("hex").slice(0, 120)))
    ), { numRuns: 300 })
    assert.includeMembers([...seen], ["NotAVaultFile", "VaultTruncated"])
  })
})
