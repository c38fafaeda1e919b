/**
 * MORPH's fault matrix: whatever happens — kill -9 at every journal point
 * of a copy, a move and a revert; no space left; an immutable source; a
 * writer on the source — every file exists, complete and hash-identical,
 * in the source or the destination, and what finishes is the tree it was.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { requireTools } from "../support/tools.ts"
import { begin, type Described, describeTree, differences, forward, makeTree, readPlan, revert } from "../support/morph.ts"

const BUN = path.resolve("node_modules/.bin/bun")
const CHILD = path.resolve("test/support/morphChild.ts")
const made: Array<string> = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

const fresh = (label: string) => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `morph-faults-${process.pid}-${label}-`)))
  made.push(root)
  const src = path.join(root, "src")
  fs.mkdirSync(src)
  makeTree(src, { files: 7 })
  return { root, src, dst: path.join(root, "dst"), journals: path.join(root, "journals") }
}

/** Runs the child until it kills itself at `killAt`; true when it was killed, false when it finished first. */
const runChild = (args: object): boolean => {
  const result = spawnSync(BUN, [CHILD, JSON.stringify(args)], { encoding: "utf8", timeout: 60_000 })
  if (result.signal === "SIGKILL") return true
  assert.strictEqual(result.status, 0, `the child failed: ${result.stderr}`)
  return false
}

/** Every file and link of `before` is in `src` or `dst`, complete and identical (directories may be half-made). */
const nothingLost = (before: Map<string, Described>, src: string, dst: string, where: string) => {
  const inSrc = fs.existsSync(src) ? describeTree(src) : new Map<string, Described>()
  const inDst = fs.existsSync(dst) ? describeTree(dst) : new Map<string, Described>()
  for (const [rel, d] of before) {
    if (d.type === "directory") continue
    const same = (m: Map<string, Described>) => m.has(rel) && differences(new Map([[rel, d]]), new Map([[rel, m.get(rel)!]])).length === 0
    assert.isTrue(same(inSrc) || same(inDst), `${where}: ${rel} is neither in the source nor in the destination, complete`)
  }
}

const noTemporaries = (dir: string) => {
  if (!fs.existsSync(dir)) return
  const left = (fs.readdirSync(dir, { recursive: true }) as Array<string>).filter((n) => /\.tmp-\d+-[0-9a-f]{12}$/.test(n))
  assert.deepStrictEqual(left, [], `temporary files left in ${dir}`)
}

describe("MORPH fault matrix", () => {
  requireTools("getfattr", "setfattr", "chattr", "mkfs.ext4", "losetup", "mount", "unshare", "truncate")

  for (const mode of ["copy", "move"] as const) {
    it.live(`kill -9 at every journal point of a ${mode}, then resume: nothing lost, the tree complete`, () =>
      Effect.gen(function*() {
        let killed = 0
        for (let point = 1; ; point++) {
          const t = fresh(`${mode}${point}`)
          const before = describeTree(t.src)
          yield* begin(t.journals, t.root, "run", mode, t.src, t.dst)
          const wasKilled = runChild({ journals: t.journals, root: t.root, id: "run", phase: "forward", killAt: point, batchFiles: 3 })
          nothingLost(before, t.src, t.dst, `${mode}, killed at point ${point}`)
          const state = yield* forward(t.journals, t.root, readPlan(t.journals, "run"), { batchFiles: 3 })
          assert.deepStrictEqual(state.finished, { complete: true }, `${mode}, point ${point}`)
          assert.deepStrictEqual(differences(before, describeTree(t.dst)), [], `${mode}, point ${point}: the destination`)
          if (mode === "copy") assert.deepStrictEqual(differences(before, describeTree(t.src)), [], `point ${point}: the source`)
          else assert.isFalse(fs.existsSync(t.src), `point ${point}: the source is gone`)
          noTemporaries(t.dst)
          fs.rmSync(t.root, { recursive: true, force: true })
          if (!wasKilled) break
          killed++
        }
        console.log(`${mode}: killed at ${killed} journal points, resumed each time`)
        assert.isAbove(killed, 20, "the run has journal points to be killed at")
      }), 300_000)
  }

  it.live("kill -9 at every journal point of a move's revert, then resume: the source tree as it was", () =>
    Effect.gen(function*() {
      let killed = 0
      for (let point = 1; ; point++) {
        const t = fresh(`revert${point}`)
        const before = describeTree(t.src)
        const { plan } = yield* begin(t.journals, t.root, "run", "move", t.src, t.dst)
        yield* forward(t.journals, t.root, plan)
        const wasKilled = runChild({ journals: t.journals, root: t.root, id: "run", phase: "revert", killAt: point, batchFiles: 3 })
        nothingLost(before, t.src, t.dst, `revert, killed at point ${point}`)
        const state = yield* revert(t.journals, t.root, plan)
        assert.deepStrictEqual(state.reverted, { complete: true }, `revert, point ${point}`)
        assert.deepStrictEqual(differences(before, describeTree(t.src)), [], `revert, point ${point}: the source`)
        assert.isFalse(fs.existsSync(t.dst), `revert, point ${point}: the destination is gone`)
        noTemporaries(t.src)
        fs.rmSync(t.root, { recursive: true, force: true })
        if (!wasKilled) break
        killed++
      }
      console.log(`revert: killed at ${killed} journal points, resumed each time`)
      assert.isAbove(killed, 20)
    }), 300_000)

  it.live("an immutable source file is copied and verified but cannot be removed: reported, both kept", () =>
    Effect.gen(function*() {
      const t = fresh("immutable")
      const before = describeTree(t.src)
      const locked = path.join(t.src, "a", "f1.bin")
      execFileSync("chattr", ["+i", locked])
      try {
        const { plan } = yield* begin(t.journals, t.root, "run", "move", t.src, t.dst)
        const state = yield* forward(t.journals, t.root, plan)
        assert.deepStrictEqual(state.finished, { complete: false })
        const index = plan.entries.findIndex((e) => e.p === "a/f1.bin")
        assert.strictEqual(state.entries[index]!.step, "kept")
        assert.include(state.entries[index]!.why, "could not be removed")
        assert.deepStrictEqual(differences(before, describeTree(t.dst)), [])
        nothingLost(before, t.src, t.dst, "immutable")
        assert.isTrue(fs.existsSync(locked))
        // Revert: the kept file's copy goes, the rest comes back.
        execFileSync("chattr", ["-i", locked])
        const reverted = yield* revert(t.journals, t.root, plan)
        assert.deepStrictEqual(reverted.reverted, { complete: true })
        assert.deepStrictEqual(differences(before, describeTree(t.src)), [])
      } finally {
        spawnSync("chattr", ["-i", locked])
      }
    }))

  it.live("a writer on the source during the migration: that file is not removed, and reported", () =>
    Effect.gen(function*() {
      const t = fresh("writer")
      const target = path.join(t.src, "a", "b", "f2.bin")
      const { plan } = yield* begin(t.journals, t.root, "run", "move", t.src, t.dst)
      let wrote = false
      // The write lands after the file was copied, before it is verified (the journal point after its `copied` append).
      const state = yield* forward(t.journals, t.root, plan, { batchFiles: 2 }, {
        point: () => {
          const index = plan.entries.findIndex((e) => e.p === "a/b/f2.bin")
          if (!wrote && fs.existsSync(path.join(t.dst, "a", "b", "f2.bin"))) {
            void index
            fs.appendFileSync(target, "late write")
            wrote = true
          }
        }
      })
      assert.isTrue(wrote)
      const index = plan.entries.findIndex((e) => e.p === "a/b/f2.bin")
      assert.strictEqual(state.entries[index]!.step, "changed")
      assert.isTrue(fs.readFileSync(target).toString().endsWith("late write"), "the source, with its new bytes, is kept")
      assert.deepStrictEqual(state.finished, { complete: false })
    }))

  it.live("no space left on the destination (a loop-mounted ext4 image): failed files stay in the source, nothing half-made remains", () =>
    Effect.gen(function*() {
      const t = fresh("enospc")
      // Big enough files that the 4 MiB filesystem fills part-way.
      for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(t.src, `big${i}.bin`), Buffer.alloc(900 * 1024, i + 1))
      const before = describeTree(t.src)
      const image = path.join(t.root, "small.img")
      const mnt = path.join(t.root, "mnt")
      fs.mkdirSync(mnt)
      execFileSync("truncate", ["-s", "4M", image])
      execFileSync("mkfs.ext4", ["-q", "-F", "-O", "^has_journal", image])
      // A private mount namespace, so the mount never shows in the host's: the test runs inside it.
      const script = path.resolve("test/support/morphEnospc.ts")
      const result = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", 'mount -o loop "$1" "$2" && exec "$3" "$4" "$5"', "sh", image, mnt, BUN, script, JSON.stringify({ root: t.root, src: t.src, dst: path.join(mnt, "dst"), journals: t.journals })], { encoding: "utf8", timeout: 120_000 })
      assert.strictEqual(result.status, 0, result.stderr + result.stdout)
      const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { failed: number; verified: number; removed: number; noSpace: boolean; leftovers: Array<string>; dstFiles: Record<string, string> }
      assert.isTrue(report.noSpace, "the filesystem filled")
      assert.isAbove(report.failed, 0)
      assert.deepStrictEqual(report.leftovers, [])
      // Every file is in the source, or (moved) complete in the destination's image.
      const inSrc = describeTree(t.src)
      for (const [rel, d] of before) {
        if (d.type !== "file") continue
        assert.isTrue(inSrc.get(rel)?.sha256 === d.sha256 || report.dstFiles[rel] === d.sha256, `${rel} survives`)
      }
    }), 120_000)
})
