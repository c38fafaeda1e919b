/**
 * CallerFilesLive with a real change of identity: the file helper runs as
 * nobody (uid 65534), and what nobody may not do, the job may not do. Needs
 * root (to become nobody, and to reopen nobody's descriptors); skipped
 * otherwise. The daemon's own binary plays the helper in the e2e suite; here
 * the helper is src/index.ts run by Bun.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Result, Scope } from "effect"
import { createHash } from "node:crypto"
import type { CallerFilesShape } from "../../../src/adapters/fs/CallerFiles.ts"
import * as CallerFilesLive from "../../../src/adapters/fs/CallerFilesLive.ts"
import { FileError, partsOfTemporary, targetOfTemporary, type WalkVisitor } from "../../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import { type JournalEntry, openJournal } from "../../../src/adapters/fs/TemporaryJournal.ts"
import type { Caller } from "../../../src/runtime/Caller.ts"

const isRoot = process.getuid?.() === 0
const BUN = path.resolve("node_modules/.bin/bun")
const NOBODY: Caller = { uid: 65534, gid: 65534, groups: [], via: "socket", umask: 0o027 }

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "sv-callerfiles-")))
const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "sv-outside-")))
const at = (...names: ReadonlyArray<string>) => path.join(root, ...names)

const setUp = () => {
  fs.chmodSync(root, 0o755)
  fs.writeFileSync(at("public.txt"), "for everyone\n", { mode: 0o644 })
  fs.writeFileSync(at("secret.txt"), "root only\n", { mode: 0o600 })
  fs.mkdirSync(at("mine"), { mode: 0o700 })
  fs.chownSync(at("mine"), 65534, 65534)
  fs.mkdirSync(at("closed"), { mode: 0o700 })
  fs.writeFileSync(at("closed", "inside.txt"), "x".repeat(100))
  fs.writeFileSync(at("big.bin"), Buffer.alloc(4096), { mode: 0o644 })
  fs.symlinkSync("/etc/passwd", at("passwd-link"))
  fs.writeFileSync(path.join(outside, "far.txt"), "outside\n", { mode: 0o644 })
  fs.chmodSync(outside, 0o755)
  fs.symlinkSync(outside, at("away"))
  execFileSync("mkfifo", [at("pipe")])
  fs.chmodSync(at("pipe"), 0o666)
}

const HELPER = [BUN, path.resolve("src/index.ts"), "__open-as"]

const service: CallerFilesShape = CallerFilesLive.make({
  helper: HELPER,
  confinement: Effect.succeed({ roots: [root], forbidden: ["/etc", "/proc", "/dev"] }),
  maxBytes: 1024
})

const asNobody = <A, E>(use: (files: Effect.Success<ReturnType<CallerFilesShape["forCaller"]>>) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.scoped(Effect.flatMap(service.forCaller(NOBODY), use))

const failure = <A>(effect: Effect.Effect<A, FileError, Scope.Scope>) => asNobody(() => Effect.flip(effect))

const readAll = (file: string) =>
  asNobody((files) =>
    Effect.gen(function*() {
      const reader = yield* files.openRead(file)
      const buffer = new Uint8Array(reader.info.size)
      yield* reader.read(buffer)
      return new TextDecoder().decode(buffer)
    })
  )

const leftovers = () => fs.readdirSync(at("mine")).filter((name) => targetOfTemporary(name) !== undefined)

describe.skipIf(!isRoot)("CallerFilesLive, as nobody", () => {
  setUp()
  afterAll(() => {
    for (const dir of [root, outside]) fs.rmSync(dir, { recursive: true, force: true })
  })

  it.live("reads a file nobody may read", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* readAll(at("public.txt")), "for everyone\n")
    }))

  it.live("refuses what nobody may not read, and what is not a regular file, naming why", () =>
    Effect.gen(function*() {
      const open = (file: string) => asNobody((files) => Effect.flip(files.openRead(file)))
      const secret = yield* open(at("secret.txt"))
      assert.strictEqual(secret.reason, "PermissionDenied")
      assert.strictEqual(secret.message, `cannot open ${at("secret.txt")}: permission denied`)

      const shadow = yield* open("/etc/shadow")
      assert.strictEqual(shadow.reason, "PermissionDenied")
      assert.include(shadow.message, "file jobs never use /etc")

      const link = yield* open(at("passwd-link"))
      assert.strictEqual(link.reason, "SymbolicLink")

      const escaped = yield* open(at("away", "far.txt"))
      assert.strictEqual(escaped.reason, "PermissionDenied")
      assert.include(escaped.message, `it leads to ${path.join(outside, "far.txt")}, and it is outside the file roots`)

      const pipe = yield* open(at("pipe"))
      assert.include(pipe.message, "it is a named pipe; only regular files are read here")

      const relative = yield* open("public.txt")
      assert.include(relative.message, "the path must be absolute")

      const big = yield* open(at("big.bin"))
      assert.strictEqual(big.reason, "TooLarge")
      assert.include(big.message, "more than file_job_max_bytes (1024)")
    }))

  it.live("creates an output as nobody, with nobody's umask, only where nobody may write", () =>
    Effect.gen(function*() {
      const output = at("mine", "out.txt")
      yield* asNobody((files) => files.writeAtomic(output, new TextEncoder().encode("written\n"), { mode: 0o666 }))
      const stats = fs.statSync(output)
      assert.deepStrictEqual([stats.uid, stats.gid, stats.mode & 0o777], [65534, 65534, 0o640])
      assert.strictEqual(fs.readFileSync(output, "utf8"), "written\n")

      const exists = yield* failure(asNobody((files) => files.writeAtomic(output, new Uint8Array(1))))
      assert.strictEqual(exists.reason, "Exists")

      const rootDir = yield* asNobody((files) => Effect.flip(files.writeAtomic(at("made-by-nobody.txt"), new Uint8Array(1))))
      assert.strictEqual(rootDir.reason, "PermissionDenied")
      assert.isFalse(fs.existsSync(at("made-by-nobody.txt")))

      const etc = yield* asNobody((files) => Effect.flip(files.writeAtomic("/etc/sigmavault-owned", new Uint8Array(1))))
      assert.include(etc.message, "file jobs never use /etc")
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.live("an output cut off by a failure, an interruption or the size limit leaves nothing behind", () =>
    Effect.gen(function*() {
      const output = at("mine", "partial.bin")
      const tooBig = yield* asNobody((files) =>
        Effect.flip(Effect.gen(function*() {
          const out = yield* files.openAtomic(output)
          yield* out.write(new Uint8Array(1000))
          yield* out.write(new Uint8Array(1000))
        }))
      )
      assert.strictEqual(tooBig.reason, "TooLarge")
      const scope = yield* Scope.make()
      const files = yield* Scope.provide(service.forCaller(NOBODY), scope)
      const out = yield* Scope.provide(files.openAtomic(output), scope)
      yield* out.write(new Uint8Array(10))
      assert.lengthOf(leftovers(), 1, "the temporary file exists while the job runs")
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(leftovers(), [])
      assert.isFalse(fs.existsSync(output))
    }))

  it.live("with a journal, an output is recorded as nobody's before its first byte, and struck off once published or removed", () =>
    Effect.gen(function*() {
      const journal = yield* openJournal(FilesLive.make(), path.join(outside, "file-jobs.journal"))
      const journalled = CallerFilesLive.make({ helper: HELPER, confinement: Effect.succeed({ roots: [root], forbidden: [] }), maxBytes: 1024, journal })
      const write = (output: string, finish: boolean) =>
        Effect.scoped(Effect.gen(function*() {
          const files = yield* journalled.forCaller(NOBODY)
          const out = yield* files.openAtomic(output)
          const [temporary] = leftovers()
          const stats = fs.statSync(at("mine", temporary!), { bigint: true })
          assert.deepStrictEqual(journal.open(), [{
            path: at("mine", temporary!),
            device: String(stats.dev),
            inode: String(stats.ino),
            uid: 65534,
            gid: 65534,
            groups: []
          }])
          yield* out.write(new Uint8Array(10))
          if (finish) yield* out.commit()
        }))
      yield* write(at("mine", "journalled.bin"), true)
      assert.deepStrictEqual([journal.open(), leftovers(), fs.existsSync(at("mine", "journalled.bin"))], [[], [], true])
      yield* write(at("mine", "abandoned.bin"), false)
      assert.deepStrictEqual([journal.open(), leftovers(), fs.existsSync(at("mine", "abandoned.bin"))], [[], [], false])
    }).pipe(Effect.scoped))

  it.live("a helper killed mid-write leaves nothing: another helper, as nobody, removes its temporary file", () =>
    Effect.gen(function*() {
      const journal = yield* openJournal(FilesLive.make(), path.join(outside, "killed.journal"))
      const journalled = CallerFilesLive.make({ helper: HELPER, confinement: Effect.succeed({ roots: [root], forbidden: [] }), maxBytes: 1024, journal })
      const failed = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
        const files = yield* journalled.forCaller(NOBODY)
        const out = yield* files.openAtomic(at("mine", "killed.bin"))
        yield* out.write(new Uint8Array(10))
        const helperPid = partsOfTemporary(leftovers()[0]!)!.pid
        process.kill(helperPid, "SIGKILL")
        // The helper is gone: the commit cannot be made, and the scope closes with the file still there.
        yield* Effect.promise(() => new Promise<void>((resolve) => {
          const poll = () => (fs.existsSync(`/proc/${helperPid}/status`) && !fs.readFileSync(`/proc/${helperPid}/status`, "utf8").includes("State:\tZ") ? setTimeout(poll, 10) : resolve())
          poll()
        }))
        yield* out.commit()
      })))
      assert.isTrue(Exit.isFailure(failed))
      assert.deepStrictEqual([leftovers(), journal.open(), fs.existsSync(at("mine", "killed.bin"))], [[], [], false])
    }).pipe(Effect.scoped))

  it.live("a sweep removes, as the caller, only a journalled temporary file that is still the one made, reached without a link", () =>
    Effect.gen(function*() {
      fs.mkdirSync(at("mine", "sweep"), { mode: 0o755 })
      fs.chownSync(at("mine", "sweep"), 65534, 65534)
      const made = (file: string, owner = 65534): JournalEntry => {
        fs.writeFileSync(file, "partial plaintext")
        fs.chownSync(file, owner, owner)
        const stats = fs.statSync(file, { bigint: true })
        return { path: file, device: String(stats.dev), inode: String(stats.ino), uid: 65534, gid: 65534, groups: [] }
      }
      const left = made(at("mine", "sweep", "out.tmp-1-0123456789ab"))
      const replaced = made(at("mine", "sweep", "other.tmp-1-0123456789ab"))
      // Made while the old one still exists, so it cannot get its inode.
      fs.writeFileSync(at("mine", "sweep", "newcomer"), "a new file under the old name")
      fs.renameSync(at("mine", "sweep", "newcomer"), replaced.path)
      const notATemporary = made(at("mine", "sweep", "kept.txt"))
      const notNobodys = made(at("secret.tmp-1-0123456789ab"), 0)
      // A directory swapped for a link after the crash: the file behind the link has the journalled name and inode.
      fs.mkdirSync(at("mine", "moved"))
      const behindLink = made(at("mine", "moved", "out.tmp-2-0123456789ab"))
      fs.renameSync(at("mine", "moved"), at("mine", "elsewhere"))
      fs.symlinkSync(at("mine", "elsewhere"), at("mine", "moved"))
      const gone = { ...left, path: at("mine", "sweep", "gone.tmp-1-0123456789ab") }

      const outcomes = yield* CallerFilesLive.sweepTemporaries(HELPER, [left, replaced, notATemporary, notNobodys, behindLink, gone])
      assert.deepStrictEqual(outcomes.map((o) => [path.relative(root, o.entry.path), o.result]), [
        ["mine/sweep/out.tmp-1-0123456789ab", "removed"],
        ["mine/sweep/other.tmp-1-0123456789ab", "refused"],
        ["mine/sweep/kept.txt", "refused"],
        ["secret.tmp-1-0123456789ab", "refused"],
        ["mine/moved/out.tmp-2-0123456789ab", "refused"],
        ["mine/sweep/gone.tmp-1-0123456789ab", "gone"]
      ])
      assert.isFalse(fs.existsSync(left.path))
      for (const kept of [replaced.path, notATemporary.path, notNobodys.path, at("mine", "elsewhere", "out.tmp-2-0123456789ab")]) {
        assert.isTrue(fs.existsSync(kept), kept)
      }
      assert.match(outcomes[3]!.detail!, /EACCES|permission denied/i)
      assert.match(outcomes[4]!.detail!, /symbolic link/)
    }))

  it.live("a walk goes only into directories nobody could list", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const unreadable: Array<string> = []
      const visitor: WalkVisitor = {
        entry: (entry) => (seen.push(path.relative(root, entry.path)), true),
        leave: () => {},
        unreadable: (file) => void unreadable.push(path.relative(root, file))
      }
      yield* asNobody((files) => files.walk(root, visitor))
      assert.include(seen, "closed")
      assert.notInclude(seen, path.join("closed", "inside.txt"))
      assert.include(unreadable, "closed")

      const denied = yield* failure(asNobody((files) => files.walk(at("closed"), visitor)))
      assert.strictEqual(denied.reason, "PermissionDenied")
      const link = yield* failure(asNobody((files) => files.walk(at("away"), visitor)))
      assert.strictEqual(link.reason, "SymbolicLink")
    }))

  it.live("everything else is refused to a caller's job", () =>
    Effect.gen(function*() {
      const error = yield* failure(asNobody((files) => files.remove(at("public.txt"))))
      assert.include(error.message, "'remove' is not among them")
      assert.isTrue(fs.existsSync(at("public.txt")))
    }))

  it.live("a scratch file is made by the caller where it may create files, reached by the daemon through the helper's descriptor, and removed with its scope", () =>
    Effect.gen(function*() {
      const made = yield* Effect.scoped(Effect.gen(function*() {
        const scratch = yield* service.scratch(NOBODY, at("mine"), ".bench")
        assert.strictEqual(path.dirname(scratch.path), at("mine"))
        assert.strictEqual(targetOfTemporary(path.basename(scratch.path)), ".bench")
        assert.match(scratch.toolPath, /^\/proc\/\d+\/fd\/\d+$/)
        const info = fs.statSync(scratch.path)
        assert.deepStrictEqual([info.uid, info.gid, info.mode & 0o777, info.size], [65534, 65534, 0o600, 0])
        // The daemon writes through the descriptor, whatever the name now leads to.
        fs.writeFileSync(scratch.toolPath, "benchmark data")
        assert.strictEqual(fs.readFileSync(scratch.path, "utf8"), "benchmark data")
        return scratch.path
      }))
      assert.isFalse(fs.existsSync(made))
      assert.deepStrictEqual(leftovers(), [])
      // nobody may not create files in the root itself, nor anywhere outside the roots.
      const denied = yield* Effect.flip(Effect.scoped(service.scratch(NOBODY, root, ".bench")))
      assert.strictEqual(denied.reason, "PermissionDenied")
      const outsideRoots = yield* Effect.flip(Effect.scoped(service.scratch(NOBODY, "/etc", ".bench")))
      assert.include(outsideRoots.message, "file jobs never use /etc")
    }))

  it.live("hashes a batch as nobody: what nobody may read is hashed; the rest is refused file by file, naming why", () =>
    Effect.gen(function*() {
      const hasher = yield* service.hasherFor(NOBODY)
      const outcomes = yield* hasher([
        { path: at("public.txt"), size: 13 },
        { path: at("secret.txt"), size: 10 },
        { path: at("passwd-link"), size: 0 },
        { path: at("pipe"), size: 0 },
        { path: "/etc/shadow", size: 0 },
        { path: at("away", "far.txt"), size: 8 },
        { path: at("big.bin"), size: 4096 },
        { path: at("nosuch"), size: 0 }
      ])
      const [pub, ...rest] = outcomes
      assert.isTrue(Result.isSuccess(pub!))
      assert.deepInclude((pub as Result.Success<{ sha256: string; bytes: number; mode: number }, unknown>).success, {
        sha256: createHash("sha256").update("for everyone\n").digest("hex"),
        bytes: 13,
        mode: 0o644
      })
      const why = rest.map((outcome) => (Result.isFailure(outcome) ? outcome.failure.message : "hashed"))
      assert.match(why[0]!, /secret\.txt: permission denied/)
      assert.match(why[1]!, /symbolic link/)
      assert.match(why[2]!, /named pipe/)
      assert.match(why[3]!, /file jobs never use \/etc/)
      assert.match(why[4]!, /leads to .*sv-outside-.*far\.txt/)
      assert.match(why[5]!, /too large/)
      assert.match(why[6]!, /no such file/)
    }).pipe(Effect.scoped))
})
