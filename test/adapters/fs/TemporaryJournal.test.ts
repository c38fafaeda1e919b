/** The journal of callers' temporary files: what a crash leaves recorded, and how large it may grow. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"
import { type JournalEntry, MAX_JOURNAL_BYTES, MAX_OPEN, openJournal } from "../../../src/adapters/fs/TemporaryJournal.ts"

const FILE = "/state/file-jobs.journal"

const entry = (n: number): JournalEntry => ({
  path: `/srv/data/out-${n}.svz.tmp-4242-${n.toString(16).padStart(12, "0")}`,
  device: "65024",
  inode: String(1000 + n),
  uid: 1000,
  gid: 1000,
  groups: [1000, 27]
})

const seeded = Effect.gen(function*() {
  const test = FilesTest.make()
  yield* test.service.makeDirectory("/state", { recursive: true })
  return test
})

/** The open entries a fresh start would read. */
const reopened = (test: FilesTest.FilesTest) => Effect.scoped(Effect.map(openJournal(test.service, FILE), (journal) => journal.open()))

describe("TemporaryJournal", () => {
  it.effect("an entry recorded survives a crash until it is struck off", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(test.service, FILE)
        yield* journal.record(entry(1))
        yield* journal.record(entry(2))
        yield* journal.strike(entry(1).path)
        yield* journal.strike("/srv/never-recorded.tmp-1-000000000000")
        assert.deepStrictEqual(journal.open(), [entry(2)])
      }))
      test.crash()
      assert.deepStrictEqual(yield* reopened(test), [entry(2)])
    }))

  it.effect("a torn last line (a crash mid-append) is skipped, and what is recorded after it reads whole", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      const whole = `${JSON.stringify({ open: entry(1) })}\n${JSON.stringify({ open: entry(2) })}\n`
      yield* test.service.writeAtomic(FILE, new TextEncoder().encode(`${whole}{"closed":"/srv/da`))
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(test.service, FILE)
        assert.deepStrictEqual(journal.open(), [entry(1), entry(2)])
        yield* journal.record(entry(3))
      }))
      test.crash()
      assert.deepStrictEqual(yield* reopened(test), [entry(1), entry(2), entry(3)])
    }))

  it.effect("an append that fails part way is refused and leaves no half line behind", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(test.service, FILE)
        test.setFreeSpace(20)
        const refused = yield* Effect.flip(journal.record(entry(1)))
        assert.strictEqual(refused.reason, "NoSpace")
        test.setFreeSpace(undefined)
        assert.deepStrictEqual(journal.open(), [])
        yield* journal.record(entry(2))
      }))
      test.crash()
      assert.deepStrictEqual(yield* reopened(test), [entry(2)])
    }))

  it.effect(`at most ${MAX_OPEN} entries are open at once, and the file stays small however many jobs come and go`, () =>
    Effect.gen(function*() {
      const test = yield* seeded
      const size = () => Effect.map(test.service.stat(FILE), (info) => info.size)
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(test.service, FILE)
        for (let n = 0; n < 3 * MAX_OPEN; n++) {
          yield* journal.record(entry(n))
          yield* journal.strike(entry(n).path)
          assert.isAtMost(yield* size(), MAX_JOURNAL_BYTES)
        }
        for (let n = 0; n < MAX_OPEN; n++) yield* journal.record(entry(n))
        const refused = yield* Effect.flip(journal.record(entry(MAX_OPEN)))
        assert.strictEqual(refused.reason, "TooLarge")
        assert.match(refused.message, new RegExp(`${MAX_OPEN} file jobs' outputs are already being written`))
        const full = yield* size()
        for (let n = 0; n < MAX_OPEN; n++) {
          yield* journal.strike(entry(n).path)
          assert.isAtMost(yield* size(), Math.max(MAX_JOURNAL_BYTES, 2 * full))
        }
      }))
      test.crash()
      assert.deepStrictEqual(yield* reopened(test), [])
    }))
})
