/**
 * `cliStartup`: the compiled binary as people run it, one process per
 * command, from the exec to the exit (spawnSync around the whole process, so
 * the same spawn cost is in every figure), against native tools measured the
 * same way in the same run, round by round in alternation so that the load of
 * a shared machine falls on all of them alike. Median of BENCH_CLI_RUNS
 * (default 40) rounds.
 *
 * - `--version` and `--help` (they must not load the runtime) against a Bun
 *   binary compiled here that only prints (the floor of any Bun executable),
 *   `age --version` and `zstd --version`. Goal: `--version` <= 15 ms.
 * - `agents --json`, `status --json` and `ask CORE {"type":"facts"}` against a
 *   running daemon, against `redis-cli ping` on redis-server's Unix socket.
 *   Goal: `agents --json` <= 30 ms.
 *
 * A tool that is not installed is reported as missing, not guessed.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { now, quantile, round } from "../support.ts"
import {
  benchBinary,
  removeDir,
  sigmavaultRequest,
  spawnRedis,
  spawnSigmavault,
  tempDir,
  waitForSocket,
  type Server
} from "../socket/processes.ts"

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 40)
const GOALS = { version: 15, agentsJson: 30 } as const

interface Command {
  readonly name: string
  readonly file: string
  readonly args: ReadonlyArray<string>
}

const bun = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "bun")

/** A Bun executable that prints one line: what every Bun binary pays before its own code runs. */
const helloWorld = (dir: string): Command | { readonly missing: string } => {
  const source = join(dir, "hello.ts")
  writeFileSync(source, 'process.stdout.write("hello\\n")\n')
  const out = join(dir, "hello")
  const built = spawnSync(bun, ["build", "--compile", "--outfile", out, source], { encoding: "utf8" })
  return built.status === 0
    ? { name: "bun hello world (compiled)", file: out, args: [] }
    : { missing: `bun hello world: ${built.stderr || built.error?.message}` }
}

const installed = (file: string, args: ReadonlyArray<string>) => spawnSync(file, [...args], { stdio: "ignore" }).status === 0

/** Runs every command once per round, in turn, and checks each succeeded; medians and p90 in ms. */
const alternate = (commands: ReadonlyArray<Command>) => {
  const samples = commands.map(() => [] as Array<number>)
  for (let round_ = 0; round_ < RUNS; round_++) {
    commands.forEach((command, i) => {
      const t0 = now()
      const result = spawnSync(command.file, [...command.args], { stdio: ["ignore", "ignore", "pipe"] })
      const ms = now() - t0
      if (result.status !== 0) {
        throw new Error(`${command.name} failed (${result.error?.message ?? `exit ${result.status}`}): ${String(result.stderr ?? "").trim()}`)
      }
      samples[i]!.push(ms)
    })
  }
  return commands.map((command, i) => {
    const sorted = samples[i]!.sort((a, b) => a - b)
    return { command: command.name, medianMs: round(quantile(sorted, 0.5)), p90Ms: round(quantile(sorted, 0.9)), minMs: round(sorted[0]!) }
  })
}

const ratio = (a: number, b: number) => round(a / b, 2)

export const cliStartup = async () => {
  const binary = benchBinary()
  const dir = tempDir("sv-bench-cli-")
  const servers: Array<Server> = []
  try {
    const missing: Array<string> = []
    const hello = helloWorld(dir)
    const anchors: Array<Command> = []
    if ("missing" in hello) missing.push(hello.missing)
    else anchors.push(hello)
    for (const [tool, name] of [["age", "age --version"], ["zstd", "zstd --version"]] as const) {
      if (installed(tool, ["--version"])) anchors.push({ name, file: tool, args: ["--version"] })
      else missing.push(`${tool} (apt-get install -y ${tool})`)
    }
    const offline = alternate([
      { name: "sigmavault --version", file: binary.path, args: ["--version"] },
      { name: "sigmavault --help", file: binary.path, args: ["--help"] },
      ...anchors
    ])

    // Against a running daemon, and redis-server as the anchor.
    mkdirSync(join(dir, "sv"))
    mkdirSync(join(dir, "redis"))
    const daemon = spawnSigmavault(binary.path, join(dir, "sv"))
    servers.push(daemon)
    await waitForSocket(daemon, 15_000, 1).then((socket) => socket.destroy())
    // Wait until all 40 agents run, so the figures are of a daemon at rest.
    for (let i = 0; i < 100; i++) {
      const socket = await waitForSocket(daemon, 5_000, 1)
      const reply = await sigmavaultRequest(socket, { id: 1, op: "status" }).finally(() => socket.destroy())
      if (reply?.result?.running === reply?.result?.agents && reply?.result?.agents > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const clients: Array<Command> = [
      { name: "sigmavault agents --json", file: binary.path, args: ["agents", "--json", "--socket", daemon.socket] },
      { name: "sigmavault status --json", file: binary.path, args: ["status", "--json", "--socket", daemon.socket] },
      { name: "sigmavault ask CORE facts", file: binary.path, args: ["ask", "CORE", '{"type":"facts"}', "--json", "--socket", daemon.socket] }
    ]
    if (installed("redis-server", ["--version"]) && installed("redis-cli", ["--version"])) {
      const redis = spawnRedis(join(dir, "redis"))
      servers.push(redis)
      await waitForSocket(redis, 15_000, 1).then((socket) => socket.destroy())
      clients.push({ name: "redis-cli ping", file: "redis-cli", args: ["-s", redis.socket, "ping"] })
    } else missing.push("redis-server / redis-cli (apt-get install -y redis-server redis-tools)")
    const online = alternate(clients)

    const median = (rows: ReadonlyArray<{ command: string; medianMs: number }>, name: string) => rows.find((r) => r.command === name)?.medianMs
    const version = median(offline, "sigmavault --version")!
    const agentsJson = median(online, "sigmavault agents --json")!
    const helloMs = median(offline, "bun hello world (compiled)")
    const redisMs = median(online, "redis-cli ping")
    return {
      binary: binary.origin,
      runs: RUNS,
      offline,
      online,
      ratios: {
        versionOverBunHello: helloMs === undefined ? null : ratio(version, helloMs),
        versionOverAge: median(offline, "age --version") === undefined ? null : ratio(version, median(offline, "age --version")!),
        agentsJsonOverRedisCli: redisMs === undefined ? null : ratio(agentsJson, redisMs)
      },
      goals: {
        versionMs: { goal: GOALS.version, median: version, met: version <= GOALS.version },
        agentsJsonMs: { goal: GOALS.agentsJson, median: agentsJson, met: agentsJson <= GOALS.agentsJson }
      },
      missing
    }
  } finally {
    for (const server of servers) await server.stop()
    removeDir(dir)
  }
}
