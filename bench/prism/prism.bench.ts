/**
 * `prism`: one scrape of `GET /metrics` over HTTP (loopback, keep-alive, no
 * compression asked) from the compiled binary with `metrics_listen` set,
 * p50 and p99 of the whole response. Anchor, in the same run and alternating
 * scrape by scrape: prometheus-node-exporter (its default collectors) started
 * by the bench on a free port. Output sizes (bytes, series) are reported:
 * the two expositions do not hold the same number of series. Goal (issue 19):
 * PRISM's p50 at most node_exporter's.
 */
import { spawn, spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { now, round, summarise } from "../support.ts"
import { benchBinary, removeDir, sleep, spawnSigmavault, tempDir, waitForSocket } from "../socket/processes.ts"
import { freePort } from "../../test/support/freePort.ts"

const SCRAPES = Number(process.env.BENCH_PRISM_SCRAPES ?? 300)
const WARMUP = 20


const scrape = async (url: string): Promise<{ readonly us: number; readonly text: string }> => {
  const t0 = now()
  const response = await fetch(url, { headers: { "Accept-Encoding": "identity" } })
  const text = await response.text()
  const us = (now() - t0) * 1000
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}: ${text.slice(0, 200)}`)
  return { us, text }
}

const waitForHttp = async (url: string, timeoutMs: number) => {
  const deadline = now() + timeoutMs
  while (now() < deadline) {
    if (await fetch(url).then((r) => r.status === 200, () => false)) return
    await sleep(25)
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`)
}

const seriesIn = (text: string) => text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length

export const prism = async () => {
  const version = spawnSync("prometheus-node-exporter", ["--version"], { encoding: "utf8" })
  if (version.error !== undefined || version.status !== 0) {
    throw new Error("prometheus-node-exporter is not runnable; install it with: apt-get install -y prometheus-node-exporter")
  }
  const binary = benchBinary()
  const dir = tempDir(`sigmavault-bench-prism-${process.pid}-`)
  const [svPort, nePort] = [await freePort(), await freePort()]
  const config = join(dir, "bench.conf")
  writeFileSync(config, `metrics_listen = 127.0.0.1:${svPort}\n`)
  const server = spawnSigmavault(binary.path, dir, ["--config", config])
  const exporter = spawn("prometheus-node-exporter", [`--web.listen-address=127.0.0.1:${nePort}`], { stdio: "ignore" })
  try {
    ;(await waitForSocket(server, 15_000)).destroy()
    const sv = `http://127.0.0.1:${svPort}/metrics`
    const ne = `http://127.0.0.1:${nePort}/metrics`
    await waitForHttp(sv, 15_000)
    await waitForHttp(ne, 15_000)
    for (let i = 0; i < WARMUP; i++) {
      await scrape(sv)
      await scrape(ne)
    }
    const svUs: Array<number> = []
    const neUs: Array<number> = []
    let svText = ""
    let neText = ""
    // Alternating, the order swapped every other round, so neither side always follows the other.
    for (let i = 0; i < SCRAPES; i++) {
      const pair = i % 2 === 0 ? [[sv, svUs], [ne, neUs]] as const : [[ne, neUs], [sv, svUs]] as const
      for (const [url, into] of pair) {
        const { text, us } = await scrape(url)
        into.push(us)
        if (url === sv) svText = text
        else neText = text
      }
    }
    const sigmavault = { ...summarise(svUs), bytes: Buffer.byteLength(svText), series: seriesIn(svText) }
    const nodeExporter = { ...summarise(neUs), bytes: Buffer.byteLength(neText), series: seriesIn(neText) }
    const ratio = round(sigmavault.p50Us / nodeExporter.p50Us, 2)
    process.stderr.write(
      `prism: PRISM p50 ${sigmavault.p50Us} µs (${sigmavault.series} series, ${sigmavault.bytes} B) vs node_exporter p50 ${nodeExporter.p50Us} µs ` +
        `(${nodeExporter.series} series, ${nodeExporter.bytes} B): ratio ${ratio}\n`
    )
    return {
      name: "PRISM scrape over HTTP vs prometheus-node-exporter",
      binary: binary.origin,
      anchor: `${version.stdout.split("\n")[0]} (default collectors), same run, alternating`,
      scrapes: SCRAPES,
      sigmavault,
      nodeExporter,
      p50Ratio: ratio,
      goal: "PRISM p50 <= node_exporter p50",
      goalMet: sigmavault.p50Us <= nodeExporter.p50Us
    }
  } finally {
    exporter.kill("SIGTERM")
    await server.stop()
    removeDir(dir)
  }
}
