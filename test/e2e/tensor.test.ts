/** compress, decompress and the chunk store through the compiled binary. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { cli } from "./harness.ts"

const logText = Array.from({ length: 50_000 }, (_, i) => `2026-11-22T08:00:00Z INFO pool tank: scrub ${i} ok`).join("\n")

describe("compress and decompress", () => {
  it("chooses by content, round-trips, and refuses a corrupt file leaving no output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-compress-"))
    const log = join(dir, "daemon.log")
    writeFileSync(log, logText)
    const made = await cli(["compress", log, "--json"])
    expect(made.code, made.stderr).toBe(0)
    const result = JSON.parse(made.stdout)
    expect(result.output).toBe(`${log}.svz`)
    expect(result.ratio).toBeGreaterThan(10)
    expect(result.strategy.codec).not.toBe("store")
    const back = await cli(["decompress", `${log}.svz`, "-o", join(dir, "back.log")])
    expect(back.code, back.stderr).toBe(0)
    expect(readFileSync(join(dir, "back.log"), "utf8")).toBe(logText)

    writeFileSync(join(dir, "a.gz"), gzipSync(Buffer.from(logText)))
    const gz = await cli(["compress", join(dir, "a.gz")])
    expect(gz.stderr).toMatch(/gzip data .*already compressed; store/)

    const bytes = readFileSync(`${log}.svz`)
    bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length / 2)) ^ 0xff, Math.floor(bytes.length / 2))
    writeFileSync(join(dir, "bad.svz"), bytes)
    const bad = await cli(["decompress", join(dir, "bad.svz"), "-o", join(dir, "bad.out")])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/block|checksum|corrupt/i)
    expect(existsSync(join(dir, "bad.out"))).toBe(false)
    writeFileSync(join(dir, "short.svz"), bytes.subarray(0, 100))
    const short = await cli(["decompress", join(dir, "short.svz"), "-o", join(dir, "short.out")])
    expect([short.code, existsSync(join(dir, "short.out"))]).toEqual([1, false])
  })
})

describe("compress and decompress several files in one process", () => {
  it("writes each output beside its input; a failing file is named, leaves nothing, and the others still go through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-compress-many-"))
    const [a, b, c] = ["a.log", "b.log", "c.log"].map((name) => join(dir, name))
    writeFileSync(a!, logText)
    writeFileSync(c!, logText.repeat(2))
    // b.log does not exist: the one failure.
    const made = await cli(["compress", a!, b!, c!])
    expect(made.code).toBe(1)
    expect(made.stderr).toContain(`${b}: `)
    expect(made.stderr).toContain(`written to ${a}.svz`)
    expect(made.stderr).toContain(`written to ${c}.svz`)
    expect([existsSync(`${a}.svz`), existsSync(`${b}.svz`), existsSync(`${c}.svz`)]).toEqual([true, false, true])
    expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([])

    const json = await cli(["compress", a!, c!, "--json"])
    expect(json.code).toBe(1) // both outputs exist now
    expect(json.stderr).toMatch(/already exists/)
    expect(await cli(["compress", a!, c!, "-o", join(dir, "one.svz")])).toMatchObject({ code: 2 })
    expect(await cli(["compress", a!, "-"])).toMatchObject({ code: 2 })

    // Decompress both, one of them damaged: it leaves no output, the other does.
    const packed = join(dir, "packed")
    mkdirSync(packed)
    const bytes = readFileSync(`${c}.svz`)
    bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length / 2)) ^ 0xff, Math.floor(bytes.length / 2))
    writeFileSync(join(packed, "c.log.svz"), bytes)
    writeFileSync(join(packed, "a.log.svz"), readFileSync(`${a}.svz`))
    const back = await cli(["decompress", join(packed, "c.log.svz"), join(packed, "a.log.svz")])
    expect(back.code).toBe(1)
    expect(back.stderr).toMatch(new RegExp(`${join(packed, "c.log.svz").replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*(block|checksum|corrupt)`, "i"))
    expect(existsSync(join(packed, "c.log"))).toBe(false)
    expect(readFileSync(join(packed, "a.log"), "utf8")).toBe(logText)
    expect(readdirSync(packed).filter((name) => name.includes(".tmp-"))).toEqual([])
    // An input without the suffix has no output name when several are given.
    expect(await cli(["decompress", join(packed, "a.log.svz"), a!])).toMatchObject({ code: 2 })
  })

  it("writes to a character device such as /dev/null directly, and still fails on a corrupt input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-compress-null-"))
    const log = join(dir, "daemon.log")
    writeFileSync(log, logText)
    const toNull = await cli(["compress", log, "-o", "/dev/null"])
    expect(toNull.code, toNull.stderr).toBe(0)
    expect(toNull.stderr).toContain("written to /dev/null")
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true)
    expect((await cli(["compress", log])).code).toBe(0)
    const back = await cli(["decompress", `${log}.svz`, "-o", "/dev/null"])
    expect(back.code, back.stderr).toBe(0)
    const bytes = readFileSync(`${log}.svz`)
    writeFileSync(join(dir, "short.svz"), bytes.subarray(0, bytes.length - 10))
    const short = await cli(["decompress", join(dir, "short.svz"), "-o", "/dev/null"])
    expect(short.code).toBe(1)
    expect(short.stderr).toMatch(/truncated/)
    expect(readdirSync(dir).sort()).toEqual(["daemon.log", "daemon.log.svz", "short.svz"])
  })
})

describe("the chunk store", () => {
  it("init, add twice, ls, restore byte-identical with modes and mtimes, stats, verify catching a flipped bit, forget and gc", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-store-"))
    const repo = join(dir, "repo")
    const data = join(dir, "data")
    mkdirSync(join(data, "logs"), { recursive: true })
    writeFileSync(join(data, "logs", "a.log"), logText)
    writeFileSync(join(data, "script.sh"), "#!/bin/sh\necho scrub\n")
    chmodSync(join(data, "script.sh"), 0o750)
    utimesSync(join(data, "script.sh"), new Date("2025-01-02T03:04:05Z"), new Date("2025-01-02T03:04:05Z"))
    const stateDir = join(dir, "state")
    const on = (args: ReadonlyArray<string>) => cli(["store", ...args, "--repo", repo, "--state-dir", stateDir])

    const made = await on(["init"])
    expect(made.code, made.stderr).toBe(0)
    expect(made.stdout).toMatch(/encrypted to the keyring's default key [0-9a-f]{16}/)
    const first = await on(["add", data])
    expect(first.code, first.stderr).toBe(0)
    const snapshot = first.stdout.trim()
    writeFileSync(join(data, "logs", "b.log"), `${logText}\nmore`)
    expect((await on(["add", data])).code).toBe(0)
    const list = JSON.parse((await on(["ls", "--json"])).stdout)
    expect(list).toHaveLength(2)

    const target = join(dir, "restored")
    const restored = await on(["restore", snapshot, target])
    expect(restored.code, restored.stderr).toBe(0)
    // Each added directory is restored under its own name.
    const restoredRoot = join(target, "data")
    expect(readFileSync(join(restoredRoot, "logs", "a.log"), "utf8")).toBe(logText)
    expect(existsSync(join(restoredRoot, "logs", "b.log"))).toBe(false)
    expect(statSync(join(restoredRoot, "script.sh")).mode & 0o777).toBe(0o750)
    expect(statSync(join(restoredRoot, "script.sh")).mtime.toISOString()).toBe("2025-01-02T03:04:05.000Z")

    const stats = JSON.parse((await on(["stats", "--json"])).stdout)
    expect(stats.snapshots).toBe(2)
    expect(stats.dedupRatio).toBeGreaterThan(1.5)
    expect(stats.compressionRatio).toBeGreaterThan(5)
    expect((await on(["verify"])).code).toBe(0)

    const packsDir = readdirSync(repo).includes("packs") ? join(repo, "packs") : repo
    const packs = readdirSync(packsDir, { recursive: true }).map(String).filter((name) => statSync(join(packsDir, name)).isFile())
    const pack = join(packsDir, packs.sort((a, b) => statSync(join(packsDir, b)).size - statSync(join(packsDir, a)).size)[0]!)
    const bytes = readFileSync(pack)
    bytes.writeUInt8(bytes.readUInt8(Math.floor(bytes.length / 3)) ^ 0x01, Math.floor(bytes.length / 3))
    writeFileSync(pack, bytes)
    const damaged = await on(["verify"])
    expect(damaged.code).toBe(1)
    expect(damaged.stdout).toMatch(/damaged: snapshot [0-9a-f]{8} .*\.(log|sh)/)
    rmSync(dir, { recursive: true, force: true })
  })

  it("encrypts by default to the keyring's key, opens only with a key that is a recipient, and stays unencrypted only on request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-store-keys-"))
    try {
      const data = join(dir, "data")
      mkdirSync(data)
      writeFileSync(join(data, "a.log"), logText)
      const marker = "scrub 49999 ok"
      const home = join(dir, "home")
      const other = join(dir, "other")
      const repo = join(dir, "repo")
      const store = (args: ReadonlyArray<string>, state = home, env: Record<string, string> = {}) =>
        cli(["store", ...args, "--repo", repo, "--state-dir", state], env)

      const made = await store(["init", "--json"])
      expect(made.code, made.stderr).toBe(0)
      const info = JSON.parse(made.stdout)
      expect(info.cipher).toBe("vault-v1")
      expect(info.keyIds).toHaveLength(1)
      const config = readFileSync(join(repo, "config"), "utf8")
      expect(config).not.toMatch(/"chunkIdKey": "[0-9a-f]{64}"/)
      const added = await store(["add", data])
      expect(added.code, added.stderr).toBe(0)
      const snapshot = added.stdout.trim()
      for (const name of readdirSync(join(repo, "packs"))) expect(readFileSync(join(repo, "packs", name)).includes(marker)).toBe(false)

      const restored = await store(["restore", snapshot, join(dir, "out"), "--sync"])
      expect(restored.code, restored.stderr).toBe(0)
      expect(readFileSync(join(dir, "out", "data", "a.log"), "utf8")).toBe(logText)

      // Another keyring's key is refused as a wrong key, naming the store's key; no keyring at all asks for a key.
      const otherKey = await cli(["store", "init", "--repo", join(dir, "scratch"), "--state-dir", other])
      expect(otherKey.code, otherKey.stderr).toBe(0)
      const wrong = await store(["ls"], other)
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toContain(`wrong key for store ${repo}: it is encrypted to key ${info.keyIds[0]}`)
      const none = await store(["ls"], join(dir, "nowhere"))
      expect(none.code).toBe(1)
      expect(none.stderr).toMatch(/is encrypted \(to key [0-9a-f]{16}\): opening it needs one of those secret keys \(tried the keyring in/)
      expect(existsSync(join(dir, "nowhere"))).toBe(false)

      // A sealed key file from keygen is a recipient with -r and opens with -i (passphrase from the environment).
      const keygen = await cli(["keygen", "-o", join(dir, "me.key")], { SIGMAVAULT_PASSPHRASE: "correct horse" })
      expect(keygen.code, keygen.stderr).toBe(0)
      const mine = join(dir, "mine")
      const byFile = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
        cli(["store", ...args, "--repo", mine, "--state-dir", join(dir, "nowhere")], env)
      expect((await byFile(["init", "-r", keygen.stdout.trim()])).code).toBe(0)
      const addedMine = await byFile(["add", data, "-i", join(dir, "me.key")], { SIGMAVAULT_PASSPHRASE: "correct horse" })
      expect(addedMine.code, addedMine.stderr).toBe(0)
      const badPass = await byFile(["verify", "-i", join(dir, "me.key")], { SIGMAVAULT_PASSPHRASE: "wrong" })
      expect(badPass.code).toBe(1)
      expect((await byFile(["verify", "-i", join(dir, "me.key")], { SIGMAVAULT_PASSPHRASE: "correct horse" })).code).toBe(0)

      // Unencrypted only with the flag, and never together with recipients.
      const plain = await cli(["store", "init", "--repo", join(dir, "plain"), "--insecure-no-encryption", "--json", "--state-dir", join(dir, "nowhere")])
      expect(plain.code, plain.stderr).toBe(0)
      expect(JSON.parse(plain.stdout).cipher).toBe("identity")
      expect(plain.stderr).toMatch(/not encrypted/)
      const both = await cli(["store", "init", "--repo", join(dir, "both"), "--insecure-no-encryption", "-r", keygen.stdout.trim()])
      expect(both.code).toBe(2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
