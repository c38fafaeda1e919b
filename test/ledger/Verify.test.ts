import { createHash } from "node:crypto"
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { describeReport, openLedger, verifyLedger } from "../../src/ledger/index.ts"
import { appendRaw, keyA, keyB, linesOf, logOf, putLines, signerOf, steppingClock, tempDir, trusting } from "./fixtures.ts"

const ENTRIES = 300
const EVERY = 32

/**
 * A closed ledger of ENTRIES agent restarts, checkpointed every EVERY, and its
 * lines: line 1 is the genesis checkpoint, then each run of EVERY entries is
 * followed by a checkpoint, and the closing checkpoint is last.
 */
const signedLedger = Effect.gen(function*() {
  const dir = yield* tempDir
  yield* Effect.gen(function*() {
    const ledger = yield* openLedger(dir, { signer: signerOf(keyA), checkpointEvery: EVERY, now: steppingClock() })
    for (let attempt = 1; attempt <= ENTRIES; attempt++) {
      yield* ledger.append({ actor: "SUPERVISOR", action: "agent.restarted", detail: { agent: "ORBIT", attempt } })
    }
  }).pipe(Effect.scoped)
  return { dir, file: logOf(dir), lines: yield* linesOf(logOf(dir)) }
})

const CHECKPOINTS = 1 + Math.floor(ENTRIES / EVERY) + (ENTRIES % EVERY === 0 ? 0 : 1)
const TOTAL = ENTRIES + CHECKPOINTS

const sha = (line: string) => createHash("sha256").update(line, "utf8").digest("hex")
const isCheckpoint = (line: string) => JSON.parse(line).action === "ledger.checkpoint"
/** Rewrites every prev from line `from` on, as a forger without the key would. */
const rechain = (lines: Array<string>, from: number) => {
  for (let index = Math.max(from, 1); index < lines.length; index++) {
    const entry = JSON.parse(lines[index]!)
    entry.prev = sha(lines[index - 1]!)
    if (entry.action === "ledger.checkpoint") entry.detail.head = entry.prev
    lines[index] = JSON.stringify(entry)
  }
}

layer(FilesLive.layer)("verifyLedger", (it) => {
  it.effect("verifies a few hundred entries and their checkpoints", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      assert.strictEqual(lines.length, TOTAL)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.deepStrictEqual(report, {
        file,
        ok: true,
        entries: TOTAL,
        checkpoints: CHECKPOINTS,
        head: { seq: TOTAL, hash: sha(lines.at(-1)!) },
        lastCheckpoint: { line: TOTAL, seq: TOTAL, keyId: "quantum-a" },
        keyIds: ["quantum-a"],
        unsignedTail: 0,
        warnings: []
      })
      assert.deepStrictEqual(yield* verifyLedger(file, trusting(keyA)), report)
      assert.deepStrictEqual(describeReport(report), [
        `audit ledger ${file}: OK, ${TOTAL} entries, ${CHECKPOINTS} signed checkpoint(s), head seq ${TOTAL}`
      ])
    }).pipe(Effect.scoped))

  it.effect("a one-character change to an entry's detail is reported at exactly that line", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      const tampered = [...lines]
      const target = 150
      assert.isFalse(isCheckpoint(lines[target - 1]!))
      tampered[target - 1] = lines[target - 1]!.replace("ORBIT", "ORB1T")
      yield* putLines(file, tampered)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.isFalse(report.ok)
      assert.include(report.firstBad, { line: target, seq: target })
      assert.match(report.firstBad!.reason, /^entry modified: its SHA-256 is [0-9a-f]{16}…, but the next entry \(line 151, seq 151\) records prev/)
      assert.strictEqual(report.entries, target - 1)
      assert.match(describeReport(report)[0]!, /BAD at line 150 \(seq 150\): entry modified/)
    }).pipe(Effect.scoped))

  it.effect("a deleted entry is reported where the gap opens", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      yield* putLines(file, lines.filter((_, index) => index !== 99))
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.deepStrictEqual(report.firstBad, {
        line: 100,
        seq: 101,
        reason: "seq 101 where 100 was expected: 1 entry is missing (deleted), or entries were reordered"
      })
    }).pipe(Effect.scoped))

  it.effect("reordered entries are reported at the first one out of place", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      const swapped = [...lines]
      swapped[199] = lines[200]!
      swapped[200] = lines[199]!
      yield* putLines(file, swapped)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.include(report.firstBad, { line: 200, seq: 201 })
      assert.match(report.firstBad!.reason, /^seq 201 where 200 was expected/)
    }).pipe(Effect.scoped))

  it.effect("an edit with the chain rewritten after it is caught by the next checkpoint's signature", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      const forged = [...lines]
      forged[59] = lines[59]!.replace("ORBIT", "ORBIX")
      rechain(forged, 60)
      yield* putLines(file, forged)
      const nextCheckpoint = forged.findIndex((line, index) => index > 59 && isCheckpoint(line)) + 1
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.deepStrictEqual(report.firstBad, {
        line: nextCheckpoint,
        seq: nextCheckpoint,
        reason: `checkpoint signature does not verify with key "quantum-a" (forged, or the checkpoint was altered)`
      })
    }).pipe(Effect.scoped))

  it.effect("a checkpoint signed by another key under this key's id is a forged signature", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      const forged = [...lines]
      const index = forged.findIndex((line, at) => at > 0 && isCheckpoint(line))
      const checkpoint = JSON.parse(forged[index]!)
      const blank = JSON.stringify({ ...checkpoint, detail: { ...checkpoint.detail, signature: "" } })
      const message = new TextEncoder().encode(`sigmavault/ledger/checkpoint/v1\n${blank}`)
      // The real key signs this exact message (the format is right); the forger's key does not verify.
      assert.isTrue(ml_dsa65.verify(Buffer.from(checkpoint.detail.signature, "base64"), message, keyA.publicKey))
      checkpoint.detail.signature = Buffer.from(ml_dsa65.sign(message, keyB.secretKey)).toString("base64")
      forged[index] = JSON.stringify(checkpoint)
      rechain(forged, index + 1)
      yield* putLines(file, forged)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.include(report.firstBad, { line: index + 1, seq: index + 1 })
      assert.match(report.firstBad!.reason, /does not verify with key "quantum-a"/)
    }).pipe(Effect.scoped))

  it.effect("a checkpoint whose key is not known is reported as an unknown key", () =>
    Effect.gen(function*() {
      const { dir } = yield* signedLedger
      const report = yield* verifyLedger(dir, trusting(keyB))
      assert.deepStrictEqual(report.firstBad, { line: 1, seq: 1, reason: `checkpoint signed by unknown key "quantum-a"` })
    }).pipe(Effect.scoped))

  it.effect("a line that is not an entry is reported, even as the last line", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      yield* putLines(file, [...lines.slice(0, 10), "not json at all", ...lines.slice(10)])
      assert.deepStrictEqual((yield* verifyLedger(dir, trusting(keyA))).firstBad, { line: 11, reason: "not JSON" })
      yield* putLines(file, [...lines, `${lines.at(-1)!} `])
      const spaced = yield* verifyLedger(dir, trusting(keyA))
      assert.strictEqual(spaced.firstBad?.line, TOTAL + 1)
      assert.match(spaced.firstBad!.reason, /^not in canonical form/)
    }).pipe(Effect.scoped))

  it.effect("a ledger truncated after its last checkpoint verifies, warning how many entries are unsigned", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      // drop the closing checkpoint: the entries after the one before it are now unprovable
      yield* putLines(file, lines.slice(0, -1))
      const report = yield* verifyLedger(dir, trusting(keyA))
      const unsigned = ENTRIES % EVERY
      assert.include(report, { ok: true, entries: TOTAL - 1, checkpoints: CHECKPOINTS - 1, unsignedTail: unsigned })
      assert.deepStrictEqual(report.warnings, [
        `${unsigned} entries after the last checkpoint (seq ${TOTAL - 1 - unsigned}) are not yet signed`
      ])
    }).pipe(Effect.scoped))

  it.effect("a torn last line is reported as a warning with its line and size, not dropped silently", () =>
    Effect.gen(function*() {
      const { dir, file, lines } = yield* signedLedger
      const partial = lines.at(-1)!.slice(0, 700)
      yield* putLines(file, lines.slice(0, -1))
      yield* appendRaw(file, partial)
      const report = yield* verifyLedger(dir, trusting(keyA))
      assert.isTrue(report.ok)
      assert.include(report.tornTail, { line: TOTAL, bytes: 700 })
      assert.strictEqual(report.entries, TOTAL - 1)
      assert.lengthOf(report.warnings, 2)
      assert.match(report.warnings[1]!, /^line \d+ is torn: 700 bytes without a newline/)
    }).pipe(Effect.scoped))

  it.effect("a missing ledger is an error, not an empty ledger", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(verifyLedger(logOf(dir), trusting(keyA)))
      assert.deepStrictEqual([error._tag, error.reason], ["FileError", "NotFound"])
    }).pipe(Effect.scoped))
})
