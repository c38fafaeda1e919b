/**
 * Manifests of real trees and their verification: each kind of damage lands
 * in its own category, and every single-bit flip is found.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as fc from "fast-check"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import { parseManifest } from "../../src/integrity/Manifest.ts"
import { buildManifest, hashFile, verifyTree } from "../../src/integrity/Tree.ts"

const base = fs.mkdtempSync(path.join(os.tmpdir(), `sigmavault-integrity-${process.pid}-`))
afterAll(() => fs.rmSync(base, { recursive: true, force: true }))

let trees = 0
const makeTree = (files: Readonly<Record<string, string | Uint8Array>>) => {
  const root = path.join(base, `tree-${trees++}`)
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    fs.writeFileSync(path.join(root, name), content)
    // Whole seconds, so a test can put an mtime back exactly (utimes takes a float number of seconds).
    fs.utimesSync(path.join(root, name), 1_700_000_000, 1_700_000_000)
  }
  return root
}

const run = <A, E>(effect: Effect.Effect<A, E, Files>) => Effect.runPromise(Effect.provide(effect, FilesLive.layer))

const manifestOf = async (root: string) => {
  const built = await run(buildManifest(root))
  return { built, parsed: Result.getOrThrow(parseManifest(built.body)) }
}

/** Changes bytes of a file and puts its mtime back, as a disk's silent corruption would leave it. */
const corrupt = (file: string, change: (bytes: Buffer) => void) => {
  const stat = fs.statSync(file, { bigint: true })
  const bytes = fs.readFileSync(file)
  change(bytes)
  fs.writeFileSync(file, bytes)
  fs.utimesSync(file, Number(stat.atimeNs / 1_000_000_000n), Number(stat.mtimeNs / 1_000_000_000n))
  return fs.statSync(file, { bigint: true }).mtimeNs === stat.mtimeNs
}

describe("hashFile", () => {
  it("is the SHA-256 of the file, read in pieces (3 MiB + 1 byte spans four reads)", async () => {
    const content = Buffer.alloc(3 * 1024 * 1024 + 1, 7)
    const root = makeTree({ "big.bin": content })
    const hashed = await run(hashFile(path.join(root, "big.bin")))
    assert.strictEqual(hashed.sha256, createHash("sha256").update(content).digest("hex"))
    assert.strictEqual(hashed.bytes, content.byteLength)
  })
})

describe("verifyTree", () => {
  it("an untouched tree is intact; each kind of change lands in its own category", async () => {
    const root = makeTree({
      "same.txt": "same\n",
      "edited.txt": "before\n",
      "rotted.bin": "0123456789abcdef",
      "gone.txt": "bye\n",
      "touched.txt": "touch\n",
      "chmodded.txt": "mode\n",
      "deep/a/b/c.txt": "deep\n",
      "-leading dash": "dash\n",
      "tab\tand\nnewline": "odd\n"
    })
    fs.symlinkSync("same.txt", path.join(root, "link"))
    const { built, parsed } = await manifestOf(root)
    assert.strictEqual(built.files, 9)
    assert.strictEqual(built.skipped, 1, "the symbolic link is skipped, not followed")

    const clean = await run(verifyTree(parsed, undefined))
    assert.isTrue(clean.intact)
    assert.strictEqual(clean.matched, 9)

    fs.writeFileSync(path.join(root, "edited.txt"), "after, longer\n")
    assert.isTrue(corrupt(path.join(root, "rotted.bin"), (b) => (b[3] = b[3]! ^ 0x10)))
    fs.rmSync(path.join(root, "gone.txt"))
    fs.writeFileSync(path.join(root, "new.txt"), "new\n")
    fs.utimesSync(path.join(root, "touched.txt"), 1_000_000, 1_000_000)
    fs.chmodSync(path.join(root, "chmodded.txt"), 0o600)

    const report = await run(verifyTree(parsed, undefined))
    assert.isFalse(report.intact)
    assert.deepStrictEqual(report.changed, [{ path: "edited.txt", what: ["size", "mtime"] }])
    assert.deepStrictEqual(report.bitRot, ["rotted.bin"])
    assert.deepStrictEqual(report.missing, ["gone.txt"])
    assert.deepStrictEqual(report.added, ["new.txt"])
    assert.deepStrictEqual(report.unreadable, [])
    assert.sameDeepMembers([...report.metadataChanged], [{ path: "touched.txt", what: ["mtime"] }, { path: "chmodded.txt", what: ["mode"] }])
    assert.strictEqual(report.matched, 6)
  })

  it("verifies a copy of the tree elsewhere when given its root", async () => {
    const root = makeTree({ "a.txt": "a\n", "b/c.txt": "c\n" })
    const { parsed } = await manifestOf(root)
    const copy = path.join(base, `copy-${trees++}`)
    fs.cpSync(root, copy, { recursive: true, preserveTimestamps: true })
    const report = await run(verifyTree(parsed, copy))
    assert.strictEqual(report.root, copy)
    assert.strictEqual(report.matched, 2)
    assert.isTrue(report.intact)
  })

  it("property: every single-bit flip in any file is found as bit rot (mtime and size kept)", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `dir${i % 3}/file-${i}.bin`)
    const root = makeTree(Object.fromEntries(names.map((name, i) => [name, Buffer.from(Array.from({ length: 1 + i * 9_000 }, (_, j) => (j * 31 + i) & 255))])))
    const { parsed } = await manifestOf(root)
    let flips = 0
    await fc.assert(fc.asyncProperty(fc.nat({ max: names.length - 1 }), fc.nat(), async (which, where) => {
      const file = path.join(root, names[which]!)
      const size = fs.statSync(file).size
      const bit = where % (size * 8)
      const flip = (b: Buffer) => (b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7)))
      assert.isTrue(corrupt(file, flip), "mtime restored exactly")
      const report = await run(verifyTree(parsed, undefined))
      assert.deepStrictEqual(report.bitRot, [names[which]], `bit ${bit} of ${names[which]}`)
      assert.strictEqual(report.matched, names.length - 1)
      assert.isTrue(corrupt(file, flip), "mtime restored exactly")
      flips++
    }), { numRuns: 200 })
    assert.strictEqual(flips, 200)
    assert.isTrue((await run(verifyTree(parsed, undefined))).intact)
  })
})
