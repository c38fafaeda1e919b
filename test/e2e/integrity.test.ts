/**
 * CRYPTO's manifests and CIPHER's header inspection through the compiled
 * binary, as users run them: `manifest`, damage, `verify`; a tampered
 * manifest refused; `inspect-vault`. Then as real unprivileged users (root
 * makes them, as test/e2e/security.test.ts does): a tree they cannot read
 * and a place they may not write stay out of reach.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, type Daemon, startDaemon, cliAs, idOf } from "./harness.ts"

describe("manifest, verify and inspect-vault", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-integrity-${process.pid}-`)))
  let daemon: Daemon
  beforeAll(async () => {
    daemon = await startDaemon()
  }, 30_000)
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
    if (daemon !== undefined) rmSync(daemon.dir, { recursive: true, force: true })
  })

  it("manifest then damage then verify: bit rot, changes, missing and added files named; a tampered manifest refused", async () => {
    const tree = join(dir, "photos")
    mkdirSync(join(tree, "2026"), { recursive: true })
    writeFileSync(join(tree, "2026", "beach.jpg"), randomBytes(300_000))
    writeFileSync(join(tree, "2026", "hills.jpg"), randomBytes(200_000))
    writeFileSync(join(tree, "notes.txt"), "holiday\n")
    writeFileSync(join(tree, "-rf"), "not an option\n")
    writeFileSync(join(tree, "line\nbreak.txt"), "odd name\n")
    for (const name of ["2026/beach.jpg", "2026/hills.jpg", "notes.txt", "-rf", "line\nbreak.txt"]) utimesSync(join(tree, name), 1_700_000_000, 1_700_000_000)
    const manifest = join(dir, "photos.manifest")
    const socket = ["--socket", daemon.socket]

    const made = await cli(["manifest", tree, "-o", manifest, "--json", ...socket])
    expect(made.code, made.stderr).toBe(0)
    expect(JSON.parse(made.stdout)).toMatchObject({ output: manifest, files: 5, bytes: 500_000 + 8 + 14 + 9 })
    expect(readFileSync(manifest, "utf8")).toContain(" line%0Abreak.txt\n")

    const clean = await cli(["verify", tree, manifest, ...socket])
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toMatch(/^intact: /)

    // Silent corruption: one bit, mtime put back.
    const beach = readFileSync(join(tree, "2026", "beach.jpg"))
    beach[12_345] = beach[12_345]! ^ 0x04
    writeFileSync(join(tree, "2026", "beach.jpg"), beach)
    utimesSync(join(tree, "2026", "beach.jpg"), 1_700_000_000, 1_700_000_000)
    writeFileSync(join(tree, "notes.txt"), "holiday, edited\n")
    rmSync(join(tree, "2026", "hills.jpg"))
    writeFileSync(join(tree, "new.txt"), "new\n")

    const damaged = await cli(["verify", tree, manifest, ...socket])
    expect(damaged.code, damaged.stderr).toBe(1)
    expect(damaged.stdout).toMatch(/^NOT INTACT/)
    expect(damaged.stdout).toMatch(/BIT ROT[^\n]*\(1\):\n {2}2026\/beach\.jpg\n/)
    expect(damaged.stdout).toMatch(/changed \(1\):\n {2}notes\.txt \(size, mtime\)\n/)
    expect(damaged.stdout).toMatch(/missing \(1\):\n {2}2026\/hills\.jpg\n/)
    expect(damaged.stdout).toMatch(/added \(1\):\n {2}new\.txt\n/)
    const json = JSON.parse((await cli(["verify", tree, manifest, "--json", ...socket])).stdout)
    expect(json.counts).toEqual({ changed: 1, bitRot: 1, missing: 1, added: 1, unreadable: 0, metadataChanged: 0 })

    const text = readFileSync(manifest, "utf8")
    const tampered = join(dir, "tampered.manifest")
    writeFileSync(tampered, text.replace(/^f [0-9a-f]{64} (\d+) (\d+) (\d{4}) 2026\/beach\.jpg$/m, (line) => line.replace(/^f [0-9a-f]{64}/, `f ${"0".repeat(64)}`)))
    const refused = await cli(["verify", tree, tampered, ...socket])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toContain("changed after it was signed")

    const again = await cli(["manifest", tree, "-o", manifest, ...socket])
    expect(again.code).toBe(4)
    expect(again.stderr).toContain("already exists")
  }, 60_000)

  it("inspect-vault reads a header without a key; garbage and a cut header are named, not crashed on", async () => {
    const plain = join(dir, "report.txt")
    writeFileSync(plain, "pool tank: all well\n".repeat(10_000))
    const publicKey = (await cli(["keys", "export", "--socket", daemon.socket])).stdout.trim()
    const encrypted = await cli(["encrypt", "-r", publicKey, "-o", `${plain}.sv`, plain])
    expect(encrypted.code, encrypted.stderr).toBe(0)
    const inspected = await cli(["inspect-vault", `${plain}.sv`, "--json"])
    expect(inspected.code, inspected.stderr).toBe(0)
    expect(JSON.parse(inspected.stdout)).toMatchObject({ version: 1, chunkSize: 1024 * 1024, recipients: 1, headerBytes: 1246, chunks: 1, plaintextBytes: 200_000 })
    const human = await cli(["inspect-vault", `${plain}.sv`])
    expect(human.stdout).toContain("format version 1")

    const keyed = await cli(["ask", "CIPHER", JSON.stringify({ type: "inspect", input: `${plain}.sv` }), "--socket", daemon.socket])
    expect(keyed.code, keyed.stderr).toBe(0)
    expect(JSON.parse(keyed.stdout)).toMatchObject({ headerAuthentic: true, stanzas: [{ index: 0, keyId: expect.stringMatching(/^[0-9a-f]{16}$/) }] })

    const garbage = await cli(["inspect-vault", plain])
    expect(garbage.code).toBe(1)
    expect(garbage.stderr).toContain("not a SigmaVault encrypted file")
    writeFileSync(join(dir, "cut.sv"), readFileSync(`${plain}.sv`).subarray(0, 700))
    const cut = await cli(["inspect-vault", join(dir, "cut.sv")])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toContain("ends inside the header")
  }, 60_000)
})

const isRoot = process.getuid?.() === 0
const suffix = randomBytes(3).toString("hex")
const OPERATORS = `svio${suffix}`
const OPERATOR = `svintop${suffix}`

const as = cliAs

describe.skipIf(!isRoot)("an operator who is not root", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-integrity-users-${process.pid}-`)))
  const srv = join(dir, "srv")
  let daemon: Daemon

  beforeAll(async () => {
    execFileSync("groupadd", [OPERATORS])
    execFileSync("useradd", ["-M", "-N", "-g", OPERATORS, "-s", "/usr/sbin/nologin", OPERATOR])
    chmodSync(dir, 0o755)
    mkdirSync(join(srv, "mine"), { recursive: true })
    mkdirSync(join(srv, "private"), { recursive: true })
    mkdirSync(join(srv, "root-only"), { recursive: true })
    chmodSync(srv, 0o755)
    chownSync(join(srv, "mine"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    writeFileSync(join(srv, "mine", "a.txt"), "mine\n")
    writeFileSync(join(srv, "private", "salaries.csv"), "alice,100000\n", { mode: 0o600 })
    chmodSync(join(srv, "private"), 0o700)
    chmodSync(join(srv, "root-only"), 0o755)
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${OPERATORS}`,
      "socket_mode = 0660",
      `role_read = ${OPERATORS}`,
      `role_operate = ${OPERATORS}`,
      `file_roots = ${srv}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf"), "--dbus", "none"] })
    chmodSync(join(dir, "run"), 0o755)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    execFileSync("userdel", [OPERATOR])
    execFileSync("groupdel", [OPERATORS])
    rmSync(dir, { recursive: true, force: true })
  })

  it("cannot manifest or verify a tree they cannot read, nor write a manifest where they may not", async () => {
    const socket = ["--socket", daemon.socket]
    const unreadable = await as(OPERATOR, ["manifest", join(srv, "private"), "-o", join(srv, "mine", "private.manifest"), ...socket])
    expect(unreadable.code).toBe(4)
    expect(unreadable.stderr).toMatch(/permission denied/)
    expect(existsSync(join(srv, "mine", "private.manifest"))).toBe(false)

    const outsideRoots = await as(OPERATOR, ["manifest", "/etc", "-o", join(srv, "mine", "etc.manifest"), ...socket])
    expect(outsideRoots.code).toBe(4)
    expect(outsideRoots.stderr).toMatch(/file jobs never use \/etc/)

    const nowhere = await as(OPERATOR, ["manifest", join(srv, "mine"), "-o", join(srv, "root-only", "m"), ...socket])
    expect(nowhere.code).toBe(4)
    expect(nowhere.stderr).toMatch(/cannot create .*root-only\/m: permission denied/)
    expect(existsSync(join(srv, "root-only", "m"))).toBe(false)
    const intoEtc = await as(OPERATOR, ["manifest", join(srv, "mine"), "-o", "/etc/sigmavault-owned", ...socket])
    expect(intoEtc.code).toBe(4)
    expect(existsSync("/etc/sigmavault-owned")).toBe(false)

    // Not beside their tree in a directory only root may write, but in their own: it works, and the manifest is theirs.
    const beside = await as(OPERATOR, ["manifest", join(srv, "mine"), "-o", join(srv, "mine.manifest"), ...socket])
    expect(beside.code).toBe(4)
    expect(beside.stderr).toMatch(/permission denied/)
    mkdirSync(join(srv, "out"))
    chownSync(join(srv, "out"), idOf("-u", OPERATOR), idOf("-g", OPERATOR))
    const made = await as(OPERATOR, ["manifest", join(srv, "mine"), "-o", join(srv, "out", "mine.manifest"), ...socket])
    expect(made.code, made.stderr).toBe(0)
    expect(statSync(join(srv, "out", "mine.manifest")).uid).toBe(idOf("-u", OPERATOR))
    const verified = await as(OPERATOR, ["verify", join(srv, "mine"), join(srv, "out", "mine.manifest"), ...socket])
    expect(verified.code, verified.stderr).toBe(0)

    // Root makes a manifest of the private tree; the operator may not verify it (cannot read the tree's files).
    const rootManifest = join(srv, "mine", "private.root.manifest")
    const byRoot = await cli(["manifest", join(srv, "private"), "-o", rootManifest, ...socket])
    expect(byRoot.code, byRoot.stderr).toBe(0)
    chmodSync(rootManifest, 0o644)
    const verify = await as(OPERATOR, ["verify", join(srv, "private"), rootManifest, ...socket])
    expect(verify.code).toBe(4)
    expect(verify.stderr).toMatch(/permission denied/)
    expect(statSync(rootManifest).uid).toBe(0)
  }, 60_000)
})
