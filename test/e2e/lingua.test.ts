/**
 * `sigmavault say` against the compiled daemon, as a person would use it: a
 * question is answered, a change is not sent without a terminal or --yes, an
 * unknown sentence says what it did not understand; and a reader who says
 * "scrub tank" with --yes is refused by LATTICE's access for the reader — not
 * by LINGUA — so nobody gains rights through LINGUA. Users and groups are
 * made for the test (names with the test's pid) and removed afterwards.
 */
import { execFileSync, spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, cliAs, type Daemon, startDaemon } from "./harness.ts"

const isRoot = process.getuid?.() === 0
const READERS = `svlr${process.pid}`
const READER = `svlread${process.pid}`

describe("sigmavault say", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-lingua-${process.pid}-`)))
  let daemon: Daemon
  let madeUsers = false
  // A tiny chat-completions server on loopback, standing in for a local model (no network, no model).
  let model: Server | undefined
  const modelAsked: Array<string> = []
  const say = (...args: ReadonlyArray<string>) => cli(["say", ...args, "--socket", daemon.socket])

  beforeAll(async () => {
    if (!isRoot) throw new Error("the LINGUA end-to-end test needs root (it makes a reader user with useradd)")
    execFileSync("groupadd", [READERS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    madeUsers = true
    chmodSync(dir, 0o755)
    model = createServer((req, res) => {
      let body = ""
      req.on("data", (d) => (body += d))
      req.on("end", () => {
        const user = (JSON.parse(body).messages as Array<{ role: string; content: string }>).find((m) => m.role === "user")!.content
        modelAsked.push(user)
        const content = user === "give me the lowdown on this box" ? '{"agent":"CORE","message":{"type":"facts"}}' : '{"agent":null}'
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content } }] }))
      })
    })
    await new Promise<void>((resolve) => model!.listen(0, "127.0.0.1", resolve))
    const llmUrl = `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1/chat/completions`
    writeFileSync(join(dir, "sigmavault.conf"), [
      `socket_group = ${READERS}`,
      "socket_mode = 0660",
      `role_read = ${READERS}`,
      `file_roots = ${dir}`,
      `lingua_llm_url = ${llmUrl}`,
      ""
    ].join("\n"))
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf")] })
    chmodSync(join(dir, "run"), 0o755)
  }, 60_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    await new Promise<void>((resolve) => (model === undefined ? resolve() : model.close(() => resolve())))
    if (madeUsers) {
      execFileSync("userdel", [READER])
      execFileSync("groupdel", [READERS])
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it("answers a question: prints the message it means, then the agent's answer", async () => {
    const out = await say("what", "kernel", "is", "this?")
    expect(out.stderr).toBe("")
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('→ CORE {"type":"facts"}  (confidence 1.00)')
    expect(out.stdout).toMatch(/"kernel"/)
  })

  it("tolerates typos and shows the confidence", async () => {
    const out = await say("how busy is teh nas")
    expect(out.code, out.stderr).not.toBe(0) // "teh" is a 3-letter word: exact only
    const typo = await say("lsit the shcedules")
    expect(typo.code, typo.stderr).toBe(0)
    expect(typo.stdout).toMatch(/→ ORBIT \{"type":"list"\}  \(confidence 0\.\d+\)/)
  })

  it("does not send a state-changing message without a terminal or --yes", async () => {
    const out = await say("rotate the keys")
    expect(out.code).toBe(4)
    expect(out.stdout).toContain('→ QUANTUM {"type":"rotate"}')
    expect(out.stderr).toContain("not sent: QUANTUM {\"type\":\"rotate\"} changes the NAS; say it on a terminal to be asked, or add --yes")
    const keys = await cli(["ask", "QUANTUM", '{"type":"keys"}', "--socket", daemon.socket, "--json"])
    expect(JSON.parse(keys.stdout)).toEqual([])
  })

  /** `say` on a terminal (util-linux `script` gives it a pty), answering the question with `answer`. */
  const sayOnTerminal = (words: string, answer: string) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const command = `${binary()} say ${words} --socket ${daemon.socket}`
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: { ...process.env, TERM: "dumb" } })
      let output = ""
      child.stdout.on("data", (d) => {
        output += d
        if (output.includes("[y/N]") && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`)
      })
      child.on("error", (error) => resolve({ code: null, output: `util-linux 'script' is needed to give say a terminal: ${error.message}` }))
      child.on("close", (code) => resolve({ code, output }))
    })

  it("on a terminal it asks before a change: n sends nothing, y sends it", async () => {
    const keys = async () => JSON.parse((await cli(["ask", "QUANTUM", '{"type":"keys"}', "--socket", daemon.socket, "--json"])).stdout) as Array<unknown>
    const no = await sayOnTerminal("rotate the keys", "n")
    expect(no.output).toContain('Send QUANTUM {"type":"rotate"}? [y/N]')
    expect(no.output).toContain("not sent")
    expect(await keys()).toEqual([])
    const yes = await sayOnTerminal("rotate the keys", "y")
    expect(yes.code, yes.output).toBe(0)
    expect(await keys()).toHaveLength(1)
  })

  it("says what it did not understand", async () => {
    const out = await say("sing me a song about pools")
    expect(out.code).toBe(4)
    expect(out.stderr).toContain("I did not understand 'sing me a song about pools'")
    expect(out.stderr).toContain("the local model: it found no message for the sentence")
  })

  it("a sentence the grammar does not know goes to the configured local model, and its answer is checked and sent", async () => {
    const out = await say("give me the lowdown on this box")
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('→ CORE {"type":"facts"}  (confidence 0.50)')
    expect(modelAsked).toContain("give me the lowdown on this box")
    const before = modelAsked.length
    await say("system info")
    expect(modelAsked.length, "the grammar's own sentences never reach the model").toBe(before)
  })

  it("--json prints the parse and the run as JSON", async () => {
    const out = await say("system info", "--json")
    expect(out.code, out.stderr).toBe(0)
    const ran = JSON.parse(out.stdout)
    expect(ran).toMatchObject({ agent: "CORE", message: { type: "facts" }, sent: true, changesState: false })
  })

  it("a reader saying 'scrub tank' with --yes is refused by LATTICE's access, for the reader", async () => {
    const out = await cliAs(READER, ["say", "scrub", "tank", "--yes", "--socket", daemon.socket])
    expect(out.stdout).toContain('→ LATTICE {"type":"scrub","pool":"tank","action":"start"}')
    expect(out.code).toBe(4)
    expect(out.stderr).toMatch(/may not send LATTICE 'scrub': it needs operate access, and uid \d+ has read access/)
    // LINGUA itself is open to readers: a question works.
    const read = await cliAs(READER, ["say", "system", "info", "--socket", daemon.socket])
    expect(read.code, read.stderr).toBe(0)
  })
})
