/**
 * ConfigCheck on this machine: the real tools through the CommandRunner
 * (argument arrays, no shell), each on files in a fresh temporary directory
 * that is removed afterwards, also on failure or interruption.
 *
 * exportfs only reads /etc/exports and /etc/exports.d and writes
 * /var/lib/nfs/etab, so it runs in a mount namespace of its own, kept alive by
 * a bind mount on a file in the temporary directory (`unshare --mount=FILE`):
 * there /etc is an overlay whose upper layer holds an empty exports file, the
 * text is the only file in /etc/exports.d and /var/lib/nfs is a scratch
 * directory. Unmounting the file ends the namespace; the host's mount table,
 * /etc and NFS state are never touched.
 */
import { constants } from "node:fs"
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { type CommandOutput, CommandRunner, type RunError } from "../command/Command.ts"
import { CheckUnavailable, ConfigCheck, type UnitFile, type Verdict } from "./ConfigCheck.ts"

const TIMEOUT_MS = 20_000
const MAX_OUTPUT = 1024 * 1024

/** A fresh directory for one check, removed when the effect ends however it ends. */
const scratch = <A, E, R>(use: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), `sigmavault-forge-${process.pid}-`))),
    use,
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const unavailable = (tool: string) => (error: RunError) =>
  Effect.fail(new CheckUnavailable({ tool, reason: error.message }))

const lines = (text: string) => text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "")

// ---- testparm -------------------------------------------------------------------

const TESTPARM_CHATTER = [/^Load smb config files from /, /^Loaded services file OK\.$/, /^Weak crypto is allowed/, /^Server role: /]
/** What testparm says while exiting 0 when it did not read the text as written. */
const TESTPARM_MISREAD = [/unknown parameter/i, /ignor/i, /found in service section/i, /not a valid/i, /invalid/i, /error/i]

/** The line of `text` that sets `parameter`, if one does. */
const lineOfParameter = (text: string, parameter: string): number | undefined => {
  const wanted = parameter.toLowerCase().replace(/\s+/g, "")
  const index = text.split("\n").findIndex((l) => {
    const eq = l.indexOf("=")
    return eq > 0 && l.slice(0, eq).toLowerCase().replace(/\s+/g, "") === wanted
  })
  return index < 0 ? undefined : index + 1
}

/** Parameters that make testparm read other files: a check of the text, not of the host. */
const READS_OTHER_FILES = /^\s*(include|config\s*file|copy)\s*=/im

export const judgeTestparm = (text: string, output: CommandOutput, tool: string): Verdict => {
  const said = lines(output.stderr).filter((l) => !TESTPARM_CHATTER.some((p) => p.test(l)))
  const misread = said.filter((l) => TESTPARM_MISREAD.some((p) => p.test(l)))
  if (output.exitCode !== 0 || misread.length > 0) {
    const reason = (output.exitCode !== 0 || misread.length === 0 ? said : misread).join("; ") || `exited ${output.exitCode}`
    const parameter = /unknown parameter(?: encountered:)? "([^"]+)"/i.exec(reason)?.[1]
    const line = parameter === undefined ? undefined : lineOfParameter(text, parameter)
    return { accepted: false, tool, reason, ...(line === undefined ? {} : { line }), reading: output.stdout }
  }
  return { accepted: true, tool, warnings: said, reading: output.stdout }
}

// ---- exportfs -------------------------------------------------------------------

/**
 * exportfs names the file and line ("exportfs: /etc/exports.d/x.exports:1: unknown keyword "foo"")
 * and exits 1; `etab` is what it wrote for the kernel: one line per client, the path escaped as in exports(5).
 */
const EXPORTFS_ADVICE = [/Neither 'subtree_check' or 'no_subtree_check' specified/, /^\s*Assuming default behaviour/, /^\s*NOTE: this default has changed/, /suggest .* to avoid warning/]

export const judgeExportfs = (apply: CommandOutput, etab: string, tool: string): Verdict => {
  const said = lines(apply.stderr)
  const line = said.map((l) => /\.exports?:(\d+):/.exec(l)?.[1]).find((n) => n !== undefined)
  // A host exportfs cannot resolve is left out of the table with exit 0: the export would not admit it.
  const unresolved = said.filter((l) => /Failed to resolve/.test(l))
  if (apply.exitCode !== 0 || unresolved.length > 0) {
    // The reason is what went wrong, once each: not the advice exportfs gives about defaults on every line.
    const wrong = [...new Set(apply.exitCode !== 0 ? said.filter((l) => !EXPORTFS_ADVICE.some((p) => p.test(l))) : unresolved)]
    const reason = (wrong.length > 0 ? wrong : said).join("; ") || `exited ${apply.exitCode}`
    return { accepted: false, tool, reason, ...(line === undefined ? {} : { line: Number(line) }), reading: etab }
  }
  return { accepted: true, tool, warnings: said, reading: etab }
}

// ---- systemd-analyze ------------------------------------------------------------

/** Every line `systemd-analyze verify` prints is a complaint: an ignored key or a bad value exits 0 with one. */
export const judgeVerify = (output: CommandOutput, tool: string, warnings: ReadonlyArray<string>): Verdict => {
  const said = lines(output.stderr)
  if (output.exitCode !== 0 || said.length > 0) {
    const line = said.map((l) => /^[^:]+:(\d+): /.exec(l)?.[1]).find((n) => n !== undefined)
    return {
      accepted: false,
      tool,
      reason: said.join("; ") || `exited ${output.exitCode}`,
      ...(line === undefined ? {} : { line: Number(line) }),
      reading: output.stdout
    }
  }
  return { accepted: true, tool, warnings, reading: output.stdout }
}

/** The executable an ExecStart= line runs (after its prefixes: - @ : + !), if it is an absolute path. */
const execPaths = (text: string): ReadonlyArray<string> =>
  text.split("\n").flatMap((l) => {
    const found = /^\s*Exec(?:Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)\s*=\s*[-@:+!]*("([^"]+)"|(\S+))/.exec(l)
    const path = found?.[2] ?? found?.[3]
    return path !== undefined && path.startsWith("/") ? [path] : []
  })

const exists = (path: string) =>
  Effect.promise(() => access(path, constants.X_OK).then(() => true, () => false))

export const make = (runner: CommandRunner["Service"]): ConfigCheck["Service"] => {
  const run = (tool: string, args: ReadonlyArray<string>) =>
    runner.run(tool, args, { timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT }).pipe(Effect.catch(unavailable(tool)))

  const smb = (text: string) =>
    scratch((dir) =>
      Effect.gen(function*() {
        const tool = "testparm -s --suppress-prompt"
        if (READS_OTHER_FILES.test(text)) {
          return { accepted: false, tool, reason: "include, config file and copy read other files: FORGE checks only the text it is given", reading: "" } as Verdict
        }
        const file = join(dir, "smb.conf")
        yield* Effect.promise(() => writeFile(file, text, { mode: 0o600 }))
        const output = yield* run("testparm", ["-s", "--suppress-prompt", file])
        return judgeTestparm(text, output, tool)
      })
    )

  const nfs = (text: string) =>
    scratch((dir) =>
      Effect.gen(function*() {
        const tool = "exportfs -ra"
        const ns = join(dir, "mnt-ns")
        const upper = join(dir, "etc-upper")
        const work = join(dir, "etc-work")
        const exportsD = join(dir, "exports.d")
        const state = join(dir, "nfs-state")
        yield* Effect.promise(async () => {
          for (const d of [join(upper, "exports.d"), work, exportsD, state]) await mkdir(d, { recursive: true, mode: 0o700 })
          await writeFile(join(upper, "exports"), "")
          await writeFile(join(exportsD, "sigmavault-check.exports"), text, { mode: 0o600 })
          await writeFile(ns, "")
        })
        const created = yield* run("unshare", [`--mount=${ns}`, "--propagation", "private", "true"])
        if (created.exitCode !== 0) {
          return yield* Effect.fail(new CheckUnavailable({ tool: "unshare", reason: `no private mount namespace here: ${created.stderr.trim()}` }))
        }
        const inside = (tool: string, args: ReadonlyArray<string>) => run("nsenter", [`--mount=${ns}`, "--", tool, ...args])
        return yield* Effect.gen(function*() {
          for (
            const args of [
              ["-t", "overlay", "overlay", "-o", `lowerdir=/etc,upperdir=${upper},workdir=${work}`, "/etc"],
              ["--bind", exportsD, "/etc/exports.d"],
              ["--bind", state, "/var/lib/nfs"]
            ]
          ) {
            const mounted = yield* inside("mount", args)
            if (mounted.exitCode !== 0) {
              return yield* Effect.fail(new CheckUnavailable({ tool: "mount", reason: `a scratch /etc for exportfs: ${mounted.stderr.trim()}` }))
            }
          }
          const apply = yield* inside("exportfs", ["-ra"])
          if (apply.exitCode === 127 && /failed to execute exportfs/.test(apply.stderr)) {
            return yield* Effect.fail(new CheckUnavailable({ tool: "exportfs", reason: "exportfs is not installed (nfs-kernel-server)" }))
          }
          // What exportfs made of the text, as it hands it to the kernel: /var/lib/nfs/etab, here our scratch directory.
          const etab = yield* Effect.promise(() => readFile(join(state, "etab"), "utf8").catch(() => ""))
          return judgeExportfs(apply, etab, tool)
        }).pipe(Effect.ensuring(Effect.ignore(runner.run("umount", [ns], { timeoutMs: TIMEOUT_MS }))))
      })
    )

  const units = (files: ReadonlyArray<UnitFile>) =>
    scratch((dir) =>
      Effect.gen(function*() {
        const warnings: Array<string> = []
        const standIn = join(dir, "stand-in")
        const written: Array<string> = []
        for (const file of files) {
          let text = file.text
          for (const path of execPaths(text)) {
            if (!(yield* exists(path))) {
              // verify refuses a unit whose binary is missing; the unit is checked as it would be on a machine that has it.
              text = text.split(path).join(standIn)
              warnings.push(`${path} is not installed here: the unit was verified with a stand-in executable at that place`)
            }
          }
          const name = join(dir, file.name)
          yield* Effect.promise(() => writeFile(name, text, { mode: 0o644 }))
          written.push(name)
        }
        yield* Effect.promise(async () => {
          await writeFile(standIn, "#!/bin/true\n")
          await chmod(standIn, 0o755)
        })
        const output = yield* run("systemd-analyze", ["verify", "--man=no", "--recursive-errors=no", ...written])
        return judgeVerify(output, "systemd-analyze verify", [...new Set(warnings)])
      })
    )

  const calendar = (expression: string) =>
    run("systemd-analyze", ["calendar", "--", expression]).pipe(
      Effect.map((output): Verdict => {
        const tool = "systemd-analyze calendar"
        const normalized = /^\s*Normalized form: (.*)$/m.exec(output.stdout)?.[1]
        return output.exitCode === 0 && normalized !== undefined
          ? { accepted: true, tool, warnings: [], reading: normalized }
          : { accepted: false, tool, reason: lines(output.stderr).join("; ") || `exited ${output.exitCode}`, reading: output.stdout }
      })
    )

  return ConfigCheck.of({ smb, nfs, units, calendar })
}

export const layer: Layer.Layer<ConfigCheck, never, CommandRunner> = Layer.effect(ConfigCheck, Effect.map(CommandRunner, make))
