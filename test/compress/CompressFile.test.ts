import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Compress from "../../src/compress/Compress.ts"
import { BLOCK, bytesOf, concat, failureOf, list, outcomeTag, pngBytes, put, recorder, tempDir, textBytes, zstdCli } from "./support.ts"

const text = textBytes(3 * BLOCK + 123, 21)

/** `dir` with `plain` (text) and `plain.svz` (it compressed). */
const prepared = Effect.gen(function*() {
  const dir = yield* tempDir
  const plain = path.join(dir, "plain")
  const packed = path.join(dir, "plain.svz")
  yield* put(plain, text)
  yield* Compress.compressFile(plain, packed, { blockSize: BLOCK })
  return { dir, plain, packed }
})

layer(FilesLive.layer)("compressFile / decompressFile", (it) => {
  it.effect("compresses a file and decompresses it again, with blocking and with asynchronous I/O, leaving no temporary files", () =>
    Effect.gen(function*() {
      for (const files of [FilesLive.layer, FilesLive.layerBlocking]) {
        const dir = yield* tempDir
        const plain = path.join(dir, "plain")
        yield* put(plain, text)
        const result = yield* Compress.compressFile(plain, path.join(dir, "plain.svz"), { blockSize: BLOCK }).pipe(Effect.provide(files))
        assert.deepStrictEqual([result.strategy.rule, result.strategy.codec, result.strategy.level], ["text", "zstd", 3])
        assert.strictEqual(result.originalBytes, text.byteLength)
        assert.strictEqual(result.compressedBytes, (yield* bytesOf(path.join(dir, "plain.svz"))).byteLength)
        assert.isAbove(result.ratio, 3)
        assert.isAtLeast(result.seconds, 0)
        const back = yield* Compress.decompressFile(path.join(dir, "plain.svz"), path.join(dir, "back")).pipe(Effect.provide(files))
        assert.deepStrictEqual([back.codec, back.level, back.blockSize, back.originalBytes], ["zstd", 3, BLOCK, text.byteLength])
        assert.deepStrictEqual(yield* bytesOf(path.join(dir, "back")), text)
        assert.deepStrictEqual(yield* list(dir), ["back", "plain", "plain.svz"])
      }
    }))

  it.effect("judges a file by its content, not its name", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* put(path.join(dir, "notes.txt"), pngBytes())
      yield* put(path.join(dir, "photo.jpg"), text)
      const png = yield* Compress.compressFile(path.join(dir, "notes.txt"), path.join(dir, "a"))
      const log = yield* Compress.compressFile(path.join(dir, "photo.jpg"), path.join(dir, "b"))
      assert.deepStrictEqual([png.detection.format, png.strategy.codec], ["png", "store"])
      assert.deepStrictEqual([log.detection.kind, log.strategy.codec], ["text", "zstd"])
    }))

  it.effect("the output decompresses with the zstd tool block by block: each encoded block is a standard frame", () =>
    Effect.gen(function*() {
      const { packed } = yield* prepared
      const file = yield* bytesOf(packed)
      const view = new DataView(file.buffer, file.byteOffset)
      const blocks: Array<Uint8Array> = []
      for (let offset = 12; file[offset] === 1; offset += 13 + view.getUint32(offset + 5)) {
        blocks.push(zstdCli(["-d", "-c", "-q"], file.subarray(offset + 13, offset + 13 + view.getUint32(offset + 5))))
      }
      assert.strictEqual(blocks.length, 4)
      assert.deepStrictEqual(concat(blocks), text)
    }))

  it("splits a file of a few blocks so that every core gets one, but not below 1 MiB", () => {
    const MiB = 1024 * 1024
    assert.strictEqual(Compress.blockSizeFor(undefined, 4), 4 * MiB)
    assert.strictEqual(Compress.blockSizeFor(100 * MiB, 4), 4 * MiB)
    assert.strictEqual(Compress.blockSizeFor(8 * MiB, 2), 4 * MiB)
    assert.strictEqual(Compress.blockSizeFor(8 * MiB, 4), 2 * MiB)
    assert.strictEqual(Compress.blockSizeFor(3 * MiB, 2), 2 * MiB)
    assert.strictEqual(Compress.blockSizeFor(1.5 * MiB, 2), MiB)
    assert.strictEqual(Compress.blockSizeFor(100_000, 2), MiB)
    assert.strictEqual(Compress.blockSizeFor(1.5 * MiB, 1), 4 * MiB)
  })

  it.effect("records the block size it chose in the header: smaller for a small file, the default for a stream", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const small = path.join(dir, "small")
      yield* put(small, textBytes(1_500_000, 8))
      yield* Compress.compressFile(small, path.join(dir, "small.svz"), { concurrency: 2 })
      assert.strictEqual((yield* bytesOf(path.join(dir, "small.svz")))[11], 20)
      async function* stdin() {
        yield textBytes(1_500_000, 8)
      }
      const sink = recorder()
      yield* Compress.compressFile("-", "-", { stdin: stdin(), stdout: sink.writer, concurrency: 2 })
      assert.strictEqual(sink.pieces[0]![11], 22)
      const back = yield* Compress.decompressFile(path.join(dir, "small.svz"), path.join(dir, "back"))
      assert.deepStrictEqual([back.blockSize, back.blocks.total], [1024 * 1024, 2])
    }))

  it.effect("refuses to overwrite an existing output unless forced", () =>
    Effect.gen(function*() {
      const { dir, packed, plain } = yield* prepared
      const out = path.join(dir, "existing")
      yield* put(out, "keep me")
      for (const attempt of [Effect.asVoid(Compress.decompressFile(packed, out)), Effect.asVoid(Compress.compressFile(plain, out))]) {
        const error = failureOf(yield* Effect.exit(attempt))
        assert.deepStrictEqual([error._tag, error.message], ["CompressOutputExists", `${out} already exists; not overwriting it (remove it or choose another output)`])
        assert.strictEqual(new TextDecoder().decode(yield* bytesOf(out)), "keep me")
      }
      yield* Compress.decompressFile(packed, out, { force: true })
      assert.deepStrictEqual(yield* bytesOf(out), text)
    }))

  it.effect("a refused decompression leaves no output file, and an existing one untouched", () =>
    Effect.gen(function*() {
      const { dir, packed } = yield* prepared
      const good = yield* bytesOf(packed)
      const flipped = good.slice()
      flipped[good.byteLength - 100]! ^= 1
      const cases: ReadonlyArray<readonly [string, Uint8Array, string]> = [
        ["cut short", good.subarray(0, good.byteLength - 50), "CompressedFileTruncated"],
        ["last block changed", flipped, "CompressedBlockCorrupt"],
        ["trailer changed", concat([good.subarray(0, good.byteLength - 1), Uint8Array.of(good[good.byteLength - 1]! ^ 1)]), "CompressedChecksumMismatch"],
        ["not ours", text, "NotACompressedFile"]
      ]
      for (const [what, bytes, tag] of cases) {
        const input = path.join(dir, "bad.svz")
        yield* put(input, bytes)
        const out = path.join(dir, "out")
        assert.strictEqual(outcomeTag(yield* Effect.exit(Compress.decompressFile(input, out))), tag, what)
        assert.deepStrictEqual(yield* list(dir), ["bad.svz", "plain", "plain.svz"], what)
        yield* put(out, "previous")
        assert.strictEqual(outcomeTag(yield* Effect.exit(Compress.decompressFile(input, out, { force: true }).pipe(Effect.provide(FilesLive.layerBlocking)))), tag, what)
        assert.strictEqual(new TextDecoder().decode(yield* bytesOf(out)), "previous", what)
        yield* Effect.promise(() => fs.rm(out))
      }
    }))

  it.effect("a file is read straight from disk, and refused exactly as the same bytes through a stream: cut anywhere, changed, or with trailing bytes", () =>
    Effect.gen(function*() {
      const { dir, packed } = yield* prepared
      const good = yield* bytesOf(packed)
      const input = path.join(dir, "bad.svz")
      const out = path.join(dir, "out")
      const viaStream = (bytes: Uint8Array) =>
        Effect.map(Effect.exit(Compress.decompress((async function*() {
          yield bytes
        })(), async () => {})), (exit) => Exit.isSuccess(exit) ? "success" : failureOf(exit).message)
      const viaFile = (bytes: Uint8Array) =>
        Effect.gen(function*() {
          yield* put(input, bytes)
          const exit = yield* Effect.exit(Compress.decompressFile(input, out, { force: true }).pipe(Effect.provide(FilesLive.layerBlocking)))
          return Exit.isSuccess(exit) ? "success" : failureOf(exit).message
        })
      const flipped = good.slice()
      flipped[Math.floor(good.byteLength / 2)]! ^= 1
      const cuts = [1, 7, 8, 11, 12, 13, 20, 25, 26, 100, good.byteLength - 42, good.byteLength - 41, good.byteLength - 1]
      const inputs = [...cuts.map((cut) => good.subarray(0, cut)), flipped, concat([good, Uint8Array.of(0)]), concat([good, good]), good]
      for (const bytes of inputs) assert.strictEqual(yield* viaFile(bytes), yield* viaStream(bytes), `${bytes.byteLength} bytes`)
      assert.strictEqual(yield* viaFile(good), "success")
    }))

  it.effect("a missing input is an I/O error naming the file, and invalid options fail before any file is created", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missing = path.join(dir, "missing")
      const error = failureOf(yield* Effect.exit(Compress.compressFile(missing, path.join(dir, "out"))))
      assert.deepStrictEqual([error._tag, error.message], ["FileError", `cannot open ${missing}: no such file or directory`])
      yield* put(path.join(dir, "in"), text)
      const invalid = yield* Effect.exit(Compress.compressFile(path.join(dir, "in"), path.join(dir, "out"), { codec: "zstd", level: 42 }))
      assert.strictEqual(outcomeTag(invalid), "InvalidCompressOption")
      assert.deepStrictEqual(yield* list(dir), ["in"])
    }))

  it.effect("can compress a file in place when forced", () =>
    Effect.gen(function*() {
      const { dir, plain } = yield* prepared
      yield* Compress.compressFile(plain, plain, { force: true })
      yield* Compress.decompressFile(plain, path.join(dir, "back"))
      assert.deepStrictEqual(yield* bytesOf(path.join(dir, "back")), text)
    }))

  it.effect("'-' reads standard input and writes standard output (here the caller's streams)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      async function* stdin() {
        yield text.subarray(0, 1000)
        yield text.subarray(1000)
      }
      const sink = recorder()
      yield* Compress.compressFile("-", "-", { stdin: stdin(), stdout: sink.writer, blockSize: BLOCK })
      const packed = path.join(dir, "from-stdin.svz")
      yield* put(packed, concat(sink.pieces))
      const out = recorder()
      yield* Compress.decompressFile(packed, "-", { stdout: out.writer })
      assert.deepStrictEqual(concat(out.pieces), text)
      assert.deepStrictEqual(yield* list(dir), ["from-stdin.svz"])
    }))
})

layer(FilesLive.layer)("cancellation", (it) => {
  /** Runs `start` with a stdin that delivers `bytes` and then stalls; interrupts it once it stalled. */
  const interruptedAfter = <A, E, R>(dir: string, bytes: Uint8Array, start: (stdin: AsyncIterable<Uint8Array>) => Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const stalled = yield* Deferred.make<void>()
      async function* stdin() {
        yield bytes
        Deferred.doneUnsafe(stalled, Exit.void)
        await new Promise<never>(() => {})
      }
      const fiber = yield* Effect.forkChild(start(stdin()))
      yield* Deferred.await(stalled)
      const during = yield* list(dir)
      yield* Fiber.interrupt(fiber)
      return { during, after: yield* list(dir) }
    })

  it.effect("an interrupted compression removes its temporary file and creates no output", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const out = path.join(dir, "out.svz")
      // Three blocks arrive and are compressed (several at once), then the input stalls.
      const { after, during } = yield* interruptedAfter(dir, textBytes(3 * BLOCK), (stdin) => Compress.compressFile("-", out, { stdin, blockSize: BLOCK, concurrency: 4 }))
      assert.strictEqual(during.length, 1)
      assert.match(during[0]!, /^out\.svz\.tmp-\d+-[0-9a-f]{12}$/)
      assert.deepStrictEqual(after, [])
    }))

  it.effect("an interrupted decompression removes its temporary file and creates no output", () =>
    Effect.gen(function*() {
      const { dir } = yield* prepared
      const packed = yield* bytesOf(path.join(dir, "plain.svz"))
      const out = path.join(dir, "out")
      // Everything but the end record arrives, then the input stalls.
      const { after, during } = yield* interruptedAfter(dir, packed.subarray(0, packed.byteLength - 41), (stdin) => Compress.decompressFile("-", out, { stdin }))
      assert.strictEqual(during.length, 3)
      assert.match(during[0]!, /^out\.tmp-\d+-[0-9a-f]{12}$/)
      assert.deepStrictEqual(after, ["plain", "plain.svz"])
    }))
})
