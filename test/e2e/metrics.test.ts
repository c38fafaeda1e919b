/**
 * PRISM through the compiled binary: with metrics_listen on a free loopback
 * port, a scrape over real HTTP gives an exposition the strict reader and
 * promtool accept, holding the runtime's figures for every agent; hostile
 * HTTP (a bad method, an endless head, slowloris, too many connections) is
 * refused with the right status while the daemon keeps serving; the textfile
 * is written for node_exporter, whose textfile collector then exposes
 * SigmaVault's metrics. A non-loopback metrics_listen stops the start.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { parseExposition } from "../support/exposition.ts"
import { requireTools } from "../support/tools.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"
import { freePort } from "../support/freePort.ts"


/** Sends raw bytes and collects the answer until the server closes (or `ms` pass). */
const raw = (port: number, data: string, ms = 15_000): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    let got = ""
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.on("connect", () => socket.write(data))
    socket.on("data", (d) => (got += d.toString("utf8")))
    socket.on("close", () => {
      clearTimeout(timer)
      resolve(got)
    })
    socket.on("error", () => {})
  })

const promtool = (text: string) => {
  requireTools("promtool")
  try {
    execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] })
    return ""
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; status?: number }
    return `promtool exited ${e.status}: ${e.stdout ?? ""}${e.stderr ?? ""}`
  }
}

const stop = async (daemon: Daemon) => {
  daemon.process.kill("SIGTERM")
  await daemon.exited
}

describe("metrics for Prometheus, through the binary", () => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-metrics-${process.pid}-`))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("serves /metrics over HTTP, refuses hostile requests and keeps serving; writes the textfile node_exporter reads", async () => {
    requireTools("promtool", "prometheus-node-exporter")
    const port = await freePort()
    const textDir = join(dir, "textfile")
    mkdirSync(textDir)
    const textfile = join(textDir, "sigmavault.prom")
    const config = join(dir, "metrics.conf")
    writeFileSync(config, [
      `file_roots = ${tmpdir()}`,
      `metrics_listen = 127.0.0.1:${port}`,
      `metrics_textfile = ${textfile}`,
      "metrics_textfile_interval_seconds = 10",
      ""
    ].join("\n"))
    const daemon = await startDaemon({ dir: join(dir, "d"), args: ["--config", config] })
    let exporter: ReturnType<typeof spawn> | undefined
    try {
      await cli(["ask", "CORE", "{\"type\":\"facts\"}", "--socket", daemon.socket])
      // The history's newest samples are in it too: SENTRY records the host's memory at its first /proc sample.
      let response = await fetch(`http://127.0.0.1:${port}/metrics`)
      let text = await response.text()
      for (let i = 0; i < 150 && !/^sigmavault_host_memory_total_bytes \d/m.test(text); i++) {
        await new Promise((r) => setTimeout(r, 100))
        response = await fetch(`http://127.0.0.1:${port}/metrics`)
        text = await response.text()
      }
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
      expect(text).toMatch(/^sigmavault_host_memory_total_bytes \d/m)
      const families = parseExposition(text)
      const up = families.find((f) => f.name === "sigmavault_agent_up")!
      expect(up.type).toBe("gauge")
      expect(up.samples.length).toBe(40)
      expect(up.samples.find((s) => s.labels.agent === "PRISM")?.value).toBe(1)
      const handled = families.find((f) => f.name === "sigmavault_agent_messages_total")!
      expect(handled.samples.find((s) => s.labels.agent === "CORE")!.value).toBeGreaterThanOrEqual(1)
      expect(families.map((f) => f.name)).toContain("sigmavault_history_series")
      // Everything the daemon records is in the catalogue: nothing rendered untyped, nothing left out.
      expect(text).toMatch(/^sigmavault_exposition_uncatalogued_series 0$/m)
      expect(text).toMatch(/^sigmavault_exposition_dropped_samples 0$/m)
      expect(families.filter((f) => f.type === "untyped").map((f) => f.name)).toEqual([])
      expect(promtool(text)).toBe("")

      // SYNAPSE lists the listener among the daemon's endpoints.
      const endpoints = await cli(["ask", "SYNAPSE", "{\"type\":\"endpoints\"}", "--socket", daemon.socket])
      expect(endpoints.code, endpoints.stderr).toBe(0)
      expect(endpoints.stdout).toContain(`"metrics-http"`)
      expect(endpoints.stdout).toContain(`127.0.0.1:${port}`)

      // The same exposition through the CLI, as JSON.
      const json = await cli(["ask", "PRISM", "{\"type\":\"metrics\",\"format\":\"json\"}", "--socket", daemon.socket])
      expect(json.code, json.stderr).toBe(0)
      expect(JSON.parse(json.stdout).families.some((f: { name: string }) => f.name === "sigmavault_agent_up")).toBe(true)

      const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "HEAD" })
      expect(head.status).toBe(200)
      expect(await head.text()).toBe("")
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST", body: "x" })).status).toBe(405)
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404)
      expect(await raw(port, `GET /metrics HTTP/1.1\r\nX-Long: ${"a".repeat(64 * 1024)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /)
      // Slowloris: a head begun and never finished is cut off (the default limit is 10 s).
      expect(await raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n")).toMatch(/^HTTP\/1\.1 408 /)
      // Connections held open beyond the limit (16): the next one is refused at once.
      const held = await Promise.all(Array.from({ length: 16 }, () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s))
          s.on("error", () => {})
        })))
      await new Promise((r) => setTimeout(r, 200))
      expect(await raw(port, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 503 /)
      held.forEach((s) => s.destroy())
      await new Promise((r) => setTimeout(r, 200))
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200)
      expect(daemon.process.exitCode).toBeNull()

      // The textfile: written at start (or at the first interval, if agents were still starting), then every interval.
      const deadline = Date.now() + 30_000
      while (!existsSync(textfile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      const written = readFileSync(textfile, "utf8")
      expect(parseExposition(written).every((f) => f.samples.every((s) => s.timestamp === undefined))).toBe(true)
      expect(promtool(written)).toBe("")

      // node_exporter's textfile collector reads it and exposes our metrics.
      const exporterPort = await freePort()
      exporter = spawn("prometheus-node-exporter", [
        "--collector.disable-defaults",
        "--collector.textfile",
        `--collector.textfile.directory=${textDir}`,
        `--web.listen-address=127.0.0.1:${exporterPort}`
      ], { stdio: ["ignore", "ignore", "pipe"] })
      let exporterLog = ""
      exporter.stderr!.on("data", (d) => (exporterLog += d))
      let scraped = ""
      const until = Date.now() + 15_000
      while (Date.now() < until) {
        scraped = await fetch(`http://127.0.0.1:${exporterPort}/metrics`).then((r) => r.text(), () => "")
        if (scraped !== "") break
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(scraped, exporterLog).toMatch(/^sigmavault_agent_up\{agent="PRISM"\} 1$/m)
      expect(scraped, exporterLog).toMatch(/^node_textfile_scrape_error 0$/m)
    } finally {
      if (exporter?.pid !== undefined) exporter.kill("SIGTERM")
      await stop(daemon)
    }
  }, 120_000)

  it("refuses to start with a non-loopback metrics_listen unless metrics_listen_remote says so", async () => {
    const config = join(dir, "remote.conf")
    writeFileSync(config, "metrics_listen = 0.0.0.0:9187\n")
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(binary(), ["run", "--config", config, "--socket", join(dir, "r.sock"), "--state-dir", join(dir, "rs"), "--runtime-dir", join(dir, "rr")])
      let stderr = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.on("close", (code) => resolve({ code, stderr }))
    })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/metrics_listen 0\.0\.0\.0:9187 is not a loopback address/)
  })
})
