/**
 * HostProbe on the real host: `ss` and `sshd` through the CommandRunner
 * (argument arrays, bounded in time and output), files through the Files
 * port. Every failure becomes an honest `Unavailable` reading: a missing
 * tool is "not installed", `sshd -T` without /run/sshd says so.
 */
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { CommandRunner } from "../command/Command.ts"
import { type FileError, Files, unlessMissing } from "../fs/Files.ts"
import {
  type HostProbeShape,
  HostProbe,
  type NfsExport,
  type PathFacts,
  read,
  type SmbConfig,
  unavailable
} from "./HostProbe.ts"
import { idsIn, parseExports, parseSmbText, parseSs, parseSshdT, type SmbLine, smbSections } from "./parse.ts"

const TIMEOUT_MS = 15_000
const MAX_OUTPUT = 8 * 1024 * 1024
const MAX_FILE = 4 * 1024 * 1024
const MAX_INCLUDE_DEPTH = 8

const firstLine = (text: string) => text.trim().split("\n")[0]?.trim() ?? ""

/** The options a test (or a packager) may change: which tools to run. */
export interface HostProbeLiveOptions {
  readonly ss?: string
  readonly sshd?: string
  readonly net?: string
}

export const make = (runner: CommandRunner["Service"], files: Files["Service"], options: HostProbeLiveOptions = {}): HostProbeShape => {
  const ss = options.ss ?? "ss"
  const sshd = options.sshd ?? "sshd"
  const net = options.net ?? "net"
  const decoder = new TextDecoder("utf-8")

  const readText = (path: string): Effect.Effect<string | undefined, FileError> =>
    Effect.map(unlessMissing(files.readFile(path, { maxBytes: MAX_FILE })), (bytes) => bytes === undefined ? undefined : decoder.decode(bytes))

  const runTool = (tool: string, args: ReadonlyArray<string>) =>
    runner.run(tool, args, { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT }).pipe(
      Effect.map((output) => ({ ok: true as const, output })),
      Effect.catch((error) => Effect.succeed({ ok: false as const, reason: error._tag === "ToolMissing" ? `${tool} is not installed` : error.message }))
    )

  const listeners: HostProbeShape["listeners"] = Effect.gen(function*() {
    const source = `${ss} -H -tulnp`
    const ran = yield* runTool(ss, ["-H", "-tulnp"])
    if (!ran.ok) return unavailable(source, ran.reason)
    if (ran.output.exitCode !== 0) return unavailable(source, `exited ${ran.output.exitCode}: ${firstLine(ran.output.stderr)}`)
    return read(source, parseSs(ran.output.stdout))
  })

  const sshdSettings: HostProbeShape["sshd"] = (configFile) =>
    Effect.gen(function*() {
      const source = `${sshd} -T -f ${configFile}`
      const ran = yield* runTool(sshd, ["-T", "-f", configFile])
      if (!ran.ok) return unavailable(source, ran.reason.endsWith("not installed") ? "sshd is not installed" : ran.reason)
      const { exitCode, stderr, stdout } = ran.output
      if (/Missing privilege separation directory/.test(stderr)) {
        return unavailable(source, `could not read: sshd -T needs its privilege separation directory (${firstLine(stderr)}); it exists while sshd runs`)
      }
      if (exitCode !== 0 || stdout.trim() === "") {
        return unavailable(source, `could not read: sshd -T exited ${exitCode}: ${firstLine(stderr)}`)
      }
      return read(source, parseSshdT(stdout))
    })

  const stat: HostProbeShape["stat"] = (path) =>
    unlessMissing(files.stat(path, { followSymlinks: true })).pipe(
      Effect.map((info) => read(`stat ${path}`, info === undefined ? undefined : { path, type: info.type, mode: info.mode, uid: info.uid, gid: info.gid })),
      Effect.catch((error) => Effect.succeed(unavailable(`stat ${path}`, error.message)))
    )

  const entries: HostProbeShape["entries"] = (dir) =>
    Effect.gen(function*() {
      const names = yield* unlessMissing(files.list(dir))
      if (names === undefined) return read(`ls -l ${dir}`, undefined)
      const facts = yield* Effect.forEach(names, (name) =>
        Effect.map(unlessMissing(files.stat(join(dir, name))), (info) =>
          info === undefined ? [] : [{ path: join(dir, name), type: info.type, mode: info.mode, uid: info.uid, gid: info.gid }]))
      return read(`ls -l ${dir}`, facts.flat() as ReadonlyArray<PathFacts>)
    }).pipe(Effect.catch((error) => Effect.succeed(unavailable<ReadonlyArray<PathFacts> | undefined>(`ls -l ${dir}`, error.message))))

  /** The registry's shares as `net conf list` prints them (smb.conf syntax). */
  const registry = Effect.gen(function*() {
    const ran = yield* runTool(net, ["conf", "list"])
    if (!ran.ok) return { lines: [] as ReadonlyArray<SmbLine>, problem: ran.reason }
    if (ran.output.exitCode !== 0) return { lines: [], problem: `net conf list exited ${ran.output.exitCode}: ${firstLine(ran.output.stderr)}` }
    return { lines: parseSmbText(ran.output.stdout, "registry"), problem: undefined }
  })

  const smb: HostProbeShape["smb"] = (configFile) =>
    Effect.gen(function*() {
      const unread: Array<SmbConfig["unread"][number]> = []
      let registryRead = false
      const expand = (file: string, depth: number, seen: ReadonlySet<string>): Effect.Effect<ReadonlyArray<SmbLine> | undefined, FileError> =>
        Effect.gen(function*() {
          const text = yield* readText(file)
          if (text === undefined) return undefined
          const out: Array<SmbLine> = []
          for (const line of parseSmbText(text, file)) {
            const backend = line.kind === "parameter" && line.key === "config backend" && line.value.toLowerCase() === "registry"
            const include = line.kind === "parameter" && line.key === "include" ? line.value : undefined
            if (backend || include?.toLowerCase() === "registry") {
              if (registryRead) continue
              registryRead = true
              const got = yield* registry
              if (got.problem !== undefined) unread.push({ source: "registry (net conf list)", reason: got.problem })
              out.push(...got.lines)
              continue
            }
            if (include === undefined) {
              out.push(line)
              continue
            }
            if (include.includes("%") || !include.startsWith("/")) {
              unread.push({ source: include, reason: "an include with substitutions or a relative path is not followed" })
            } else if (seen.has(include) || depth >= MAX_INCLUDE_DEPTH) {
              unread.push({ source: include, reason: "include loop or nesting too deep" })
            } else {
              const inner = yield* Effect.catch(expand(include, depth + 1, new Set([...seen, include])), (error) => {
                unread.push({ source: include, reason: error.message })
                return Effect.succeed([] as ReadonlyArray<SmbLine>)
              })
              if (inner === undefined) unread.push({ source: include, reason: "the included file does not exist" })
              else out.push(...inner)
            }
          }
          return out
        })
      const lines = yield* expand(configFile, 0, new Set([configFile]))
      return read(configFile, lines === undefined ? undefined : { sections: smbSections(lines), unread })
    }).pipe(Effect.catch((error) => Effect.succeed(unavailable<SmbConfig | undefined>(configFile, error.message))))

  const nfs: HostProbeShape["nfs"] = (exportsFile, exportsDir) =>
    Effect.gen(function*() {
      const exports: Array<NfsExport> = []
      const main = yield* readText(exportsFile)
      if (main !== undefined) exports.push(...parseExports(main, exportsFile))
      const names = (yield* unlessMissing(files.list(exportsDir))) ?? []
      for (const name of names.filter((n) => n.endsWith(".exports"))) {
        const path = join(exportsDir, name)
        const text = yield* readText(path)
        if (text !== undefined) exports.push(...parseExports(text, path))
      }
      return read(`${exportsFile}, ${exportsDir}/*.exports`, exports as ReadonlyArray<NfsExport>)
    }).pipe(Effect.catch((error) => Effect.succeed(unavailable<ReadonlyArray<NfsExport>>(`${exportsFile}, ${exportsDir}/*.exports`, error.message))))

  const accounts: HostProbeShape["accounts"] = Effect.gen(function*() {
    const passwd = yield* readText("/etc/passwd")
    const group = yield* readText("/etc/group")
    return read("/etc/passwd, /etc/group", { uids: idsIn(passwd ?? ""), gids: idsIn(group ?? "") })
  }).pipe(Effect.catch((error) => Effect.succeed(unavailable<{ uids: ReadonlySet<number>; gids: ReadonlySet<number> }>("/etc/passwd, /etc/group", error.message))))

  return HostProbe.of({ listeners, sshd: sshdSettings, stat, entries, smb, nfs, accounts })
}

export const layerWith = (options: HostProbeLiveOptions = {}): Layer.Layer<HostProbe, never, CommandRunner | Files> =>
  Layer.effect(HostProbe, Effect.gen(function*() {
    return make(yield* CommandRunner, yield* Files, options)
  }))

export const layer: Layer.Layer<HostProbe, never, CommandRunner | Files> = layerWith()
