import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import * as fc from "fast-check"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import { type Files, removeStaleTemporaries, temporaryName } from "../../../src/adapters/fs/Files.ts"
import {
  readSnapshot,
  SNAPSHOT_MAGIC,
  type SnapshotContents,
  writeSnapshot
} from "../../../src/memory/persist/Snapshot.ts"

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-snapshot-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const put = (file: string, bytes: Uint8Array | string) => Effect.promise(() => fs.writeFile(file, bytes))
const bytesOf = (file: string) => Effect.promise(() => fs.readFile(file).then((buffer) => new Uint8Array(buffer)))
const list = (dir: string) => Effect.promise(() => fs.readdir(dir).then((names) => names.sort()))

/** A snapshot file assembled by hand, with a valid checksum, to reach checks past the checksum. */
const craft = (version: number, headerLength: number, header: string, body: Uint8Array = new Uint8Array(0)) => {
  const text = new TextEncoder().encode(header)
  const before = new Uint8Array(16 + text.byteLength + body.byteLength)
  const view = new DataView(before.buffer)
  before.set(SNAPSHOT_MAGIC, 0)
  view.setUint32(8, version, true)
  view.setUint32(12, headerLength, true)
  before.set(text, 16)
  before.set(body, 16 + text.byteLength)
  const file = new Uint8Array(before.byteLength + 32)
  file.set(before, 0)
  file.set(createHash("sha256").update(before).digest(), before.byteLength)
  return file
}
const craftV1 = (header: string, body?: Uint8Array) => craft(1, new TextEncoder().encode(header).byteLength, header, body)

const small: SnapshotContents = {
  header: { settings: { kind: "text" }, seq: 7 },
  sections: [
    { name: "hnsw", bytes: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
    { name: "empty", bytes: new Uint8Array(0) },
    { name: "vectors", bytes: Uint8Array.from([255, 0, 128]) }
  ]
}

const assertSame = (loaded: Option.Option<{ header: unknown; sections: ReadonlyMap<string, Uint8Array> }>, written: SnapshotContents) => {
  assert.isTrue(Option.isSome(loaded))
  const { header, sections } = Option.getOrThrow(loaded)
  assert.deepStrictEqual(header, JSON.parse(JSON.stringify(written.header)))
  assert.deepStrictEqual([...sections.keys()], written.sections.map((section) => section.name))
  for (const section of written.sections) {
    assert.deepStrictEqual(Array.from(sections.get(section.name)!), Array.from(section.bytes), section.name)
  }
}

/** The failure of `readSnapshot(file)`; the test fails if it succeeds or throws. */
const readFailure = (file: string) => Effect.flip(readSnapshot(file))

layer(FilesLive.layer)("Snapshot round trip", (it) => {
  it.effect("reads back any JSON header and any sections, including empty sections and none", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "notes.snap")
      const sections = fc.uniqueArray(
        fc.record({ name: fc.string({ maxLength: 12 }), bytes: fc.uint8Array({ maxLength: 300 }) }),
        { selector: (section) => section.name, maxLength: 5 }
      )
      const run = Effect.runPromiseWith(yield* Effect.context<Files>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.jsonValue(), sections, (header, sections) =>
            run(Effect.gen(function*() {
              const snapshot = { header, sections }
              yield* writeSnapshot(file, snapshot)
              assertSame(yield* readSnapshot(file), snapshot)
            }))),
          { seed: 20_260_601, numRuns: 60 }
        )
      )
      assert.deepStrictEqual(yield* list(path.dirname(file)), ["notes.snap"])
    }).pipe(Effect.scoped))

  it.effect("a section of tens of MB round-trips", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "big.snap")
      const big = new Uint8Array(24 * 1024 * 1024)
      for (let i = 0; i < big.length; i += 4093) big[i] = i % 251
      const snapshot = { header: { records: 3 }, sections: [{ name: "a", bytes: big }, { name: "b", bytes: big.subarray(5, 9) }] }
      yield* writeSnapshot(file, snapshot)
      const loaded = Option.getOrThrow(yield* readSnapshot(file))
      assert.isTrue(Buffer.from(loaded.sections.get("a")!).equals(big))
      assert.deepStrictEqual(Array.from(loaded.sections.get("b")!), Array.from(big.subarray(5, 9)))
    }).pipe(Effect.scoped))

  it.effect("no file is none, not an error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.isTrue(Option.isNone(yield* readSnapshot(path.join(dir, "never-written.snap"))))
    }).pipe(Effect.scoped))

  it.effect("a header JSON cannot hold, or two sections with one name, is a defect and writes nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "bad.snap")
      const cyclic: Record<string, unknown> = {}
      cyclic["self"] = cyclic
      for (
        const snapshot of [
          { header: 1n, sections: [] },
          { header: undefined, sections: [] },
          { header: cyclic, sections: [] },
          { header: {}, sections: [{ name: "x", bytes: new Uint8Array(1) }, { name: "x", bytes: new Uint8Array(2) }] }
        ]
      ) {
        const exit = yield* Effect.exit(writeSnapshot(file, snapshot))
        assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      }
      assert.deepStrictEqual(yield* list(dir), [])
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Snapshot after a crash or a failed write", (it) => {
  it.effect("a torn or complete temporary file from a killed writer leaves the previous snapshot readable", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "notes.snap")
      yield* writeSnapshot(file, small)
      // The bytes the killed writer was producing.
      const newer = { header: { seq: 8 }, sections: [{ name: "hnsw", bytes: new Uint8Array(1000).fill(7) }] }
      const elsewhere = path.join(dir, "elsewhere.snap")
      yield* writeSnapshot(elsewhere, newer)
      const newBytes = yield* bytesOf(elsewhere)
      yield* Effect.promise(() => fs.rm(elsewhere))
      const temporary = `${file}.tmp-4242-0badc0ffee00`
      for (const length of [0, 7, 16, 100, newBytes.length - 1, newBytes.length]) {
        yield* put(temporary, newBytes.subarray(0, length))
        assertSame(yield* readSnapshot(file), small)
      }
      const torn = temporaryName(file, 1, "000000000002")
      yield* put(torn, "torn")
      yield* put(path.join(dir, "notes.snapshot"), "not a temporary file")
      const others = temporaryName(path.join(dir, "other.snap"), 1, "000000000002")
      yield* put(others, "another collection's")
      const files = FilesLive.make()
      const removed = yield* removeStaleTemporaries(files, dir, "notes.snap")
      assert.deepStrictEqual([...removed].sort(), [torn, temporary].sort())
      assert.deepStrictEqual(yield* list(dir), ["notes.snap", "notes.snapshot", path.basename(others)])
      assertSame(yield* readSnapshot(file), small)
      assert.deepStrictEqual(yield* removeStaleTemporaries(files, path.join(dir, "missing"), "notes.snap"), [])
    }).pipe(Effect.scoped))

  it.effect("a write into a missing directory is a FileError and leaves no temporary file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "gone", "notes.snap")
      const error = yield* Effect.flip(writeSnapshot(file, small))
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, file)
      assert.include(error.message, "no such file or directory")
      assert.deepStrictEqual(yield* list(dir), [])
    }).pipe(Effect.scoped))

  it.effect("a write that fails after its temporary file exists removes it and keeps the old snapshot", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      // The target is a non-empty directory: the temporary file is written, the rename fails.
      const file = path.join(dir, "notes.snap")
      yield* Effect.promise(() => fs.mkdir(path.join(file, "inside"), { recursive: true }))
      const error = yield* Effect.flip(writeSnapshot(file, small))
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, `cannot rename into place ${file}`)
      assert.deepStrictEqual(yield* list(dir), ["notes.snap"])
      assert.deepStrictEqual(yield* list(file), ["inside"])
    }).pipe(Effect.scoped))

  it.effect("a read that fails for another reason than absence is a FileError saying why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* readFailure(dir)
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, "it is a directory")
    }).pipe(Effect.scoped))
})

layer(FilesLive.layer)("Snapshot corruption", (it) => {
  it.effect("a snapshot cut short at any byte is SnapshotCorrupt saying where", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const good = path.join(dir, "good.snap")
      const file = path.join(dir, "cut.snap")
      yield* writeSnapshot(good, small)
      const bytes = yield* bytesOf(good)
      for (let length = 0; length < bytes.length; length++) {
        yield* put(file, bytes.subarray(0, length))
        const error = yield* readFailure(file)
        assert.strictEqual(error._tag, "SnapshotCorrupt", `cut at ${length}`)
        assert.include(error.message, `truncated at byte ${length}`, `cut at ${length}`)
        assert.include(error.message, file)
      }
    }).pipe(Effect.scoped))

  it.effect("any damaged byte is SnapshotCorrupt; past the fixed preamble it is a checksum mismatch", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const good = path.join(dir, "good.snap")
      const file = path.join(dir, "flipped.snap")
      yield* writeSnapshot(good, small)
      const bytes = yield* bytesOf(good)
      for (let at = 0; at < bytes.length; at++) {
        const damaged = Uint8Array.from(bytes)
        damaged[at] = damaged[at]! ^ 0xff
        yield* put(file, damaged)
        const error = yield* readFailure(file)
        assert.strictEqual(error._tag, "SnapshotCorrupt", `byte ${at}`)
        if (at < 8) assert.include(error.message, "bad magic", `byte ${at}`)
        // A damaged version field is caught by the checksum, not mistaken for a newer format.
        else if (at < 12 || at >= 16) assert.include(error.message, "checksum mismatch", `byte ${at}`)
      }
    }).pipe(Effect.scoped))

  it.effect("a file that is not a snapshot at all has a bad magic", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "notes.snap")
      yield* put(file, `{"version":1,"data":{}} and more text than a snapshot's minimum`)
      const error = yield* readFailure(file)
      assert.strictEqual(error._tag, "SnapshotCorrupt")
      assert.include(error.message, "bad magic")
    }).pipe(Effect.scoped))

  it.effect("a snapshot from a newer release is SnapshotVersionTooNew, whatever its layout", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "notes.snap")
      for (const crafted of [craft(2, 2, "{}"), craft(7, 0xffffffff, "a layout this release does not know")]) {
        yield* put(file, crafted)
        const error = yield* readFailure(file)
        assert.strictEqual(error._tag, "SnapshotVersionTooNew")
        assert.include(error.message, file)
        assert.include(error.message, "newer than this release supports (1)")
        assert.include(error.message, "written by a newer SigmaVault")
      }
    }).pipe(Effect.scoped))

  it.effect("an intact file whose header does not describe it is SnapshotCorrupt naming the problem", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "notes.snap")
      const cases: ReadonlyArray<readonly [Uint8Array, string]> = [
        [craftV1(`{"sections":[],"header":`), "header not JSON"],
        [craftV1(`{"sections":[],"header":1}`, new Uint8Array(3)), "the sections end at byte"],
        [craftV1(`{"sections":[{"name":"a","length":4}],"header":1}`, new Uint8Array(3)), "runs past the checksum"],
        [craftV1(`{"sections":[{"name":"a","length":1},{"name":"a","length":1}],"header":1}`, new Uint8Array(2)), "two sections are named"],
        [craftV1(`{"sections":[{"name":"a","length":-1}],"header":1}`), "section table inconsistent"],
        [craftV1(`{"sections":[]}`), "section table inconsistent"],
        [craftV1(`[]`), "section table inconsistent"],
        [craft(1, 100, `{"sections":[],"header":1}`), "past the checksum"],
        [craft(0, 2, `{}`), "unknown format version 0"]
      ]
      for (const [crafted, reason] of cases) {
        yield* put(file, crafted)
        const error = yield* readFailure(file)
        assert.strictEqual(error._tag, "SnapshotCorrupt", reason)
        assert.include(error.message, reason)
      }
      yield* put(file, craftV1(`{"sections":[{"name":"a","length":2}],"header":null}`, Uint8Array.from([4, 2])))
      const loaded = Option.getOrThrow(yield* readSnapshot(file))
      assert.isNull(loaded.header)
      assert.deepStrictEqual(Array.from(loaded.sections.get("a")!), [4, 2])
    }).pipe(Effect.scoped))
})
