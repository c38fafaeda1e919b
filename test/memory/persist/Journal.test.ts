import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import * as fc from "fast-check"
import type { Files } from "../../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"
import { crc32, toHex } from "../../../src/memory/persist/Crc32.ts"
import { openJournal, openJournalScoped, repairTornTail, replayJournal } from "../../../src/memory/persist/Journal.ts"

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-journal-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const text = (file: string) => Effect.promise(() => fs.readFile(file, "utf8"))
const put = (file: string, content: string) => Effect.promise(() => fs.writeFile(file, content))
const appendRaw = (file: string, content: string) => Effect.promise(() => fs.appendFile(file, content))
const sizeOf = (file: string) => Effect.promise(() => fs.stat(file).then((stat) => stat.size))

const line = (record: unknown) => {
  const json = JSON.stringify(record)
  return `${toHex(crc32(new TextEncoder().encode(json)))} ${json}\n`
}

const upserts = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ seq: from + i, op: "upsert", id: `r${from + i}`, text: "line one\nline two ü 🦊" }))

/** A journal of `count` good records written through the API, and its path. */
const journalWith = (dir: string, count: number) =>
  Effect.gen(function*() {
    const file = path.join(dir, "notes.journal")
    const journal = yield* openJournalScoped(file)
    yield* journal.append(upserts(1, count))
    yield* journal.close()
    return file
  })

describe("CRC-32", () => {
  it("matches the standard check value and zlib's", () => {
    assert.strictEqual(toHex(crc32(new TextEncoder().encode("123456789"))), "cbf43926")
    assert.strictEqual(crc32(new Uint8Array(0)), 0)
    assert.strictEqual(toHex(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog"))), "414fa339")
  })
})

layer(FilesLive.layer)("Journal round trip", (it) => {
  it.effect("replays what was appended, in order, batch after batch, and counts it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.journal")
      const journal = yield* openJournal(file)
      assert.strictEqual(journal.size, 0)
      assert.strictEqual(journal.records, 0)
      yield* journal.append(upserts(1, 2))
      yield* journal.append([])
      yield* journal.append(upserts(3, 1))
      assert.strictEqual(journal.records, 3)
      assert.strictEqual(journal.size, yield* sizeOf(file))
      yield* journal.close()
      yield* journal.close()

      const replay = yield* replayJournal(file)
      assert.deepStrictEqual(replay.records, upserts(1, 3))
      assert.isTrue(Option.isNone(replay.tornTail))
      const lines = (yield* text(file)).split("\n")
      assert.strictEqual(lines.length, 4)
      for (const written of lines.slice(0, 3)) assert.match(written, /^[0-9a-f]{8} \{"seq":\d/)
      const mode = (yield* Effect.promise(() => fs.stat(file))).mode & 0o777
      assert.strictEqual(mode, 0o600)

      const reopened = yield* openJournalScoped(file)
      assert.strictEqual(reopened.records, 3)
      assert.strictEqual(reopened.size, yield* sizeOf(file))
      yield* reopened.append(upserts(4, 1))
      assert.deepStrictEqual((yield* replayJournal(file)).records, upserts(1, 4))
    }).pipe(Effect.scoped))

  it.effect("replays any JSON values, whatever strings they hold", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const run = Effect.runPromiseWith(yield* Effect.context<Files>())
      let runs = 0
      const batches = fc.array(fc.array(fc.jsonValue({ stringUnit: "binary" }), { maxLength: 6 }), { maxLength: 4 })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(batches, (batches) =>
            run(Effect.gen(function*() {
              const file = path.join(dir, `run-${++runs}.journal`)
              const journal = yield* openJournalScoped(file)
              for (const batch of batches) yield* journal.append(batch)
              const replay = yield* replayJournal(file)
              assert.deepStrictEqual(replay.records, JSON.parse(JSON.stringify(batches.flat())))
              assert.isTrue(Option.isNone(replay.tornTail))
            }).pipe(Effect.scoped))),
          { seed: 20_260_601, numRuns: 60 }
        )
      )
    }).pipe(Effect.scoped))

  it.effect("appends from concurrent fibers each land whole", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.journal")
      const journal = yield* openJournalScoped(file)
      yield* Effect.forEach(upserts(1, 20), (record) => journal.append([record, record]), { concurrency: "unbounded" })
      const replayed = (yield* replayJournal(file)).records as ReadonlyArray<{ seq: number }>
      assert.strictEqual(replayed.length, 40)
      assert.deepStrictEqual([...new Set(replayed.map((record) => record.seq))].sort((a, b) => a - b), upserts(1, 20).map((record) => record.seq))
      assert.strictEqual(journal.records, 40)
      assert.strictEqual(journal.size, yield* sizeOf(file))
    }).pipe(Effect.scoped))

  it.effect("a missing journal replays as no records", () =>
    Effect.gen(function*() {
      const replay = yield* replayJournal(path.join(yield* tempDir, "never.journal"))
      assert.deepStrictEqual(replay, { records: [], tornTail: Option.none() })
    }).pipe(Effect.scoped))

  it.effect("truncate empties the file durably; later appends start afresh", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.journal")
      const journal = yield* openJournalScoped(file)
      yield* journal.append(upserts(1, 5))
      yield* journal.truncate()
      assert.strictEqual(journal.size, 0)
      assert.strictEqual(journal.records, 0)
      assert.strictEqual(yield* sizeOf(file), 0)
      assert.deepStrictEqual((yield* replayJournal(file)).records, [])
      yield* journal.append(upserts(6, 1))
      assert.deepStrictEqual((yield* replayJournal(file)).records, upserts(6, 1))
      assert.strictEqual(journal.size, yield* sizeOf(file))
    }).pipe(Effect.scoped))

  it.effect("a closed journal refuses appends with a FileError saying so", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const journal = yield* openJournal(path.join(dir, "notes.journal"))
      yield* journal.close()
      const error = yield* Effect.flip(journal.append(upserts(1, 1)))
      assert.deepStrictEqual([error._tag, error.reason], ["FileError", "Closed"])
      assert.include(error.message, "the journal is closed")
      assert.strictEqual((yield* Effect.flip(journal.truncate())).reason, "Closed")
    }).pipe(Effect.scoped))

  it.effect("a record JSON cannot hold is a defect, and nothing of its batch is written", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.journal")
      const journal = yield* openJournalScoped(file)
      const exit = yield* Effect.exit(journal.append([{ seq: 1 }, { seq: 2, big: 1n }]))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      assert.strictEqual(yield* sizeOf(file), 0)
      assert.strictEqual(journal.records, 0)
    }).pipe(Effect.scoped))

  it.effect("opening in a missing directory is a FileError naming the file", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "gone", "notes.journal")
      const error = yield* Effect.flip(openJournal(file))
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, file)
      assert.include(error.message, "no such file or directory")
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Journal after a crash", (it) => {
  it.effect("a journal cut at any byte replays the whole records before the cut and reports the rest", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = yield* journalWith(dir, 3)
      const full = yield* text(file)
      const ends = [0, ...[1, 2, 3].map((n) => full.split("\n").slice(0, n).join("\n").length + 1)].map((chars) =>
        Buffer.byteLength(full.slice(0, chars))
      )
      const bytes = yield* Effect.promise(() => fs.readFile(file))
      const cut = path.join(dir, "cut.journal")
      for (let length = 0; length <= bytes.length; length++) {
        yield* Effect.promise(() => fs.writeFile(cut, bytes.subarray(0, length)))
        const replay = yield* replayJournal(cut)
        const whole = ends.filter((end) => end <= length).length - 1
        assert.deepStrictEqual(replay.records, upserts(1, whole), `cut at ${length}`)
        if (ends.includes(length)) {
          assert.isTrue(Option.isNone(replay.tornTail), `cut at ${length}`)
        } else {
          const tail = Option.getOrThrow(replay.tornTail)
          assert.deepStrictEqual(tail, {
            offset: ends[whole]!,
            bytes: length - ends[whole]!,
            line: whole + 1,
            reason: "no trailing newline (an append cut short)"
          })
        }
      }
    }).pipe(Effect.scoped))

  it.effect("a torn last line is reported, refused for append until repaired, and repairable", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = yield* journalWith(dir, 2)
      const goodSize = yield* sizeOf(file)
      yield* appendRaw(file, line({ seq: 3, op: "delete", id: "r1" }).slice(0, 20))

      const replay = yield* replayJournal(file)
      assert.deepStrictEqual(replay.records, upserts(1, 2))
      const tail = Option.getOrThrow(replay.tornTail)
      assert.deepStrictEqual(tail, { offset: goodSize, bytes: 20, line: 3, reason: "no trailing newline (an append cut short)" })

      const refused = yield* Effect.flip(openJournal(file))
      assert.strictEqual(refused._tag, "JournalCorrupt")
      assert.include(refused.message, "line 3")
      assert.include(refused.message, `repairTornTail(path, ${goodSize})`)

      yield* repairTornTail(file, tail.offset)
      assert.strictEqual(yield* sizeOf(file), goodSize)
      assert.deepStrictEqual(yield* replayJournal(file), { records: upserts(1, 2), tornTail: Option.none() })
      const journal = yield* openJournalScoped(file)
      assert.strictEqual(journal.records, 2)
      yield* journal.append(upserts(3, 1))
      assert.deepStrictEqual((yield* replayJournal(file)).records, upserts(1, 3))
    }).pipe(Effect.scoped))

  it.effect("a complete last line with a bad CRC, or damaged lines at the very end, are a torn tail", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = yield* journalWith(dir, 2)
      const goodSize = yield* sizeOf(file)
      const damaged = line({ seq: 3 }).replace("3", "4")
      yield* appendRaw(file, damaged)
      const replay = yield* replayJournal(file)
      assert.deepStrictEqual(replay.records, upserts(1, 2))
      const tail = Option.getOrThrow(replay.tornTail)
      assert.strictEqual(tail.offset, goodSize)
      assert.strictEqual(tail.line, 3)
      assert.include(tail.reason, "CRC mismatch")

      yield* appendRaw(file, "not a record")
      const longer = Option.getOrThrow((yield* replayJournal(file)).tornTail)
      assert.strictEqual(longer.offset, goodSize)
      assert.strictEqual(longer.bytes, Buffer.byteLength(damaged) + 12)
      assert.include(longer.reason, "and 1 more damaged line(s) after it")

      yield* repairTornTail(file, longer.offset)
      assert.deepStrictEqual(yield* replayJournal(file), { records: upserts(1, 2), tornTail: Option.none() })
    }).pipe(Effect.scoped))

  it.effect("repairTornTail refuses an offset that is not the start of a line inside the file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = yield* journalWith(dir, 2)
      const size = yield* sizeOf(file)
      for (const offset of [5, size + 1, -1]) {
        const error = yield* Effect.flip(repairTornTail(file, offset))
        assert.strictEqual(error._tag, "FileError", `offset ${offset}`)
        assert.match(error.message, /is not (within the file|the start of a line)/, `offset ${offset}`)
      }
      yield* repairTornTail(file, size)
      assert.strictEqual(yield* sizeOf(file), size)
      assert.deepStrictEqual((yield* replayJournal(file)).records, upserts(1, 2))
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Journal corruption", (it) => {
  it.effect("a damaged record followed by good ones is JournalCorrupt naming its line and byte", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.journal")
      const records = [{ seq: 1 }, { seq: 2 }, { seq: 3 }, { seq: 4 }]
      const lines = records.map(line)
      const offset = Buffer.byteLength(lines[0]!)
      const damagedLines: ReadonlyArray<readonly [string, string]> = [
        [lines[1]!.replace(`"seq":2`, `"seq":9`), "CRC mismatch"],
        [`${lines[1]!.slice(0, 8)}${lines[1]!.slice(9)}`, "malformed line"],
        ["\n", "malformed line"],
        [`${toHex(crc32(new TextEncoder().encode("{nope")))} {nope\n`, "JSON does not parse"]
      ]
      for (const [damaged, reason] of damagedLines) {
        yield* put(file, [lines[0], damaged, lines[2], lines[3]].join(""))
        const error = yield* Effect.flip(replayJournal(file))
        assert.strictEqual(error._tag, "JournalCorrupt", reason)
        if (error._tag !== "JournalCorrupt") continue
        assert.strictEqual(error.line, 2)
        assert.strictEqual(error.offset, offset)
        assert.include(error.message, `${file} is corrupt at line 2 (byte ${offset})`)
        assert.include(error.message, reason)
        assert.include(error.message, "a good record follows at line 3")
        // Opening for append refuses it too, rather than burying it under more records.
        assert.strictEqual((yield* Effect.flip(openJournal(file)))._tag, "JournalCorrupt")
      }
    }).pipe(Effect.scoped))

  it.effect("a journal that cannot be read is a FileError saying why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* Effect.flip(replayJournal(dir))
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, "it is a directory")
    }).pipe(Effect.scoped))
})

describe("Journal on a full disk (the in-memory Files)", () => {
  it.effect("an append that fails part way is cut back: the next append follows a whole line, and a crash keeps both", () => {
    const disk = FilesTest.make()
    const file = "/var/lib/sigmavault/memory/notes.journal"
    return Effect.gen(function*() {
      yield* disk.service.makeDirectory("/var/lib/sigmavault/memory", { recursive: true })
      const journal = yield* openJournalScoped(file)
      yield* journal.append(upserts(1, 1))
      disk.setFreeSpace(10)
      const full = yield* Effect.flip(journal.append(upserts(2, 1)))
      assert.deepStrictEqual([full._tag, full.reason], ["FileError", "NoSpace"])
      disk.setFreeSpace(undefined)
      yield* journal.append(upserts(3, 1))
      assert.deepStrictEqual((yield* replayJournal(file)).records, [...upserts(1, 1), ...upserts(3, 1)])
      disk.crash()
      assert.deepStrictEqual(yield* replayJournal(file), { records: [...upserts(1, 1), ...upserts(3, 1)], tornTail: Option.none() })
    }).pipe(Effect.scoped, Effect.provide(disk.layer))
  })
})
