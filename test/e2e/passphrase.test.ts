/**
 * The passphrase prompt on a real terminal (a tmux pane): asked twice
 * without echo for a new key, once to decrypt; Ctrl-C leaves no key file.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { binary, cli } from "./harness.ts"

const session = `sigmavault-e2e-${process.pid}`
const tmux = (...args: ReadonlyArray<string>) => spawnSync("tmux", ["-L", session, ...args], { encoding: "utf8" })
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout
const waitForScreen = async (pattern: RegExp) => {
  for (let i = 0; i < 200; i++) {
    if (pattern.test(screen())) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${screen()}`)
}

describe("the passphrase prompt on a terminal (needs tmux; .ci/run installs it)", () => {
  afterAll(() => {
    tmux("kill-server")
  })

  it("keygen asks twice without echo; decrypt asks once; Ctrl-C leaves nothing behind", async () => {
    expect(spawnSync("tmux", ["-V"]).status, "tmux is not installed (apt-get install tmux)").toBe(0)
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-tty-"))
    const key = join(dir, "tty.key")
    const env = ["env", "-u", "SIGMAVAULT_PASSPHRASE"]
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", ...env, "sh", "-c", `${binary()} keygen -o ${key} > ${dir}/pub; sleep 30`)
    await waitForScreen(/Passphrase to seal the new secret key:/)
    tmux("send-keys", "-t", session, "s3cret words", "Enter")
    await waitForScreen(/Same passphrase again:/)
    tmux("send-keys", "-t", session, "s3cret words", "Enter")
    await waitForScreen(/secret key written to/)
    expect(screen()).not.toContain("s3cret")
    const publicKey = readFileSync(join(dir, "pub"), "utf8").trim()
    expect(publicKey).toMatch(/^svpk1/)

    writeFileSync(join(dir, "plain"), "tank is healthy")
    expect((await cli(["encrypt", "-r", publicKey, "-o", join(dir, "plain.sv"), join(dir, "plain")])).code).toBe(0)
    tmux("respawn-pane", "-k", "-t", session, ...env, "sh", "-c", `${binary()} decrypt -i ${key} -o ${dir}/out ${dir}/plain.sv; echo "exit $?"; sleep 30`)
    await waitForScreen(/Passphrase for .*tty\.key:/)
    tmux("send-keys", "-t", session, "s3cret words", "Enter")
    await waitForScreen(/exit 0/)
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("tank is healthy")

    tmux("respawn-pane", "-k", "-t", session, ...env, "sh", "-c", `${binary()} keygen -o ${dir}/never.key; echo "exit $?"; sleep 30`)
    await waitForScreen(/Passphrase to seal/)
    tmux("send-keys", "-t", session, "C-c")
    await waitForScreen(/exit 130/)
    expect(existsSync(join(dir, "never.key"))).toBe(false)
  })
})
