/** MORPH's engine on real trees: copy, move, revert give hash-identical trees (content, modes, times, xattrs, owners); never an overwrite. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { begin, describeTree, differences, forward, makeTree, revert } from "../support/morph.ts"

const withTmp = <A, E>(use: (root: string) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `morph-${process.pid}-`)))),
    use,
    (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
  )

describe("MORPH engine", () => {
  it.live("copies a tree hash-identically (content, modes, times, user xattrs, owners), and revert removes the copy", () =>
    withTmp((root) =>
      Effect.gen(function*() {
        const src = path.join(root, "src")
        const dst = path.join(root, "dst")
        const journals = path.join(root, "journals")
        fs.mkdirSync(src)
        makeTree(src)
        const before = describeTree(src)
        const { plan, checks } = yield* begin(journals, root, "c1", "copy", src, dst)
        assert.isTrue(checks.every((c) => c.ok), JSON.stringify(checks))
        const state = yield* forward(journals, root, plan, { batchFiles: 3 })
        assert.deepStrictEqual(state.finished, { complete: true })
        assert.deepStrictEqual(differences(before, describeTree(dst)), [])
        assert.deepStrictEqual(differences(before, describeTree(src)), [])
        yield* revert(journals, root, plan)
        assert.isFalse(fs.existsSync(dst))
        assert.deepStrictEqual(differences(before, describeTree(src)), [])
      })))

  it.live("moves a tree: the destination is the source as it was, the source is gone; revert brings it back identical", () =>
    withTmp((root) =>
      Effect.gen(function*() {
        const src = path.join(root, "src")
        const dst = path.join(root, "dst")
        const journals = path.join(root, "journals")
        fs.mkdirSync(src)
        makeTree(src)
        const before = describeTree(src)
        const { plan } = yield* begin(journals, root, "m1", "move", src, dst)
        const state = yield* forward(journals, root, plan)
        assert.deepStrictEqual(state.finished, { complete: true })
        assert.isFalse(fs.existsSync(src))
        assert.deepStrictEqual(differences(before, describeTree(dst)), [])
        const reverted = yield* revert(journals, root, plan)
        assert.deepStrictEqual(reverted.reverted, { complete: true })
        assert.isFalse(fs.existsSync(dst))
        assert.deepStrictEqual(differences(before, describeTree(src)), [])
      })))

  it.live("refuses an existing destination, and one inside the source", () =>
    withTmp((root) =>
      Effect.gen(function*() {
        const src = path.join(root, "src")
        fs.mkdirSync(src)
        makeTree(src)
        fs.mkdirSync(path.join(root, "dst"))
        const exists = yield* Effect.flip(begin(path.join(root, "j"), root, "x", "move", src, path.join(root, "dst")))
        assert.include(exists.message, "never overwrites")
        const inside = yield* Effect.flip(begin(path.join(root, "j"), root, "y", "copy", src, path.join(src, "a", "copy")))
        assert.include(inside.message, "overlap")
        const outside = yield* Effect.flip(begin(path.join(root, "j"), root, "z", "copy", src, "/etc/copy"))
        assert.include(outside.message, "file roots")
      })))
})
