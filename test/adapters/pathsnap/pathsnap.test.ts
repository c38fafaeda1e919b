import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ALWAYS_FORBIDDEN } from "../../../src/adapters/fs/CallerFiles.ts"
import type { CommandStreams } from "../../../src/adapters/command/Streams.ts"
import { make as makeRunner } from "../../../src/adapters/command/StreamsLive.ts"
import { make } from "../../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import { requireTools } from "../../support/tools.ts"

requireTools("rsync")

const base = mkdtempSync(`/tmp/sv-pathsnap-${process.pid}-`)
process.on("exit", () => rmSync(base, { recursive: true, force: true }))
const confinement = Effect.succeed({ roots: [base], forbidden: [...ALWAYS_FORBIDDEN] })

/** A runner that records every command line on its way to the real one. */
const recording = (streams: CommandStreams["Service"] = makeRunner()) => {
  const calls: Array<ReadonlyArray<string>> = []
  const service: CommandStreams["Service"] = {
    pipe: streams.pipe,
    feed: (tool, args, input, options) =>
      Effect.suspend(() => {
        calls.push([tool, ...args])
        return streams.feed(tool, args, input, options)
      })
  }
  return { service, calls }
}

let cases = 0
const fresh = () => {
  const dir = join(base, `case-${cases++}`)
  const source = join(dir, "data")
  mkdirSync(join(source, "sub"), { recursive: true })
  writeFileSync(join(source, "same.txt"), "unchanged\n")
  writeFileSync(join(source, "sub", "changes.txt"), "version 1\n")
  writeFileSync(join(source, "goes.txt"), "deleted later\n")
  return { dir, source, root: join(dir, "snapshots") }
}
const at = (seconds: number) => new Date(seconds * 1000)
const inode = (path: string) => statSync(path).ino

describe("path snapshots with rsync --link-dest (real rsync)", () => {
  it.effect("a second snapshot hard-links what did not change to the first and copies what did; each is the tree as it was", () =>
    Effect.gen(function*() {
      const { source, root } = fresh()
      const { service, calls } = recording()
      const snaps = make(service, confinement)
      const first = yield* snaps.take(source, root, "autosnap_2026-12-07_14:00:00_hourly", { confirm: true, now: at(1_780_000_000) })
      assert.isTrue(first.rsync.executed)
      assert.isUndefined(first.linkDest)
      writeFileSync(join(source, "sub", "changes.txt"), "version 2, longer\n")
      writeFileSync(join(source, "new.txt"), "new\n")
      rmSync(join(source, "goes.txt"))
      const second = yield* snaps.take(source, root, "autosnap_2026-12-07_15:00:00_hourly", { confirm: true, now: at(1_780_003_600) })
      const one = join(root, "autosnap_2026-12-07_14:00:00_hourly")
      const two = join(root, "autosnap_2026-12-07_15:00:00_hourly")
      assert.strictEqual(second.linkDest, one)
      assert.deepStrictEqual(calls.at(-1), [
        "rsync", "-a", "-H", "-A", "-X", "--numeric-ids", "--one-file-system", `--link-dest=${one}`, `${source}/`, `${root}/.sigmavault/partial-autosnap_2026-12-07_15:00:00_hourly/`
      ])
      assert.strictEqual(inode(join(two, "same.txt")), inode(join(one, "same.txt")), "an unchanged file is a hard link to the previous snapshot")
      assert.strictEqual(statSync(join(two, "same.txt")).nlink, 2)
      assert.notStrictEqual(inode(join(two, "sub", "changes.txt")), inode(join(one, "sub", "changes.txt")), "a changed file is a copy")
      assert.strictEqual(readFileSync(join(one, "sub", "changes.txt"), "utf8"), "version 1\n")
      assert.strictEqual(readFileSync(join(two, "sub", "changes.txt"), "utf8"), "version 2, longer\n")
      assert.isTrue(existsSync(join(one, "goes.txt")) && !existsSync(join(two, "goes.txt")))
      assert.isTrue(existsSync(join(two, "new.txt")) && !existsSync(join(one, "new.txt")))
      const listed = yield* snaps.list(root)
      assert.deepStrictEqual(listed.map((s) => [s.name, s.source, s.createdAt]), [
        ["autosnap_2026-12-07_14:00:00_hourly", source, "2026-05-28T20:26:40.000Z"],
        ["autosnap_2026-12-07_15:00:00_hourly", source, "2026-05-28T21:26:40.000Z"]
      ])
      assert.deepStrictEqual(readdirSync(join(root, ".sigmavault")).sort(), ["autosnap_2026-12-07_14:00:00_hourly.json", "autosnap_2026-12-07_15:00:00_hourly.json"])
    }))

  it.effect("owners, modes and times are kept; a file whose content changed but not its size or time is linked unless checksum is asked for", () =>
    Effect.gen(function*() {
      const { source, root } = fresh()
      const snaps = make(makeRunner(), confinement)
      const file = join(source, "sneaky.bin")
      writeFileSync(file, "AAAA")
      chmodSync(file, 0o640)
      utimesSync(file, 1_700_000_000, 1_700_000_000)
      yield* snaps.take(source, root, "one", { confirm: true, now: at(1) })
      writeFileSync(file, "BBBB")
      utimesSync(file, 1_700_000_000, 1_700_000_000)
      yield* snaps.take(source, root, "two", { confirm: true, now: at(2) })
      yield* snaps.take(source, root, "three", { confirm: true, checksum: true, now: at(3) })
      assert.strictEqual(statSync(join(root, "one", "sneaky.bin")).mode & 0o777, 0o640)
      assert.strictEqual(statSync(join(root, "one", "sneaky.bin")).mtimeMs, 1_700_000_000_000)
      assert.strictEqual(readFileSync(join(root, "two", "sneaky.bin"), "utf8"), "AAAA", "size and time alone cannot see the change (rsync's quick check)")
      assert.strictEqual(readFileSync(join(root, "three", "sneaky.bin"), "utf8"), "BBBB", "--checksum does")
    }))

  it.effect("without confirm it is only a plan: the exact rsync command, nothing created", () =>
    Effect.gen(function*() {
      const { source, root } = fresh()
      const { service, calls } = recording()
      const plan = yield* make(service, confinement).take(source, root, "manual", { confirm: false, now: at(1) })
      assert.deepStrictEqual(plan.rsync.command, ["rsync", "-a", "-H", "-A", "-X", "--numeric-ids", "--one-file-system", `${source}/`, `${root}/.sigmavault/partial-manual/`])
      assert.isFalse(plan.rsync.executed)
      assert.strictEqual(plan.path, join(root, "manual"))
      assert.deepStrictEqual(calls, [])
      assert.isFalse(existsSync(root))
    }))

  it.effect("paths outside the file roots, forbidden ones, symbolic links leading out, a root inside its source and bad names are refused before rsync runs", () =>
    Effect.gen(function*() {
      const { dir, source, root } = fresh()
      const { service, calls } = recording()
      const snaps = make(service, confinement)
      const refusal = (effect: Effect.Effect<unknown, { readonly message: string }>) => Effect.map(Effect.flip(effect), (e) => e.message)
      const now = at(1)
      assert.strictEqual(yield* refusal(snaps.take("/usr/share", root, "x", { confirm: true, now })), `source '/usr/share' cannot be used: it is outside the file roots (${base})`)
      assert.strictEqual(yield* refusal(snaps.take(source, "/etc/snaps", "x", { confirm: true, now })), "root '/etc/snaps' cannot be used: file jobs never use /etc")
      symlinkSync("/usr/share", join(dir, "escape"))
      assert.strictEqual(yield* refusal(snaps.take(join(dir, "escape"), root, "x", { confirm: true, now })), `source '${join(dir, "escape")}' cannot be used: it leads to /usr/share: it is outside the file roots (${base})`)
      assert.match(yield* refusal(snaps.take(source, join(source, "snaps"), "x", { confirm: true, now })), /must not be one inside the other/)
      assert.match(yield* refusal(snaps.take("relative/path", root, "x", { confirm: true, now })), /the path must be absolute/)
      assert.strictEqual(yield* refusal(snaps.take(join(dir, "nothing"), root, "x", { confirm: true, now })), `source '${join(dir, "nothing")}' cannot be used: it does not exist`)
      for (const name of ["../up", ".hidden", "-rf", "a/b", "", "x y"]) {
        assert.match(yield* refusal(snaps.take(source, root, name, { confirm: true, now })), /^name '.*' cannot be used: a snapshot name/)
      }
      yield* snaps.take(source, root, "taken", { confirm: true, now })
      assert.strictEqual(yield* refusal(snaps.take(source, root, "taken", { confirm: true, now })), `snapshot 'taken' already exists in ${root}`)
      assert.deepStrictEqual(calls.length, 1, "only the one good snapshot ran rsync")
    }))

  it.live("an interrupted snapshot is never visible and leaves nothing behind; a failed one neither", () =>
    Effect.gen(function*() {
      const { dir, source, root } = fresh()
      writeFileSync(join(source, "big.bin"), Buffer.alloc(4 * 1024 * 1024, 7))
      // Real rsync, slowed down so the test can interrupt it mid-copy.
      const bin = join(dir, "bin")
      mkdirSync(bin)
      writeFileSync(join(bin, "rsync"), `#!/bin/sh\nexec /usr/bin/rsync --bwlimit=400 "$@"\n`, { mode: 0o755 })
      const slow = make(makeRunner({ path: `${bin}:${process.env.PATH}` }), confinement)
      const fiber = yield* Effect.forkChild(slow.take(source, root, "never", { confirm: true, now: at(1) }))
      const partial = join(root, ".sigmavault", "partial-never")
      // rsync writes big.bin under a temporary name (.big.bin.XXXXXX) until it is complete.
      const copying = () => existsSync(partial) && readdirSync(partial).some((entry) => entry.startsWith(".big.bin."))
      while (!copying()) yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
      const survivors = readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(partial)
        } catch {
          return false
        }
      })
      assert.deepStrictEqual(survivors, [], "rsync and the helpers it forked are all gone")
      assert.isFalse(existsSync(join(root, "never")), "no snapshot appeared")
      assert.isFalse(existsSync(partial), "the partial copy is gone")
      assert.deepStrictEqual(yield* slow.list(root), [])

      writeFileSync(join(bin, "rsync"), `#!/bin/sh\n/usr/bin/rsync "$@"\necho "rsync: some files could not be transferred" >&2\nexit 23\n`, { mode: 0o755 })
      const error = yield* Effect.flip(slow.take(source, root, "failed", { confirm: true, now: at(2) }))
      assert.strictEqual(error._tag, "CommandExited")
      assert.match(error.message, /exited 23: rsync: some files could not be transferred$/)
      assert.isFalse(existsSync(join(root, "failed")))
      assert.deepStrictEqual(readdirSync(join(root, ".sigmavault")), [])

      // What a crash of the daemon left (a partial copy) is swept by the next snapshot of the root.
      mkdirSync(join(root, ".sigmavault", "partial-crashed", "x"), { recursive: true })
      yield* make(makeRunner(), confinement).take(source, root, "after", { confirm: true, now: at(3) })
      assert.deepStrictEqual(readdirSync(join(root, ".sigmavault")), ["after.json"])
    }), 30_000)

  it.effect("removing a snapshot: planned, then gone at once, and the files it shared with another stay whole there", () =>
    Effect.gen(function*() {
      const { source, root } = fresh()
      const snaps = make(makeRunner(), confinement)
      yield* snaps.take(source, root, "a", { confirm: true, now: at(1) })
      yield* snaps.take(source, root, "b", { confirm: true, now: at(2) })
      assert.strictEqual(statSync(join(root, "b", "same.txt")).nlink, 2)
      const plan = yield* snaps.remove(root, ["a"], { confirm: false })
      assert.deepStrictEqual(plan, { removed: ["a"], executed: false })
      assert.isTrue(existsSync(join(root, "a")))
      yield* snaps.remove(root, ["a"], { confirm: true })
      assert.isFalse(existsSync(join(root, "a")))
      assert.deepStrictEqual((yield* snaps.list(root)).map((s) => s.name), ["b"])
      assert.strictEqual(readFileSync(join(root, "b", "same.txt"), "utf8"), "unchanged\n")
      assert.strictEqual(statSync(join(root, "b", "same.txt")).nlink, 1)
      const missing = yield* Effect.flip(snaps.remove(root, ["a"], { confirm: true }))
      assert.strictEqual(missing.message, `there is no snapshot 'a' in ${root}`)
    }))
})

describe("a path replicated to another path (rsync, optionally --checksum)", () => {
  it.effect("the plan lists what would change (rsync --dry-run); confirmed, the destination matches; --checksum catches a same-size, same-time change", () =>
    Effect.gen(function*() {
      const { dir, source } = fresh()
      const destination = join(dir, "mirror")
      const snaps = make(makeRunner(), confinement)
      const plan = yield* snaps.sync(source, destination, { confirm: false })
      assert.includeMembers(plan.changes.map((line) => line.split(" ").at(-1)), ["same.txt", "sub/changes.txt"])
      assert.isFalse(existsSync(destination))
      yield* snaps.sync(source, destination, { confirm: true })
      assert.strictEqual(readFileSync(join(destination, "sub", "changes.txt"), "utf8"), "version 1\n")
      const file = join(source, "same.txt")
      const { mtime } = statSync(file)
      writeFileSync(file, "UNCHANGED\n")
      utimesSync(file, mtime, mtime)
      yield* snaps.sync(source, destination, { confirm: true })
      assert.strictEqual(readFileSync(join(destination, "same.txt"), "utf8"), "unchanged\n", "the quick check misses it")
      const checked = yield* snaps.sync(source, destination, { confirm: true, checksum: true, delete: true })
      assert.deepStrictEqual(checked.rsync.command.slice(0, 9), ["rsync", "-a", "-H", "-A", "-X", "--numeric-ids", "--one-file-system", "--checksum", "--delete"])
      assert.strictEqual(readFileSync(join(destination, "same.txt"), "utf8"), "UNCHANGED\n")
    }))
})
