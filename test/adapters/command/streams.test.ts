import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as fc from "fast-check"
import { requirePipeSuccess } from "../../../src/adapters/command/Streams.ts"
import { make } from "../../../src/adapters/command/StreamsLive.ts"
import * as StreamsTest from "../../../src/adapters/command/StreamsTest.ts"

const streams = make()
const dir = mkdtempSync(join(tmpdir(), `sv-streams-${process.pid}-`))
process.on("exit", () => rmSync(dir, { recursive: true, force: true }))

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
/** Processes whose command line contains `marker` (each test's marker holds this process's pid). */
const processesWith = (marker: string) =>
  readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)
    } catch {
      return false
    }
  })

let files = 0
const fileOf = (bytes: Uint8Array) => {
  const file = join(dir, `data-${files++}`)
  writeFileSync(file, bytes)
  return file
}

describe("a pipe between two processes", () => {
  it.effect("carries every byte from the source to the sink, counts them and reports progress up to the total", () =>
    Effect.gen(function*() {
      const data = randomBytes(5 * 1024 * 1024 + 17)
      const seen: Array<number> = []
      const out = yield* streams.pipe({ tool: "cat", args: [fileOf(data)] }, { tool: "sha256sum", args: [] }, {
        progressEveryBytes: 256 * 1024,
        onProgress: (bytes) => Effect.sync(() => void seen.push(bytes))
      })
      assert.strictEqual(out.stdout.split(" ")[0], sha256(data))
      assert.strictEqual(out.bytes, data.length)
      assert.deepStrictEqual([out.source.exitCode, out.sink.exitCode, out.failedFirst], [0, 0, undefined])
      yield* Effect.yieldNow
      assert.isAtLeast(seen.length, 10)
      assert.strictEqual(Math.max(...seen), data.length)
    }))

  it.effect("property: whatever the size (empty included), the sink sees exactly the source's bytes", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 3 * 1024 * 1024 }), async (size) => {
          const data = randomBytes(size)
          const out = await Effect.runPromise(streams.pipe({ tool: "cat", args: [fileOf(data)] }, { tool: "sha256sum", args: [] }))
          return out.bytes === size && out.stdout.startsWith(sha256(data))
        }),
        { numRuns: 12 }
      )
    ))

  it.effect("arguments reach both sides verbatim: no shell ever sees them", () =>
    Effect.gen(function*() {
      const hostile = ["$(touch /tmp/sigmavault-pwned)", "a b", "x\ny", "; rm -rf /", "`id`", "*", "|", ">"]
      const out = yield* streams.pipe({ tool: "printf", args: ["%s|", ...hostile] }, { tool: "cat", args: [] })
      assert.strictEqual(out.stdout, hostile.map((h) => `${h}|`).join(""))
    }))

  it.effect("a source that fails is named, with its stderr, and the sink's outcome follows", () =>
    Effect.gen(function*() {
      const out = yield* streams.pipe(
        { tool: "node", args: ["-e", "process.stdout.write('x'.repeat(1000)); process.stderr.write('cannot send: dataset busy'); process.exitCode = 3"] },
        { tool: "node", args: ["-e", "let n = 0; process.stdin.on('data', (c) => n += c.length).on('end', () => { process.stderr.write('incomplete stream after ' + n); process.exit(1) })"] }
      )
      assert.deepStrictEqual([out.source.exitCode, out.sink.exitCode, out.failedFirst, out.bytes], [3, 1, "source", 1000])
      const error = yield* Effect.flip(requirePipeSuccess(out))
      assert.strictEqual(error.side, "source")
      assert.match(error.message, /^node -e .* \(the sending side\) exited 3: cannot send: dataset busy after 1000 bytes; the receiving side then exited 1 \(incomplete stream after 1000\)$/)
    }))

  it.effect("a sink that fails stops an endless source (SIGPIPE), and the sink is named", () =>
    Effect.gen(function*() {
      const out = yield* streams.pipe(
        { tool: "yes", args: [] },
        { tool: "node", args: ["-e", "process.stdin.once('data', () => { process.stderr.write('cannot receive: out of space'); process.exit(4) })"] }
      )
      assert.strictEqual(out.sink.exitCode, 4)
      assert.notStrictEqual(out.source.exitCode, 0)
      assert.strictEqual(out.failedFirst, "sink")
      const error = yield* Effect.flip(requirePipeSuccess(out))
      assert.match(error.message, /\(the receiving side\) exited 4: cannot receive: out of space after \d+ bytes; the sending side then /)
    }))

  it.effect("only the tail of each side's stderr is kept", () =>
    Effect.gen(function*() {
      const out = yield* streams.pipe(
        { tool: "node", args: ["-e", "for (let i = 0; i < 5000; i++) process.stderr.write('line ' + i + '\\n')"] },
        { tool: "cat", args: [] },
        { stderrTailBytes: 100 }
      )
      assert.isAtMost(out.source.stderr.length, 100)
      assert.isTrue(out.source.stderr.endsWith("line 4999\n"))
    }))

  it.effect("a missing tool on either side is ToolMissing naming it, and the other side does not survive", () =>
    Effect.gen(function*() {
      const marker = `${process.pid}.4242`
      const source = yield* Effect.flip(streams.pipe({ tool: "sigmavault-no-such-tool", args: [] }, { tool: "sleep", args: [marker] }))
      assert.strictEqual(source._tag, "ToolMissing")
      assert.strictEqual(source.message, "sigmavault-no-such-tool is not installed (not found on PATH)")
      assert.deepStrictEqual(processesWith(marker), [])
      const sink = yield* Effect.flip(streams.pipe({ tool: "sleep", args: [marker] }, { tool: "sigmavault-no-such-tool", args: [] }))
      assert.strictEqual(sink._tag, "ToolMissing")
      assert.deepStrictEqual(processesWith(marker), [])
    }))

  it.live("interrupting the pipe mid-stream kills both sides before it returns; with process groups, whatever they started too", () =>
    Effect.gen(function*() {
      const marker = `${process.pid}.777`
      const started = yield* Deferred.make<{ readonly source: number; readonly sink: number }>()
      const flowing = yield* Deferred.make<void>()
      // The source starts a grandchild of its own: a kill of the process alone would leave it behind.
      const source = `require('child_process').spawn('sleep', ['${process.pid}' + '.777'], { stdio: 'ignore' }); const b = Buffer.alloc(65536); (function w() { process.stdout.write(b, w) })()`
      const fiber = yield* Effect.forkChild(streams.pipe({ tool: "node", args: ["-e", source] }, { tool: "sha256sum", args: [] }, {
        timeoutMs: 120_000,
        processGroups: true,
        onSpawned: (pids) => Deferred.doneUnsafe(started, Effect.succeed(pids)),
        onProgress: () => Deferred.succeed(flowing, undefined).pipe(Effect.asVoid)
      }))
      const pids = yield* Deferred.await(started)
      yield* Deferred.await(flowing)
      assert.isTrue(alive(pids.source) && alive(pids.sink))
      assert.lengthOf(processesWith(marker), 1)
      yield* Fiber.interrupt(fiber)
      assert.isFalse(alive(pids.source), "the source is gone")
      assert.isFalse(alive(pids.sink), "the sink is gone")
      assert.deepStrictEqual(processesWith(marker), [], "the source's child is gone")
    }), 30_000)

  it.live("a pipe that runs past its timeout is killed, both sides", () =>
    Effect.gen(function*() {
      let pids = { source: 0, sink: 0 }
      const error = yield* Effect.flip(streams.pipe({ tool: "cat", args: ["/dev/zero"] }, { tool: "sha256sum", args: [] }, {
        timeoutMs: 300,
        onSpawned: (spawned) => void (pids = spawned)
      }))
      assert.strictEqual(error._tag, "CommandTimedOut")
      assert.strictEqual(error.message, "cat /dev/zero | sha256sum did not finish within 300 ms and was killed")
      assert.isFalse(alive(pids.source) || alive(pids.sink))
    }), 10_000)

  it.effect("the sink's output is capped like the runner's", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(streams.pipe({ tool: "cat", args: ["/dev/zero"] }, { tool: "cat", args: [] }, { maxOutputBytes: 1 << 20 }))
      assert.strictEqual(error._tag, "OutputTooLarge")
    }))
})

describe("feeding a tool's standard input", () => {
  it.effect("bytes, or a Stream of chunks with back-pressure, reach the tool whole", () =>
    Effect.gen(function*() {
      const data = randomBytes(3 * 1024 * 1024 + 5)
      const fromBytes = yield* streams.feed("sha256sum", [], data)
      assert.strictEqual(fromBytes.stdout.split(" ")[0], sha256(data))
      const chunks = Array.from({ length: 48 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536 + (i === 47 ? 5 : 0)))
      const fromStream = yield* streams.feed("sha256sum", [], Stream.fromIterable(chunks))
      assert.strictEqual(fromStream.stdout.split(" ")[0], sha256(data))
    }))

  it.effect("a stream that fails fails the feed with its own error and kills the tool", () =>
    Effect.gen(function*() {
      let pid = 0
      const input = Stream.concat(Stream.make(new Uint8Array(10)), Stream.fail("source went away" as const))
      const error = yield* Effect.flip(streams.feed("cat", [], input, { onSpawned: (spawned) => void (pid = spawned) }))
      assert.strictEqual(error, "source went away")
      assert.isFalse(alive(pid))
    }))

  it.live("interrupting a feed kills the tool", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<number>()
      const endless = Stream.forever(Stream.make(new Uint8Array(65536)))
      const fiber = yield* Effect.forkChild(streams.feed("sha256sum", [], endless, {
        timeoutMs: 120_000,
        onSpawned: (pid) => Deferred.doneUnsafe(started, Effect.succeed(pid))
      }))
      const pid = yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isFalse(alive(pid))
    }), 10_000)
})

describe("the test implementation", () => {
  it.effect("records both sides' argv, answers from its table and reports the bytes as progress", () =>
    Effect.gen(function*() {
      const fake = StreamsTest.make({
        "zfs send tank@a | zfs receive -s -F backup/tank": { bytes: 4096 },
        "zfs send tank@b | zfs receive -s -F backup/x": { bytes: 10, source: { exitCode: 1, stderr: "cannot open" }, sink: { exitCode: 1 } }
      })
      const seen: Array<number> = []
      const out = yield* fake.service.pipe({ tool: "zfs", args: ["send", "tank@a"] }, { tool: "zfs", args: ["receive", "-s", "-F", "backup/tank"] }, {
        onProgress: (bytes) => Effect.sync(() => void seen.push(bytes))
      })
      assert.deepStrictEqual([out.bytes, seen], [4096, [4096]])
      const failed = yield* fake.service.pipe({ tool: "zfs", args: ["send", "tank@b"] }, { tool: "zfs", args: ["receive", "-s", "-F", "backup/x"] })
      assert.strictEqual((yield* Effect.flip(requirePipeSuccess(failed))).side, "source")
      const missing = yield* Effect.flip(fake.service.pipe({ tool: "zfs", args: ["send"] }, { tool: "mbuffer", args: [] }))
      assert.strictEqual(missing._tag, "ToolMissing")
      assert.deepStrictEqual(fake.calls, [
        "zfs send tank@a | zfs receive -s -F backup/tank",
        "zfs send tank@b | zfs receive -s -F backup/x",
        "zfs send | mbuffer"
      ])
    }))
})
