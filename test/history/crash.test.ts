/**
 * Crash safety of HistoryLive: a writer SIGKILLed mid-write (a real process
 * on a real disk) loses nothing a completed flush acknowledged; a torn journal
 * tail and an unreadable checkpoint are reported and survived; a failing disk
 * makes flush fail, and a later flush writes it all.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import { make } from "../../src/history/HistoryLive.ts"
import { T0, tempDir } from "./support.ts"

const BUN = path.resolve("node_modules/.bin/bun")
const CHILD = path.resolve("test/support/historyChild.ts")
const live = (dir: string) => make({ dir }).pipe(Effect.provideService(Files, FilesLive.make()))

/** Runs the child until it has acknowledged at least `ackAtLeast` samples (plus `extraMs`), SIGKILLs it; the samples it acknowledged. */
const runAndKill = (args: { dir: string; base: number; batch: number; limit: number }, ackAtLeast: number, extraMs: number) =>
  Effect.callback<number, Error>((resume) => {
    const child = spawn(BUN, [CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "pipe"] })
    let acked = 0
    let buffer = ""
    let stderr = ""
    let killed = false
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      let newline: number
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        const match = /^acked (\d+)$/.exec(line)
        if (match !== null && !killed) acked = Number(match[1])
        if ((acked >= ackAtLeast || line === "done") && !killed) {
          killed = true
          setTimeout(() => child.kill("SIGKILL"), extraMs)
        }
      }
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resume(Effect.succeed(acked))
      else resume(Effect.fail(new Error(`the child exited with ${code} ${signal}: ${stderr.slice(0, 2000)}`)))
    })
    return Effect.sync(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
  })

describe("HistoryLive crash safety", () => {
  it.live("a writer SIGKILLed mid-write keeps every sample a completed flush acknowledged", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const base = Math.floor((Date.now() - 20 * 3_600_000) / 10_000) * 10_000
      const limit = 6_000
      let acked = 0
      // Four lives of the same store, each killed at a different point; each continues where the store is.
      for (const [round, [ackAtLeast, extraMs]] of ([[300, 0], [900, 3], [1_700, 1], [2_600, 7]] as const).entries()) {
        const stored = yield* Effect.scoped(Effect.gen(function*() {
          const h = yield* live(dir)
          return (yield* h.stats).samples
        }))
        assert.isAtLeast(stored, acked, `round ${round}: the store lost acknowledged samples`)
        acked = yield* runAndKill({ dir, base, batch: 25, limit }, ackAtLeast + stored, extraMs)
        yield* Effect.scoped(Effect.gen(function*() {
          const h = yield* live(dir)
          const [series] = yield* h.query({ name: "sigmavault_crash_test", from: base, to: base + limit * 10_000, step: 10_000, consolidate: "last" })
          const points = series?.points ?? []
          // Every acknowledged sample is there, and everything there is a real sample (no garbage from a torn write).
          const values = new Map(points.map(([at, value]) => [at, value]))
          for (let i = 0; i < acked; i++) {
            if (values.get(base + i * 10_000) !== i) {
              assert.fail(`round ${round}: acknowledged sample ${i} of ${acked} is missing`)
            }
          }
          for (const [at, value] of points) assert.strictEqual(value, (at - base) / 10_000)
          assert.strictEqual(h.recovery.unavailable, undefined)
        }))
      }
    }), 120_000)

  it.effect("a torn journal tail is reported and cut away; the whole frames before it are kept", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 3_600_000)
      const dir = yield* tempDir
      // The first store is never closed before the second opens, as after a crash (no checkpoint at a clean stop).
      const first = yield* live(dir)
      yield* first.record([{ name: "sigmavault_t", value: 1, at: T0 }, { name: "sigmavault_t", value: 2, at: T0 + 10_000 }])
      yield* first.flush
      yield* first.record([{ name: "sigmavault_t", value: 3, at: T0 + 20_000 }])
      yield* first.flush
      // a half-written frame follows
      const journal = (yield* Effect.promise(() => fs.readdir(dir))).find((n) => n.startsWith("journal-"))!
      const torn = Buffer.alloc(30)
      torn.writeUInt32LE(1_000, 0)
      yield* Effect.promise(() => fs.appendFile(path.join(dir, journal), torn))
      const h = yield* live(dir)
      assert.strictEqual(h.recovery.tornTails.length, 1)
      assert.strictEqual(h.recovery.tornTails[0]!.bytes, 30)
      assert.match(h.recovery.tornTails[0]!.reason, /cut short/)
      const [series] = yield* h.query({ name: "sigmavault_t", from: T0, to: T0 + 60_000 })
      assert.deepStrictEqual(series!.points, [[T0, 1], [T0 + 10_000, 2], [T0 + 20_000, 3]])
      // the start checkpointed: the torn journal is gone
      const names = yield* Effect.promise(() => fs.readdir(dir))
      assert.deepStrictEqual(names.filter((n) => n.startsWith("journal-")), [])
    }).pipe(Effect.scoped))

  it.effect("an unreadable checkpoint is reported, kept aside, and the journals after it still load", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 3_600_000)
      const dir = yield* tempDir
      const first = yield* live(dir)
      yield* first.record([{ name: "sigmavault_c", value: 1, at: T0 }])
      yield* first.checkpoint
      yield* first.record([{ name: "sigmavault_c", value: 2, at: T0 + 10_000 }])
      yield* first.flush
      const file = path.join(dir, "checkpoint")
      const bytes = yield* Effect.promise(() => fs.readFile(file))
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff
      yield* Effect.promise(() => fs.writeFile(file, bytes))
      const h = yield* live(dir)
      assert.strictEqual(h.recovery.checkpoint, "unreadable")
      assert.match(h.recovery.checkpointProblem!, /checksum/)
      const [series] = yield* h.query({ name: "sigmavault_c", from: T0, to: T0 + 60_000 })
      // the checkpoint's sample is lost (and said so), the journal's is there
      assert.deepStrictEqual(series!.points, [[T0 + 10_000, 2]])
      const names = yield* Effect.promise(() => fs.readdir(dir))
      assert.include(names, "checkpoint.unreadable")
      yield* h.record([{ name: "sigmavault_c", value: 3, at: T0 + 20_000 }])
      yield* h.flush
    }).pipe(Effect.scoped))

  it.effect("a failing disk makes flush fail; a later flush writes everything; a power cut then loses nothing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 3_600_000)
      const files = FilesTest.make()
      const open = make({ dir: "/h" }).pipe(Effect.provideService(Files, files.service))
      const h = yield* open
      yield* h.record([{ name: "sigmavault_d", value: 1, at: T0 }])
      yield* h.flush
      files.fail({ step: "write", reason: "NoSpace", times: 1 })
      yield* h.record([{ name: "sigmavault_d", value: 2, at: T0 + 10_000 }])
      const error = yield* Effect.flip(h.flush)
      assert.strictEqual(error._tag, "HistoryUnavailable")
      assert.match(error.message, /no space/)
      yield* h.record([{ name: "sigmavault_d", value: 3, at: T0 + 20_000 }])
      yield* h.flush
      files.crash()
      const reopened = yield* open
      const [series] = yield* reopened.query({ name: "sigmavault_d", from: T0, to: T0 + 60_000 })
      assert.deepStrictEqual(series!.points, [[T0, 1], [T0 + 10_000, 2], [T0 + 20_000, 3]])
    }).pipe(Effect.scoped))

  it.effect("a directory it cannot use: history in memory only, flush fails saying why", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const dir = yield* tempDir
      const blocker = path.join(dir, "not-a-dir")
      yield* Effect.promise(() => fs.writeFile(blocker, "x"))
      const h = yield* live(path.join(blocker, "history"))
      assert.isDefined(h.recovery.unavailable)
      assert.deepStrictEqual(yield* h.record([{ name: "sigmavault_e", value: 1 }]), { accepted: 1, refused: 0 })
      const error = yield* Effect.flip(h.flush)
      assert.match(error.message, /not-a-dir/)
    }).pipe(Effect.scoped))
})

describe("HistoryLive never fails to start, whatever its files hold", () => {
  it("random bytes as checkpoint and journals: reported, and the store works", async () => {
    const { default: fc } = await import("fast-check")
    const { crc32 } = await import("../../src/memory/persist/Crc32.ts")
    const frame = (payload: Uint8Array) => {
      const out = new Uint8Array(8 + payload.length)
      const view = new DataView(out.buffer)
      view.setUint32(0, payload.length, true)
      view.setUint32(4, crc32(payload), true)
      out.set(payload, 8)
      return out
    }
    const bytes = fc.uint8Array({ maxLength: 300 })
    // valid frames around garbage payloads, so the checksum passes and the records are what is judged
    const journal = fc.oneof(bytes, fc.array(bytes, { maxLength: 4 }).map((payloads) => {
      const frames = payloads.map(frame)
      const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
      let p = 0
      for (const f of frames) {
        out.set(f, p)
        p += f.length
      }
      return out
    }))
    const checkpoint = fc.oneof(bytes, bytes.map((b) => {
      const text = new TextEncoder().encode(JSON.stringify({ version: 1, generation: "x", series: [{ rings: 3 }] }))
      const out = new Uint8Array(16 + text.length + b.length)
      out.set(new TextEncoder().encode("SVHIST01"))
      new DataView(out.buffer).setUint32(8, text.length, true)
      out.set(text, 12)
      out.set(b, 12 + text.length)
      new DataView(out.buffer).setUint32(out.length - 4, crc32(out, 0, out.length - 4), true)
      return out
    }))
    await fc.assert(
      fc.asyncProperty(fc.option(checkpoint, { nil: undefined }), fc.array(journal, { maxLength: 3 }), async (cp, journals) => {
        const files = FilesTest.make()
        await Effect.runPromise(Effect.gen(function*() {
          yield* TestClock.setTime(T0 + 60_000)
          yield* files.service.makeDirectory("/h", { recursive: true })
          if (cp !== undefined) yield* files.service.writeAtomic("/h/checkpoint", cp)
          for (const [g, j] of journals.entries()) yield* files.service.writeAtomic(`/h/journal-${g}`, j)
          const h = yield* make({ dir: "/h" }).pipe(Effect.provideService(Files, files.service))
          assert.strictEqual(h.recovery.unavailable, undefined)
          assert.deepStrictEqual(yield* h.record([{ name: "sigmavault_f", value: 1, at: T0 }]), { accepted: 1, refused: 0 })
          yield* h.flush
        }).pipe(Effect.scoped, Effect.provide(TestClock.layer())))
      }),
      { numRuns: 200 }
    )
  }, 60_000)
})
