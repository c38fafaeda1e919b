/**
 * `npm run build`: compiles src/index.ts into one self-contained binary per
 * target with `bun build --compile` (dist/sigmavault-linux-x64,
 * dist/sigmavault-linux-arm64), embedding the version and git commit, then
 * proves each is for the right CPU (ELF header) and smoke-tests it:
 * `--version` and `selftest`, a foreign architecture under qemu-user.
 * `--help` for the options. Every command is spawned with an argument array.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import * as DebianPackages from "./build/DebianPackages.ts"
import * as Elf from "./build/Elf.ts"
import * as GitCommit from "./build/GitCommit.ts"
import * as NativeAddons from "./build/NativeAddons.ts"
import { HELP, parseOptions } from "./build/Options.ts"
import * as Smoke from "./build/Smoke.ts"
import { archOf, runnerFor, sysroot, TARGETS, type Arch, type Target } from "./build/Targets.ts"

/**
 * The native addons the binary embeds, and how each is built per
 * architecture (see tools/build/NativeAddons.ts). msgpackr runs its pure-JS
 * decoder; hnswlib-node (MNEMONIC's HNSW layer, src/memory/Hnsw.ts) is
 * required by its literal path.
 */
const NATIVE_ADDONS: ReadonlyArray<NativeAddons.NativeAddon> = [
  {
    package: "hnswlib-node",
    file: "build/Release/addon.node",
    build: {
      x64: { _tag: "AsInstalled" },
      arm64: { _tag: "NodeGypCross", cc: "aarch64-linux-gnu-gcc", cxx: "aarch64-linux-gnu-g++", arch: "arm64" }
    }
  }
]

/** `--external` for a module a dependency can load but we never use; passed only while that dependency is installed. */
const EXTERNALS: ReadonlyArray<{ readonly dependency: string; readonly module: string }> = [
  { dependency: "dbus-next", module: "x11" } // its optional X11 transport, which a NAS daemon never uses
]

const ROOT = join(import.meta.dirname, "..")
const ENTRY = "src/index.ts"
const DIST = "dist"
/** Emulation is ~10x slower than native: generous, for both. */
const SMOKE_TIMEOUT_MS = 60_000

class BuildFailure extends Error {}
function fail(message: string): never {
  throw new BuildFailure(message)
}

const say = (line: string) => process.stdout.write(`${line}\n`)
const indent = (text: string, prefix: string) =>
  text.trimEnd().split("\n").filter((line) => line.trim() !== "").map((line) => `${prefix}${line}`).join("\n")
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const timed = <A>(f: () => A): { readonly value: A; readonly ms: number } => {
  const start = performance.now()
  const value = f()
  return { value, ms: performance.now() - start }
}
const rel = (path: string) => relative(ROOT, path) || "."

const run = (file: string, args: ReadonlyArray<string>, options: { readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}) =>
  spawnSync(file, args, {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: "SIGKILL" as const })
  })

const outputOf = (result: SpawnSyncReturns<string>) => `${result.stdout ?? ""}${result.stderr ?? ""}`

const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  readonly version: string
  readonly dependencies?: Readonly<Record<string, string>>
}

// ---------------------------------------------------------------- checks

const checkNativeAddons = (targets: ReadonlyArray<Target>, host: Arch) => {
  const { value: found, ms } = timed(() => NativeAddons.findAddons(ROOT, [join(ROOT, "tools", "stubs")]))
  const strangers = NativeAddons.unlisted(found, NATIVE_ADDONS)
  if (strangers.length > 0) {
    fail(
      `native addons in node_modules that tools/build.ts does not know how to build for every target:\n` +
        strangers.map((addon) => `  ${addon.package}: ${addon.path}`).join("\n") +
        `\nAdd each package to NATIVE_ADDONS in tools/build.ts (how it is built for x64 and arm64; ` +
        `src/ must import the .node file by its literal path), or drop the dependency.`
    )
  }
  for (const addon of NATIVE_ADDONS) {
    if (!existsSync(NativeAddons.installedPath(ROOT, addon))) {
      fail(`${addon.package}: ${rel(NativeAddons.installedPath(ROOT, addon))} is missing: ` +
        `npm ci did not build it (is the package approved in package.json's allowScripts?)`)
    }
    for (const target of targets) {
      if (addon.build[target.arch]._tag === "AsInstalled" && target.arch !== host) {
        fail(`${addon.package}: its ${target.arch} build is the installed file, which needs an ${target.arch} build host (this is ${host})`)
      }
    }
  }
  say(`native addons: ${found.length === 0 ? "none" : [...new Set(found.map((a) => a.package))].join(", ")} in node_modules ` +
    `(scanned in ${ms.toFixed(0)} ms); table: ${NATIVE_ADDONS.length === 0 ? "empty" : NATIVE_ADDONS.map((a) => a.package).join(", ")}`)
}

const crossBuilds = (target: Target) =>
  NATIVE_ADDONS.flatMap((addon) => {
    const recipe = addon.build[target.arch]
    return recipe._tag === "NodeGypCross" ? [{ addon, recipe }] : []
  })

interface Requirement {
  readonly name: string
  readonly why: string
}

const requiredPackages = (targets: ReadonlyArray<Target>, host: Arch, smoke: boolean): ReadonlyArray<Requirement> =>
  targets.flatMap((target) => [
    ...(smoke && target.arch !== host
      ? target.emulationPackages.map((name) => ({ name, why: `runs the ${target.name} smoke test (${target.qemu} -L ${sysroot(target)})` }))
      : []),
    ...(crossBuilds(target).length > 0
      ? [{ name: target.crossCompilerPackage, why: `cross-compiles native addons for ${target.name}` }]
      : [])
  ])

const checkDebianPackages = (required: ReadonlyArray<Requirement>, installDeps: boolean) => {
  if (required.length === 0) return
  const names = [...new Set(required.map((r) => r.name))]
  const missingNow = () => {
    const query = DebianPackages.queryInstalled(names)
    return query.ok ? DebianPackages.missingFrom(names, query.installed) : fail(query.reason)
  }
  let missing = missingNow()
  if (missing.length > 0 && installDeps) {
    if (process.getuid?.() !== 0) {
      fail(`--install-deps needs root. Run as root:\n  apt-get update && ${DebianPackages.installCommandLine(missing)}`)
    }
    say(`installing Debian packages: ${missing.join(", ")}`)
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    for (const args of [["update"], DebianPackages.installArgs(missing)]) {
      const result = spawnSync("apt-get", args, { stdio: "inherit", env })
      if (result.status !== 0) fail(`apt-get ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`)
    }
    missing = missingNow()
  }
  if (missing.length > 0) {
    const reasons = required.filter((r) => missing.includes(r.name)).map((r) => `  ${r.name}: ${r.why}`)
    fail(
      `missing Debian packages:\n${[...new Set(reasons)].join("\n")}\n` +
        `Install them as root:\n  apt-get update && ${DebianPackages.installCommandLine(missing)}\n` +
        `or run 'npm run build -- --install-deps' as root, or 'npm run build -- --host-only', which needs none of them.`
    )
  }
  say(`Debian packages: ${names.join(", ")} installed`)
}

const bunExecutable = (): string => {
  if (process.versions["bun"] !== undefined) return process.execPath
  const local = join(ROOT, "node_modules", ".bin", "bun")
  return existsSync(local) ? local : fail(`bun is not installed in node_modules: run npm ci (package.json's allowScripts must approve bun)`)
}

// ---------------------------------------------------------------- build

interface Built {
  readonly target: Target
  readonly path: string
  readonly bytes: number
  readonly machine: number
}

const crossBuildAddons = (target: Target): ReadonlyArray<NativeAddons.Placement> =>
  crossBuilds(target).map(({ addon, recipe }) => {
    const dir = NativeAddons.copyPackageForCrossBuild(ROOT, target.arch, addon)
    const gyp = NativeAddons.nodeGypCommand(recipe, process.env)
    say(`[${target.name}] ${addon.package}: CC=${recipe.cc} CXX=${recipe.cxx} node-gyp rebuild --arch=${recipe.arch}`)
    const result = run(gyp.file, gyp.args, { cwd: dir, env: { ...process.env, ...gyp.env } })
    if (result.status !== 0) {
      fail(`${addon.package}: node-gyp for ${target.arch} failed (${result.error?.message ?? `exit ${result.status}`}):\n${indent(outputOf(result), "  ")}`)
    }
    const built = join(dir, addon.file)
    const elf = existsSync(built) ? Elf.machineOfFile(built) : { ok: false as const, reason: "node-gyp produced no such file" }
    if (!elf.ok || elf.machine !== target.elfMachine) {
      fail(`${addon.package}: ${rel(built)} is not an ${Elf.machineName(target.elfMachine)} addon: ` +
        (elf.ok ? Elf.machineName(elf.machine) : elf.reason))
    }
    return { installed: NativeAddons.installedPath(ROOT, addon), built }
  })

const compile = (bun: string, target: Target, version: string, commit: string): Built => {
  const out = join(ROOT, DIST, target.output)
  const tag = `[${target.name}]`
  rmSync(out, { force: true })
  const placements = crossBuildAddons(target)
  const externals = EXTERNALS.filter((e) => packageJson.dependencies?.[e.dependency] !== undefined)
  const args = [
    "build",
    "--compile",
    // Start-up (issue 22): one chunk per command loaded on first import(), so a
    // command evaluates only its own modules; bytecode so none of them is parsed
    // at run time (bytecode needs ESM output); minified with names kept, so
    // error names and stack frames still read; an embedded source map maps a
    // crash's stack back to src/. --production: without it the bundler resolves the
    // "development" export condition (xstate's development build, with its extra
    // checks, ran the daemon's agents ~2x slower at start).
    "--production",
    "--splitting",
    "--format=esm",
    "--bytecode",
    "--minify",
    "--keep-names",
    "--sourcemap=linked",
    `--target=${target.bunTarget}`,
    "--define",
    `__SIGMAVAULT_VERSION__=${JSON.stringify(version)}`,
    "--define",
    `__SIGMAVAULT_COMMIT__=${JSON.stringify(commit)}`,
    ...externals.flatMap((e) => ["--external", e.module]),
    "--outfile",
    rel(out),
    ENTRY
  ]
  say(`${tag} bun ${args.join(" ")}`)
  NativeAddons.putInPlace(ROOT, placements)
  const { value: result, ms } = timed(() => {
    try {
      return run(bun, args)
    } finally {
      NativeAddons.restoreInstalled(ROOT)
    }
  })
  if (result.status !== 0 || !existsSync(out)) {
    fail(`${tag} bun build failed (${result.error?.message ?? `exit ${result.status}`}):\n${indent(outputOf(result), "  ")}`)
  }
  say(indent(outputOf(result), `${tag}   `))
  const elf = Elf.machineOfFile(out)
  if (!elf.ok) fail(`${tag} ${rel(out)}: ${elf.reason}`)
  const machine = elf.machine
  if (machine !== target.elfMachine) {
    fail(`${tag} ${rel(out)} is for ${Elf.machineName(machine)}, not ${Elf.machineName(target.elfMachine)}`)
  }
  const bytes = statSync(out).size
  say(`${tag} built ${rel(out)}: ${(bytes / 1e6).toFixed(1)} MB, ELF ${Elf.machineName(machine)}, in ${seconds(ms)}`)
  return { target, path: out, bytes, machine }
}

// ---------------------------------------------------------------- smoke

interface SmokeOutcome {
  readonly ok: boolean
  readonly summary: string
}

const smoke = (built: Built, host: Arch, expectedVersionLine: string): SmokeOutcome => {
  const tag = `[${built.target.name}]`
  const runner = runnerFor(built.target, host, built.path)
  const how = runner.prefix.length === 0 ? "" : ` under ${runner.file}`
  const exec = (command: string): { readonly result: Smoke.RunResult; readonly ms: number } => {
    const { value, ms } = timed(() => run(runner.file, [...runner.prefix, command], { timeoutMs: SMOKE_TIMEOUT_MS }))
    const timedOut = (value.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT"
    if (value.error !== undefined && !timedOut) fail(`${tag} cannot run ${runner.file}: ${value.error.message}`)
    return {
      result: { status: value.status, signal: value.signal, stdout: value.stdout ?? "", stderr: value.stderr ?? "", timedOut },
      ms
    }
  }
  const report = (command: string, verdict: Smoke.Verdict, ms: number) => {
    const label = verdict._tag === "Passed" ? "ok" : "FAILED"
    say(`${tag} smoke${how}: ${command}: ${label} in ${seconds(ms)}: ${verdict.detail.split("\n")[0]}`)
    if (verdict._tag === "Failed") say(indent(verdict.detail.split("\n").slice(1).join("\n"), `${tag}   `))
  }

  const version = exec("--version")
  const versionVerdict = Smoke.judgeVersion(version.result, expectedVersionLine)
  report("--version", versionVerdict, version.ms)
  if (versionVerdict._tag !== "Passed") return { ok: false, summary: `FAILED: --version${how}` }

  const selftest = exec("selftest")
  const selftestVerdict = Smoke.judgeSelftest(selftest.result)
  report("selftest", selftestVerdict, selftest.ms)
  return selftestVerdict._tag === "Passed"
    ? { ok: true, summary: `ok${how}: --version, selftest ${selftestVerdict.detail.split(" ")[0]} (${seconds(version.ms + selftest.ms)})` }
    : { ok: false, summary: `FAILED: selftest${how}` }
}

// ---------------------------------------------------------------- main

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows
    .map((row) => row.map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd())
    .join("\n")
}

const main = (argv: ReadonlyArray<string>): number => {
  const parsed = parseOptions(argv)
  if (!parsed.ok) {
    process.stderr.write(`build: ${parsed.message}\n`)
    return 2
  }
  const options = parsed.options
  if (options.help) {
    process.stdout.write(HELP)
    return 0
  }
  const started = performance.now()
  const host = archOf(process.arch) ?? fail(`this host is ${process.arch}; builds run on x64 or arm64 Linux`)
  if (process.platform !== "linux") fail(`this host runs ${process.platform}; builds run on Linux`)
  const targets = options.hostOnly ? TARGETS.filter((t) => t.arch === host) : TARGETS

  const restored = NativeAddons.restoreInstalled(ROOT)
  if (restored.length > 0) say(`restored installed addons left swapped by an interrupted build: ${restored.join(", ")}`)
  checkNativeAddons(targets, host)
  checkDebianPackages(requiredPackages(targets, host, options.smoke), options.installDeps)

  const version = packageJson.version
  const commit = GitCommit.currentCommit(ROOT)
  const bun = bunExecutable()
  const bunVersion = run(bun, ["--version"]).stdout?.trim() || "unknown"
  say(`sigmavault ${version} (${commit}): building ${targets.map((t) => t.name).join(", ")} with bun ${bunVersion}`)

  mkdirSync(join(ROOT, DIST), { recursive: true })
  const built = targets.map((target) => compile(bun, target, version, commit))
  const expectedVersionLine = `sigmavault ${version} (${commit})`
  const outcomes = built.map((b) =>
    options.smoke ? smoke(b, host, expectedVersionLine) : { ok: true, summary: "skipped (--no-smoke)" }
  )

  say("")
  say(table([
    ["target", "size MB", "ELF", "smoke"],
    ...built.map((b, i) => [b.target.name, (b.bytes / 1e6).toFixed(1), Elf.machineName(b.machine), outcomes[i]!.summary])
  ]))
  say("")
  const failures = outcomes.filter((o) => !o.ok).length
  if (failures > 0) {
    process.stderr.write(`build: ${failures} smoke test${failures === 1 ? "" : "s"} failed (details above)\n`)
    return 1
  }
  say(`build: done in ${seconds(performance.now() - started)}`)
  return 0
}

let exitCode: number
try {
  exitCode = main(process.argv.slice(2))
} catch (error) {
  // A BuildFailure says what to do; a system error (EACCES, ENOSPC, ...) names its path; anything else is a bug here.
  const systemError = error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string"
  process.stderr.write(
    error instanceof BuildFailure || systemError
      ? `build: ${error.message}\n`
      : `build: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`
  )
  exitCode = 1
}
process.exitCode = exitCode
