/**
 * CIPHER, QUANTUM and LEDGER over the keyring and the audit ledger, as other
 * agents and the control socket use them, and the daemon's audit recorder.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { cipherAgent } from "../../src/actors/cipher/index.ts"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { ledgerAgent } from "../../src/actors/ledger/index.ts"
import { quantumAgent } from "../../src/actors/quantum/index.ts"
import { recordRuntimeEvents } from "../../src/daemon/Audit.ts"
import type { Keyring } from "../../src/keys/Keyring.ts"
import * as KeyringTest from "../../src/keys/KeyringTest.ts"
import { AuditLedger, tailLedger } from "../../src/ledger/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, restarted, tree, watch, ROOT } from "../support/agents.ts"
import { callerFilesInTmp, tempDir, testLedger } from "../support/security.ts"

const security = Layer.mergeAll(testLedger.pipe(Layer.provideMerge(KeyringTest.layer())), FilesLive.layer, callerFilesInTmp)

const start = ActorSystem.make({ root: tree<Files | CallerFiles | Keyring | AuditLedger>("root", "one_for_one", [cipherAgent, quantumAgent, ledgerAgent]) })

describe("QUANTUM, CIPHER and LEDGER", () => {
  it.effect("rotate makes a new default key, recorded in the ledger; CIPHER encrypts to it and decrypts with the keyring", () =>
    Effect.gen(function*() {
      const system = yield* start
      const ask = (agent: string, message: unknown) => system.injectAsk(ROOT, agent, message)
      const first = (yield* ask("QUANTUM", { type: "rotate" })) as { id: string; default: boolean }
      const second = (yield* ask("QUANTUM", { type: "rotate" })) as { id: string }
      const keys = (yield* ask("QUANTUM", { type: "keys" })) as ReadonlyArray<{ id: string; default: boolean }>
      assert.deepStrictEqual(keys.map((k) => [k.id, k.default]), [[first.id, false], [second.id, true]])
      const exported = (yield* ask("QUANTUM", { type: "export" })) as { publicKey: string }
      assert.match(exported.publicKey, /^svpk1/)

      const dir = yield* tempDir("sigmavault-cipher-")
      const plain = path.join(dir, "report.txt")
      const text = "pool tank: 3 checksum errors on sdb\n".repeat(10_000)
      yield* Effect.promise(() => fs.writeFile(plain, text))
      const encrypted = (yield* ask("CIPHER", { type: "encrypt", input: plain, output: `${plain}.sv` })) as { recipients: number }
      assert.strictEqual(encrypted.recipients, 1)
      const decrypted = (yield* ask("CIPHER", { type: "decrypt", input: `${plain}.sv`, output: `${plain}.out` })) as {
        plaintextBytes: number
        key: string
      }
      assert.deepStrictEqual([decrypted.plaintextBytes, decrypted.key], [text.length, second.id])
      assert.strictEqual(yield* Effect.promise(() => fs.readFile(`${plain}.out`, "utf8")), text)

      // An old key still decrypts what was encrypted to it.
      const firstKey = (yield* ask("QUANTUM", { type: "export", id: first.id })) as { publicKey: string }
      yield* ask("CIPHER", { type: "encrypt", input: plain, output: `${plain}.old.sv`, recipients: [firstKey.publicKey] })
      const old = (yield* ask("CIPHER", { type: "decrypt", input: `${plain}.old.sv`, output: `${plain}.old` })) as { key: string }
      assert.strictEqual(old.key, first.id)

      const entries = (yield* ask("LEDGER", { type: "entries" })) as ReadonlyArray<{ action: string; detail: Record<string, unknown> }>
      assert.deepStrictEqual(
        entries.filter((e) => e.action === "key.rotated").map((e) => e.detail),
        [{ id: first.id, previous: null }, { id: second.id, previous: first.id }]
      )
      const report = (yield* ask("LEDGER", { type: "verify" })) as { ok: boolean; entries: number }
      assert.isTrue(report.ok)
    }).pipe(Effect.provide(security)))

  it.effect("refusals name the fault: an existing output, a bad recipient, a tampered file leaves no output; inspect reads headers, refusing what is not one", () =>
    Effect.gen(function*() {
      const system = yield* start
      const refusal = (agent: string, message: unknown) =>
        Effect.map(Effect.flip(system.injectAsk(ROOT, agent, message)), (error) => error.message)
      const dir = yield* tempDir("sigmavault-cipher-")
      const plain = path.join(dir, "a.txt")
      yield* Effect.promise(() => fs.writeFile(plain, "x".repeat(300_000)))
      yield* system.injectAsk(ROOT, "CIPHER", { type: "encrypt", input: plain, output: `${plain}.sv` })
      assert.include(yield* refusal("CIPHER", { type: "encrypt", input: plain, output: `${plain}.sv` }), "exists")
      assert.include(yield* refusal("CIPHER", { type: "encrypt", input: plain, output: `${plain}.2`, recipients: ["svpk1nope"] }), "recipient 1")
      assert.include(yield* refusal("CIPHER", { type: "encrypt", input: "relative/path", output: `${plain}.3` }), "absolute path")
      const bytes = yield* Effect.promise(() => fs.readFile(`${plain}.sv`))
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 1, bytes.length - 100)
      yield* Effect.promise(() => fs.writeFile(`${plain}.bad`, bytes))
      assert.include(yield* refusal("CIPHER", { type: "decrypt", input: `${plain}.bad`, output: `${plain}.out` }), "failed authentication")
      assert.deepStrictEqual((yield* Effect.promise(() => fs.readdir(dir))).sort(), ["a.txt", "a.txt.bad", "a.txt.sv"], "a failed decrypt leaves no output")
      assert.include(yield* refusal("CIPHER", { type: "inspect", input: plain }), "not a SigmaVault encrypted file")
      const keyId = ((yield* system.injectAsk(ROOT, "QUANTUM", { type: "keys" })) as ReadonlyArray<{ id: string; default: boolean }>).find((k) => k.default)!.id
      const header = (yield* system.injectAsk(ROOT, "CIPHER", { type: "inspect", input: `${plain}.sv` })) as Record<string, unknown>
      assert.deepInclude(header, {
        version: 1,
        chunkSize: 1024 * 1024,
        recipients: 1,
        headerBytes: 1246,
        chunks: 1,
        plaintextBytes: 300_000,
        stanzas: [{ index: 0, keyId }],
        headerAuthentic: true
      })
      // A header whose stanza was altered: no keyring key opens it, so nothing vouches for the header.
      const altered = yield* Effect.promise(() => fs.readFile(`${plain}.sv`))
      altered[100] = altered[100]! ^ 1
      yield* Effect.promise(() => fs.writeFile(`${plain}.altered`, altered))
      const unopened = (yield* system.injectAsk(ROOT, "CIPHER", { type: "inspect", input: `${plain}.altered` })) as Record<string, unknown>
      assert.deepStrictEqual([unopened["stanzas"], unopened["headerAuthentic"]], [[{ index: 0 }], undefined])
      // A cut header says where it ends.
      yield* Effect.promise(() => fs.writeFile(`${plain}.cut`, altered.subarray(0, 600)))
      assert.include(yield* refusal("CIPHER", { type: "inspect", input: `${plain}.cut` }), "ends inside the header")
      assert.include(yield* refusal("LEDGER", { type: "append", actor: "x", action: "Not An Action" }), "Not An Action")
      assert.strictEqual(system.status("CIPHER")?.restarts, 0)
    }).pipe(Effect.provide(security)))

  it.effect("CIPHER reports progress on the event stream", () =>
    Effect.gen(function*() {
      const system = yield* start
      const events = yield* watch(system)
      const dir = yield* tempDir("sigmavault-cipher-")
      const plain = path.join(dir, "big.bin")
      yield* Effect.promise(() => fs.writeFile(plain, new Uint8Array(20 * 1024 * 1024)))
      yield* system.injectAsk(ROOT, "CIPHER", { type: "encrypt", input: plain, output: `${plain}.sv` })
      yield* events.until((e) => e._tag === "Progress" && e.total !== undefined)
      const progress = events.seen.flatMap((e) => (e._tag === "Progress" ? [[e.done, e.total]] : []))
      assert.deepStrictEqual(progress.at(-1), [20 * 1024 * 1024, 20 * 1024 * 1024])
      assert.isAtLeast(progress.length, 3)
    }).pipe(Effect.provide(security)))
})

describe("the daemon's audit recorder", () => {
  it.live("records agent failures and restarts in the ledger", () =>
    Effect.gen(function*() {
      const ledger = yield* AuditLedger
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [counterAgent("COUNTER")]) })
      yield* recordRuntimeEvents(system, ledger)
      const events = yield* watch(system)
      yield* system.tell("COUNTER", { type: "crash" })
      yield* events.until(restarted("COUNTER"))
      // The recorder appends asynchronously (each append is fdatasynced): wait until both entries are in.
      for (let waited = 0; ledger.head.seq < 3 && waited < 5_000; waited += 10) yield* Effect.sleep("10 millis")
      const entries = yield* tailLedger(ledger.file, 10)
      assert.deepStrictEqual(entries.map((e) => [e.action, e.detail["agent"]]).filter(([a]) => a !== "ledger.checkpoint"), [
        ["agent.failed", "COUNTER"],
        ["agent.restarted", "COUNTER"]
      ])
    }).pipe(Effect.provide(security)))
})
