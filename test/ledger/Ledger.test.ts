import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { type Ledger, openLedger, type Signer, tailLedger, verifyLedger } from "../../src/ledger/index.ts"
import {
  appendRaw,
  bytesOf,
  keyA,
  keyB,
  linesOf,
  logOf,
  putLines,
  signerOf,
  steppingClock,
  tempDir,
  trusting
} from "./fixtures.ts"

const restarts = (ledger: Ledger, from: number, count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => from + i),
    (attempt) => ledger.append({ actor: "SUPERVISOR", action: "agent.restarted", detail: { agent: "ORBIT", attempt } })
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Exit.findErrorOption(exit)
  assert.isTrue(Option.isSome(error), "expected a typed failure")
  return Option.getOrThrow(error)
}

layer(FilesLive.layer)("Ledger format", (it) => {
  it.effect("writes canonical JSON lines, each prev the SHA-256 of the previous line's bytes, starting from 64 zeros", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, { signer: signerOf(keyA), now: steppingClock() })
        yield* ledger.append({ actor: "SUPERVISOR", action: "agent.restarted", detail: { agent: "ORBIT", exit: 137 } })
        yield* ledger.append({ actor: "cli", action: "key.rotated" })
      }).pipe(Effect.scoped)

      const lines = yield* linesOf(logOf(dir))
      assert.strictEqual(lines.length, 4)
      const sha = (line: string) => createHash("sha256").update(line, "utf8").digest("hex")
      const genesis = JSON.parse(lines[0]!)
      assert.deepStrictEqual(Object.keys(genesis), ["seq", "at", "actor", "action", "detail", "prev"])
      assert.strictEqual(genesis.seq, 1)
      assert.strictEqual(genesis.prev, "0".repeat(64))
      assert.strictEqual(genesis.action, "ledger.checkpoint")
      assert.deepStrictEqual(Object.keys(genesis.detail), ["covers", "head", "keyId", "signature"])
      assert.include(genesis.detail, { covers: 0, head: "0".repeat(64), keyId: "quantum-a" })
      assert.strictEqual(
        lines[1],
        `{"seq":2,"at":"2026-06-01T00:00:02.000Z","actor":"SUPERVISOR","action":"agent.restarted","detail":{"agent":"ORBIT","exit":137},"prev":"${sha(lines[0]!)}"}`
      )
      assert.strictEqual(
        lines[2],
        `{"seq":3,"at":"2026-06-01T00:00:03.000Z","actor":"cli","action":"key.rotated","detail":{},"prev":"${sha(lines[1]!)}"}`
      )
      const closing = JSON.parse(lines[3]!)
      assert.strictEqual(closing.action, "ledger.checkpoint")
      assert.include(closing.detail, { covers: 3, head: sha(lines[2]!), keyId: "quantum-a" })
      const mode = (yield* Effect.promise(() => fs.stat(logOf(dir)))).mode & 0o777
      assert.strictEqual(mode, 0o600)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Ledger append", (it) => {
  it.effect("returns each entry as recorded, with its hash the next entry's prev", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const ledger = yield* openLedger(dir, { signer: undefined, now: steppingClock() })
      const first = yield* ledger.append({ actor: "QUANTUM", action: "key.generated", detail: { alg: "ML-DSA-65" } })
      const second = yield* ledger.append({ actor: "cli", action: "share.created", detail: { name: "photos" } })
      assert.include(first, { seq: 1, actor: "QUANTUM", action: "key.generated", prev: "0".repeat(64) })
      assert.deepStrictEqual(first.detail, { alg: "ML-DSA-65" })
      assert.strictEqual(second.prev, first.hash)
      assert.deepStrictEqual(ledger.head, { seq: 2, hash: second.hash })
      assert.strictEqual(ledger.unsignedTail, 2)
      assert.deepStrictEqual(yield* tailLedger(dir, 5), [first, second])
    }).pipe(Effect.scoped))

  it.effect("checkpoints every N entries and on close, so a closed ledger has no unsigned tail", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, { signer: signerOf(keyA), checkpointEvery: 5, now: steppingClock() })
        assert.strictEqual(ledger.unsignedTail, 0)
        yield* restarts(ledger, 1, 12)
        assert.strictEqual(ledger.unsignedTail, 2)
      }).pipe(Effect.scoped)
      const actions = (yield* linesOf(logOf(dir))).map((line) => JSON.parse(line).action as string)
      const checkpointLines = actions.flatMap((action, index) => (action === "ledger.checkpoint" ? [index + 1] : []))
      // genesis, after entries 1-5 and 6-10, and on close after 11-12
      assert.deepStrictEqual(checkpointLines, [1, 7, 13, 16])
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.include(report, { ok: true, entries: 16, checkpoints: 4, unsignedTail: 0 })
      assert.deepStrictEqual(report.warnings, [])
    }).pipe(Effect.scoped))

  it.effect("an explicit checkpoint signs the head, and does nothing when the head is signed already", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const ledger = yield* openLedger(dir, { signer: signerOf(keyA), now: steppingClock() })
      assert.isTrue(Option.isNone(yield* ledger.checkpoint))
      const entry = yield* ledger.append({ actor: "cli", action: "pool.scrubbed" })
      const checkpoint = yield* ledger.checkpoint
      assert.isTrue(Option.isSome(checkpoint))
      assert.include(Option.getOrThrow(checkpoint).detail, { covers: entry.seq, head: entry.hash, keyId: "quantum-a" })
      assert.isTrue(Option.isNone(yield* ledger.checkpoint))
    }).pipe(Effect.scoped))

  it.effect("without a signer, checkpoint fails saying so, and entries stay unsigned", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const ledger = yield* openLedger(dir, { signer: undefined })
      yield* ledger.append({ actor: "cli", action: "pool.scrubbed" })
      const error = failureOf(yield* Effect.exit(ledger.checkpoint))
      assert.strictEqual(error._tag, "LedgerSignError")
      assert.match(error.message, /opened without a signer/)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.isTrue(report.ok)
      assert.deepStrictEqual(report.warnings, ["no checkpoint: none of the 1 entry is signed"])
    }).pipe(Effect.scoped))

  it.effect("concurrent appends form one chain: contiguous seqs, no fork, checkpoints in place", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const recorded = yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, { signer: signerOf(keyA), checkpointEvery: 8, now: steppingClock() })
        return yield* Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (i) => ledger.append({ actor: `agent-${i % 5}`, action: "agent.restarted", detail: { i } }),
          { concurrency: "unbounded" }
        )
      }).pipe(Effect.scoped)
      const seqs = recorded.map((entry) => entry.seq).sort((a, b) => a - b)
      assert.strictEqual(new Set(seqs).size, 40)
      const report = yield* verifyLedger(dir, trusting(keyA))
      // 40 entries, the genesis checkpoint and one after every 8
      assert.include(report, { ok: true, entries: 46, checkpoints: 6, unsignedTail: 0 })
      const lines = yield* linesOf(logOf(dir))
      assert.deepStrictEqual(lines.map((line) => JSON.parse(line).seq), Array.from({ length: 46 }, (_, i) => i + 1))
    }).pipe(Effect.scoped))

  it.effect("refuses entries it cannot record faithfully, writing nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const ledger = yield* openLedger(dir, { signer: undefined })
      const attempts = [
        { actor: "cli", action: "ledger.checkpoint" },
        { actor: "LEDGER", action: "key.rotated" },
        { actor: "", action: "key.rotated" },
        { actor: "cli", action: "Restarted" },
        { actor: "cli", action: "key.rotated", detail: { size: 10n } },
        { actor: "cli", action: "key.rotated", detail: { blob: "x".repeat(70_000) } }
      ]
      for (const attempt of attempts) {
        const error = failureOf(yield* Effect.exit(ledger.append(attempt)))
        assert.strictEqual(error._tag, "LedgerInvalidEntry")
      }
      assert.strictEqual((yield* bytesOf(logOf(dir))).byteLength, 0)
      assert.deepStrictEqual(ledger.head, { seq: 0, hash: "0".repeat(64) })
    }).pipe(Effect.scoped))

  it.effect("a signer that fails does not lose the entry; the checkpoint is retried on the next append", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      let failing = false
      const good = signerOf(keyA)
      const flaky: Signer = {
        keyId: good.keyId,
        sign: (message) => {
          if (failing) throw new Error("key is locked")
          return good.sign(message)
        }
      }
      const ledger = yield* openLedger(dir, { signer: flaky, checkpointEvery: 2 })
      failing = true
      yield* restarts(ledger, 1, 2)
      assert.strictEqual(ledger.unsignedTail, 2)
      failing = false
      yield* restarts(ledger, 3, 1)
      assert.strictEqual(ledger.unsignedTail, 0)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.include(report, { ok: true, entries: 5, checkpoints: 2 })
    }).pipe(Effect.scoped))

  it.effect("appending after the scope closed fails instead of writing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const ledger = yield* openLedger(dir, { signer: undefined }).pipe(Effect.scoped)
      const error = failureOf(yield* Effect.exit(ledger.append({ actor: "cli", action: "key.rotated" })))
      assert.deepStrictEqual([error._tag, error.message], ["FileError", `cannot append to audit ledger ${dir}/audit.log: the ledger is closed`])
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Ledger reopen", (it) => {
  it.effect("continues the chain: next seq, prev = the last entry's hash, no extra checkpoint for the same key", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const options = { signer: signerOf(keyA), checkpointEvery: 4, now: steppingClock() }
      yield* Effect.gen(function*() {
        yield* restarts(yield* openLedger(dir, options), 1, 6)
      }).pipe(Effect.scoped)
      const before = yield* linesOf(logOf(dir))
      const lastHash = createHash("sha256").update(before.at(-1)!, "utf8").digest("hex")

      yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, options)
        assert.include(ledger.opened, { created: false, entries: before.length, unsignedTail: 0 })
        assert.deepStrictEqual(ledger.head, { seq: before.length, hash: lastHash })
        const [next] = yield* restarts(ledger, 7, 1)
        assert.include(next, { seq: before.length + 1, prev: lastHash })
      }).pipe(Effect.scoped)

      const after = yield* linesOf(logOf(dir))
      assert.deepStrictEqual(after.slice(0, before.length), before)
      assert.include(yield* verifyLedger(dir, trusting(keyA)), { ok: true, entries: before.length + 2 })
    }).pipe(Effect.scoped))

  it.effect("a new signing key is recorded by a checkpoint at open, and verify needs both keys", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        yield* restarts(yield* openLedger(dir, { signer: signerOf(keyA) }), 1, 2)
      }).pipe(Effect.scoped)
      yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, { signer: signerOf(keyB) })
        assert.strictEqual(ledger.unsignedTail, 0)
        const last = (yield* tailLedger(dir, 1))[0]!
        assert.include(last, { action: "ledger.checkpoint", seq: 5 })
        assert.include(last.detail, { keyId: "quantum-b", covers: 4 })
      }).pipe(Effect.scoped)
      const both = yield* verifyLedger(dir, trusting(keyA, keyB))
      assert.include(both, { ok: true, checkpoints: 3 })
      assert.deepStrictEqual(both.keyIds, ["quantum-a", "quantum-b"])
      const onlyA = yield* verifyLedger(dir, trusting(keyA))
      assert.deepStrictEqual(onlyA.firstBad, { line: 5, seq: 5, reason: `checkpoint signed by unknown key "quantum-b"` })
    }).pipe(Effect.scoped))

  it.effect("a torn final line is reported, cut away, and the cut recorded before the next append", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = logOf(dir)
      const options = { signer: signerOf(keyA), checkpointEvery: 100, now: steppingClock() }
      yield* Effect.gen(function*() {
        yield* restarts(yield* openLedger(dir, options), 1, 3)
      }).pipe(Effect.scoped)
      const intact = yield* bytesOf(file)
      const torn = `{"seq":6,"at":"2026-06-01T00:01:00.000Z","actor":"SUPERVISOR","action":"agent.rest`
      yield* appendRaw(file, torn)

      const seen = yield* verifyLedger(dir, trusting(keyA))
      assert.include(seen, { ok: true, entries: 5 })
      assert.deepStrictEqual(seen.tornTail, { line: 6, offset: intact.byteLength, bytes: torn.length })
      assert.match(seen.warnings.join("\n"), /line 6 is torn: \d+ bytes without a newline/)

      yield* Effect.gen(function*() {
        const ledger = yield* openLedger(dir, options)
        assert.deepStrictEqual(ledger.opened.tornTail, {
          line: 6,
          offset: intact.byteLength,
          bytes: torn.length,
          sha256: createHash("sha256").update(torn).digest("hex")
        })
        const [recovered] = yield* tailLedger(dir, 1)
        assert.include(recovered, { seq: 6, actor: "LEDGER", action: "ledger.recovered" })
        assert.deepStrictEqual(recovered!.detail, {
          tornLine: 6,
          tornBytes: torn.length,
          tornSha256: createHash("sha256").update(torn).digest("hex")
        })
        const [next] = yield* restarts(ledger, 4, 1)
        assert.include(next, { seq: 7, prev: recovered!.hash })
      }).pipe(Effect.scoped)

      const after = yield* bytesOf(file)
      assert.deepStrictEqual(after.subarray(0, intact.byteLength), intact)
      assert.notInclude(new TextDecoder().decode(after), torn + "\n")
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.include(report, { ok: true, entries: 8, unsignedTail: 0 })
      assert.isUndefined(report.tornTail)
    }).pipe(Effect.scoped))

  it.effect("a bad entry in the middle makes open refuse, naming the line, and leaves the file untouched", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = logOf(dir)
      yield* Effect.gen(function*() {
        yield* restarts(yield* openLedger(dir, { signer: signerOf(keyA) }), 1, 6)
      }).pipe(Effect.scoped)
      const lines = [...(yield* linesOf(file))]
      lines[3] = lines[3]!.replace("ORBIT", "0RBIT")
      yield* putLines(file, lines)
      const tampered = yield* bytesOf(file)

      const error = failureOf(yield* Effect.exit(openLedger(dir, { signer: signerOf(keyA) }).pipe(Effect.scoped)))
      assert.strictEqual(error._tag, "LedgerCorrupt")
      assert.include(error, { line: 4, seq: 4 })
      assert.match(error.message, /corrupt at line 4 \(seq 4\): entry modified.*appending is refused/)
      assert.deepStrictEqual(yield* bytesOf(file), tampered)
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("tailLedger", (it) => {
  it.effect("lists the last n entries oldest first, and fails on a missing ledger", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.gen(function*() {
        yield* restarts(yield* openLedger(dir, { signer: undefined }), 1, 10)
      }).pipe(Effect.scoped)
      const last = yield* tailLedger(dir, 3)
      assert.deepStrictEqual(last.map((entry) => entry.detail["attempt"]), [8, 9, 10])
      assert.deepStrictEqual(last.map((entry) => entry.seq), [8, 9, 10])
      assert.strictEqual((yield* tailLedger(logOf(dir), 50)).length, 10)
      const error = failureOf(yield* Effect.exit(tailLedger(`${dir}/nowhere`, 3)))
      assert.deepStrictEqual([error._tag, error.reason], ["FileError", "NotFound"])
    }).pipe(Effect.scoped))
})
