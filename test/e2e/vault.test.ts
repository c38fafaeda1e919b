/**
 * keygen, encrypt, decrypt, keys and audit through the compiled binary, as
 * an administrator uses them: files and pipes, the exit code, what is (and
 * is not) left on disk after a failure.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { cli, cliBytes, startDaemon } from "./harness.ts"

const PASS = { SIGMAVAULT_PASSPHRASE: "correct horse battery staple" }

describe("encrypting files with the compiled binary", () => {
  const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-vault-"))
  const key = join(dir, "me.key")
  const plain = join(dir, "tank.tar")
  const content = randomBytes(3 * 1024 * 1024 + 12_345)
  let publicKey = ""

  beforeAll(async () => {
    writeFileSync(plain, content)
    const made = await cli(["keygen", "-o", key], PASS)
    expect(made.code, made.stderr).toBe(0)
    publicKey = made.stdout.trim()
  })

  it("keygen writes a sealed 0600 key file, prints the public key, and refuses to overwrite it", async () => {
    expect(publicKey).toMatch(/^svpk1[A-Za-z0-9_-]{1627}$/)
    expect(statSync(key).mode & 0o777).toBe(0o600)
    expect(readFileSync(key, "utf8")).not.toContain("unsealed")
    const again = await cli(["keygen", "-o", key], PASS)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/refusing to overwrite/)
    const noPassphrase = await cli(["keygen", "-o", join(dir, "other.key")], { SIGMAVAULT_PASSPHRASE: "" })
    expect(noPassphrase.code).toBe(1)
    expect(noPassphrase.stderr).toMatch(/--no-passphrase/)
  })

  it("round-trips a file, and a stream through stdin and stdout", async () => {
    expect((await cli(["encrypt", "-r", publicKey, "-o", `${plain}.sv`, plain])).code).toBe(0)
    const decrypted = await cli(["decrypt", "-i", key, "-o", `${plain}.out`, `${plain}.sv`], PASS)
    expect(decrypted.code, decrypted.stderr).toBe(0)
    expect(readFileSync(`${plain}.out`).equals(content)).toBe(true)

    const encrypted = await cliBytes(["encrypt", "-r", publicKey], { input: content })
    expect(encrypted.code).toBe(0)
    const back = await cliBytes(["decrypt", "-i", key, "-"], { env: PASS, input: encrypted.stdout })
    expect(back.code, back.stderr).toBe(0)
    expect(back.stdout.equals(content)).toBe(true)
    const empty = await cliBytes(["encrypt", "-r", publicKey])
    expect((await cliBytes(["decrypt", "-i", key], { env: PASS, input: empty.stdout })).stdout.length).toBe(0)
  })

  it("-o /dev/null (a character device) is written directly, as age does, and the device stays a device", async () => {
    const encrypted = await cli(["encrypt", "-r", publicKey, "-o", "/dev/null", plain])
    expect([encrypted.code, encrypted.stderr]).toEqual([0, ""])
    const decrypted = await cli(["decrypt", "-i", key, "-o", "/dev/null", `${plain}.sv`], PASS)
    expect([decrypted.code, decrypted.stderr]).toEqual([0, ""])
    // A failed decryption to a device still fails: it is no atomic write, but the exit status says so.
    writeFileSync(join(dir, "cut.sv"), readFileSync(`${plain}.sv`).subarray(0, 5_000))
    const cut = await cli(["decrypt", "-i", key, "-o", "/dev/null", join(dir, "cut.sv")], PASS)
    expect([cut.code, cut.stderr]).toEqual([1, expect.stringMatching(/truncated|failed authentication/)])
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true)
    expect(readdirSync("/dev").filter((name) => name.startsWith("null.tmp-"))).toEqual([])
  })

  it("any failure exits non-zero and leaves no output file", async () => {
    const sealed = readFileSync(`${plain}.sv`)
    const cases: ReadonlyArray<[string, Buffer, RegExp]> = [
      ["flipped", Buffer.from(sealed.map((b, i) => (i === sealed.length - 5_000 ? b ^ 1 : b))), /failed authentication/],
      ["truncated", sealed.subarray(0, sealed.length - 1024 * 1024 - 16), /truncated|failed authentication/],
      ["header", Buffer.from(sealed.map((b, i) => (i === 20 ? b ^ 1 : b))), /header authentication failed/],
      ["not-vault", Buffer.from("hello"), /not a SigmaVault encrypted file/]
    ]
    for (const [name, bytes, expected] of cases) {
      writeFileSync(join(dir, `${name}.sv`), bytes)
      const result = await cli(["decrypt", "-i", key, "-o", join(dir, `${name}.out`), join(dir, `${name}.sv`)], PASS)
      expect(result.code, name).toBe(1)
      expect(result.stderr, name).toMatch(expected)
      expect(existsSync(join(dir, `${name}.out`)), name).toBe(false)
    }
    const wrong = await cli(["decrypt", "-i", key, "-o", join(dir, "wrong.out"), `${plain}.sv`], { SIGMAVAULT_PASSPHRASE: "nope" })
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringMatching(/wrong passphrase/)])
    const other = join(dir, "other-unsealed.key")
    expect((await cli(["keygen", "-o", other, "--no-passphrase"])).code).toBe(0)
    const notForIt = await cli(["decrypt", "-i", other, "-o", join(dir, "other.out"), `${plain}.sv`])
    expect([notForIt.code, notForIt.stderr]).toEqual([1, expect.stringMatching(/no matching recipient/)])
    expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([])
  })

  it("refuses bad invocations with usage errors", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, RegExp]> = [
      [["encrypt", plain, "-o", join(dir, "x.sv")], /at least one recipient/],
      [["encrypt", "-r", "svpk1short", "-o", join(dir, "x.sv"), plain], /recipient 1 \(-r\): not a SigmaVault public key/],
      [["encrypt", "-r", publicKey, "-o", `${plain}.sv`, plain], /already exists/],
      [["decrypt", `${plain}.sv`], /needs a secret key file/]
    ]
    for (const [args, expected] of cases) {
      const result = await cli(args)
      expect(result.code, args.join(" ")).not.toBe(0)
      expect(result.stderr, args.join(" ")).toMatch(expected)
    }
  })
})

describe("the keyring and the audit ledger of a running daemon", () => {
  it("keys list/rotate/export, audit tail and verify; a modified entry or a torn line is reported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-audit-"))
    const daemon = await startDaemon({ dir })
    const on = (args: ReadonlyArray<string>) => cli([...args, "--socket", daemon.socket])
    expect((await on(["keys", "list"])).stdout).toMatch(/no keys yet/)
    const rotated = await on(["keys", "rotate"])
    expect(rotated.stdout).toMatch(/^new default key [0-9a-f]{16}/)
    const exported = (await on(["keys", "export"])).stdout.trim()
    expect(exported).toMatch(/^svpk1/)
    expect((await on(["keys", "list", "--json"])).stdout).toContain(exported)
    // The daemon's own key encrypts and decrypts through CIPHER.
    const file = join(dir, "notes.txt")
    writeFileSync(file, "scrub at 02:00")
    expect((await cli(["encrypt", "-r", exported, "-o", `${file}.sv`, file])).code).toBe(0)
    const viaCipher = await on(["ask", "CIPHER", JSON.stringify({ type: "decrypt", input: `${file}.sv`, output: `${file}.out` })])
    expect(viaCipher.code, viaCipher.stderr).toBe(0)
    expect(readFileSync(`${file}.out`, "utf8")).toBe("scrub at 02:00")
    await on(["tell", "CORE", '{"type":"sv.fault"}'])
    for (let i = 0; i < 100 && !(await cli(["audit", "tail", "--state-dir", join(dir, "state")])).stdout.includes("agent.restarted"); i++) {
      await new Promise((r) => setTimeout(r, 50))
    }
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)

    const stateDir = join(dir, "state")
    const tail = await cli(["audit", "tail", "-n", "50", "--state-dir", stateDir])
    for (const action of ["daemon.started", "key.rotated", "agent.failed", "agent.restarted", "daemon.stopped", "ledger.checkpoint"]) {
      expect(tail.stdout).toContain(action)
    }
    const verified = await cli(["audit", "verify", "--state-dir", stateDir])
    expect([verified.code, verified.stdout]).toEqual([0, expect.stringMatching(/OK, \d+ entries, \d+ signed checkpoint/)])

    const log = join(stateDir, "ledger", "audit.log")
    const original = readFileSync(log, "utf8")
    const lines = original.split("\n")
    const target = lines.findIndex((line) => line.includes("agent.restarted"))
    lines[target] = lines[target]!.replace('"restarts":1', '"restarts":0')
    writeFileSync(log, lines.join("\n"))
    const tampered = await cli(["audit", "verify", "--state-dir", stateDir])
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toMatch(new RegExp(`line ${target + 1}|line ${target + 2}`))

    writeFileSync(log, original + '{"seq":999,"at":"2026')
    const torn = await cli(["audit", "verify", "--state-dir", stateDir])
    expect(torn.stdout).toMatch(/torn/)
  })
})
