import { chmodSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, it, layer } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"
import { scanUsage } from "../../../src/actors/atlas/scan.ts"

const tree = () => {
  const root = mkdtempSync(join(tmpdir(), "sv-atlas-"))
  mkdirSync(join(root, "photos/2026"), { recursive: true })
  mkdirSync(join(root, "docs"))
  writeFileSync(join(root, "photos/2026/a.jpg"), Buffer.alloc(300_000))
  writeFileSync(join(root, "photos/2026/b.JPG"), Buffer.alloc(200_000))
  writeFileSync(join(root, "photos/clip.mkv"), Buffer.alloc(1_000_000))
  writeFileSync(join(root, "docs/report.pdf"), Buffer.alloc(50_000))
  writeFileSync(join(root, "docs/notes"), Buffer.alloc(10))
  writeFileSync(join(root, "-rf\nname with spaces.txt"), Buffer.alloc(7))
  linkSync(join(root, "docs/report.pdf"), join(root, "docs/report-link.pdf"))
  symlinkSync("/", join(root, "root-link"))
  symlinkSync("loop", join(root, "loop"))
  return root
}

layer(FilesLive.layer)("ATLAS scan", (it) => {
  it.effect("counts, sizes, largest files and directories, file types; hard links once; symlinks not followed", () =>
    Effect.gen(function*() {
      const root = tree()
      const report = yield* scanUsage(root, { top: 3 })
      assert.isTrue(report.complete)
      assert.deepStrictEqual([report.files, report.directories, report.symlinks], [6, 4, 2])
      const links = "/".length + "loop".length
      assert.strictEqual(report.apparentBytes, 1_550_017 + links)
      assert.deepStrictEqual(report.largestFiles.map((f) => [f.path.slice(root.length), f.bytes]), [
        ["/photos/clip.mkv", 1_000_000],
        ["/photos/2026/a.jpg", 300_000],
        ["/photos/2026/b.JPG", 200_000]
      ])
      assert.deepStrictEqual(report.largestDirectories.map((d) => [d.path.slice(root.length), d.bytes]), [
        ["", 1_550_017 + links],
        ["/photos", 1_500_000],
        ["/photos/2026", 500_000]
      ])
      assert.deepStrictEqual(report.byType.map((t) => [t.type, t.files, t.bytes]), [["video", 1, 1_000_000], ["image", 2, 500_000], ["document", 2, 50_007], ["other", 1, 10]])
      assert.deepStrictEqual(report.topExtensions[1], { extension: "jpg", files: 2, bytes: 500_000 })
    }))

  it.effect("stops at the entry budget, or the time budget, with a partial report", () =>
    Effect.gen(function*() {
      const root = tree()
      const few = yield* scanUsage(root, { maxEntries: 3 })
      assert.deepStrictEqual([few.complete, few.stoppedBecause, few.entries], [false, "entry budget", 3])
      let t = 0
      const slow = yield* scanUsage(root, { maxMs: 10, now: () => (t += 100) })
      assert.deepStrictEqual([slow.complete, slow.stoppedBecause], [false, "time budget"])
    }))

  it.effect("interruption and an abort signal stop the walk", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "sv-atlas-big-"))
      for (let d = 0; d < 50; d++) {
        mkdirSync(join(root, `d${d}`))
        for (let f = 0; f < 100; f++) writeFileSync(join(root, `d${d}`, `f${f}`), "x")
      }
      const controller = new AbortController()
      controller.abort()
      const aborted = yield* scanUsage(root, { signal: controller.signal })
      assert.deepStrictEqual([aborted.complete, aborted.stoppedBecause], [false, "cancelled"])
      const fiber = yield* Effect.forkChild(scanUsage(root))
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(exit._tag, "Failure")
    }))

  it.effect("an unreadable directory is skipped and reported; a deep chain does not overflow", () =>
    Effect.gen(function*() {
      const root = tree()
      mkdirSync(join(root, "locked"))
      writeFileSync(join(root, "locked/secret"), "x")
      chmodSync(join(root, "locked"), 0o000)
      const report = yield* scanUsage(root)
      if (process.getuid?.() !== 0) {
        assert.strictEqual(report.skipped.count, 1)
        assert.deepStrictEqual(report.skipped.examples[0], { path: join(root, "locked"), reason: "permission denied" })
      }
      chmodSync(join(root, "locked"), 0o700)
      let deep = mkdtempSync(join(tmpdir(), "sv-atlas-deep-"))
      const top = deep
      for (let i = 0; i < 1000; i++) {
        deep = join(deep, "d")
        mkdirSync(deep)
      }
      writeFileSync(join(deep, "bottom"), "12345")
      const chain = yield* scanUsage(top)
      assert.deepStrictEqual([chain.directories, chain.apparentBytes, chain.complete], [1001, 5, true])
    }))

  it.effect("stays on one filesystem; bad roots are clear errors", () =>
    Effect.gen(function*() {
      // /dev/pts and /dev/shm are filesystems of their own on every Linux with devtmpfs.
      const report = yield* scanUsage("/dev")
      assert.includeMembers([...report.otherFilesystems], ["/dev/pts", "/dev/shm"])
      const crossed = yield* scanUsage("/dev", { crossFilesystems: true })
      assert.deepStrictEqual(crossed.otherFilesystems, [])
      assert.strictEqual((yield* Effect.flip(scanUsage("/no/such/dir"))).message, "cannot scan /no/such/dir: no such file or directory")
      assert.strictEqual((yield* Effect.flip(scanUsage("/etc/hostname"))).message, "cannot scan /etc/hostname: not a directory")
      assert.strictEqual((yield* Effect.flip(scanUsage("relative"))).message, "cannot scan relative: the path must be absolute")
    }))
})

it.effect("an unreadable directory is skipped and reported as such, and the scan goes on", () =>
  Effect.gen(function*() {
    const disk = FilesTest.make()
    yield* disk.service.makeDirectory("/srv/share/locked", { recursive: true })
    yield* disk.service.writeAtomic("/srv/share/open.txt", new Uint8Array(12))
    disk.fail({ step: "list", path: "/srv/share/locked", reason: "PermissionDenied" })
    const report = yield* scanUsage("/srv/share").pipe(Effect.provide(disk.layer))
    assert.deepStrictEqual(report.skipped, { count: 1, examples: [{ path: "/srv/share/locked", reason: "permission denied" }] })
    assert.deepStrictEqual([report.complete, report.files, report.directories, report.apparentBytes], [true, 1, 2, 12])
  }))
