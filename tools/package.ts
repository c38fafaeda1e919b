/**
 * `npm run package`: dist/sigmavault_<version>_amd64.deb and _arm64.deb from
 * the binaries of `npm run build` (run first unless --no-build), laid out by
 * hand (tools/package/Deb.ts) and built with
 * `dpkg-deb --root-owner-group -Zxz -z1 --build`. The man page is written
 * from the host binary's own --help (tools/package/ManPage.ts). Reproducible:
 * SOURCE_DATE_EPOCH (default: the last commit's time) is every file's mtime,
 * the changelog's date and the man page's. Every command is spawned with an
 * argument array.
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process"
import { createHash } from "node:crypto"
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { isAbsolute, join, relative, resolve } from "node:path"
import { gzipSync } from "node:zlib"
import * as GitCommit from "./build/GitCommit.ts"
import * as NativeAddons from "./build/NativeAddons.ts"
import { archOf, TARGETS, type Arch, type Target } from "./build/Targets.ts"
import * as Deb from "./package/Deb.ts"
import * as ManPage from "./package/ManPage.ts"

const ROOT = join(import.meta.dirname, "..")

const HELP = `Usage: npm run package [-- options]      (bun tools/package.ts [options])

Builds the binaries (npm run build) and packs each into
  dist/sigmavault_<version>-<revision>_amd64.deb and _arm64.deb
with dpkg-deb (xz -1). See docs/install.md for what the package installs.

Options:
  --host-only      build and package only this machine's architecture
  --no-build       package the binaries already in dist/ (no npm run build)
  --no-smoke       pass --no-smoke to the build
  --revision N     Debian revision (default 1): version <package.json version>-N
  --out DIR        where the .debs go (default dist)
  -h, --help       show this help

SOURCE_DATE_EPOCH, when set, replaces the last commit's time.
`

interface Options {
  readonly hostOnly: boolean
  readonly build: boolean
  readonly smoke: boolean
  readonly revision: number
  readonly out: string
  readonly help: boolean
}

class PackageFailure extends Error {}
const fail = (message: string): never => {
  throw new PackageFailure(message)
}
const say = (line: string) => process.stdout.write(`${line}\n`)
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const parseOptions = (argv: ReadonlyArray<string>): Options => {
  let options: Options = { hostOnly: false, build: true, smoke: true, revision: 1, out: "dist", help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => argv[++i] ?? fail(`${arg} needs a value; run 'npm run package -- --help'`)
    switch (arg) {
      case "--host-only": options = { ...options, hostOnly: true }; break
      case "--no-build": options = { ...options, build: false }; break
      case "--no-smoke": options = { ...options, smoke: false }; break
      case "--revision": {
        const text = value()
        if (!/^[1-9][0-9]{0,5}$/.test(text)) fail(`--revision '${text}' is not a whole number >= 1`)
        options = { ...options, revision: Number(text) }
        break
      }
      case "--out": options = { ...options, out: value() }; break
      case "-h": case "--help": options = { ...options, help: true }; break
      default: fail(`unknown option '${arg}'; run 'npm run package -- --help'`)
    }
  }
  return options
}

const run = (file: string, args: ReadonlyArray<string>, options: SpawnSyncOptions = {}) => {
  const result = spawnSync(file, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options })
  if (result.error !== undefined) fail(`cannot run ${file}: ${result.error.message}`)
  return { status: result.status, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") }
}
const runOk = (file: string, args: ReadonlyArray<string>, options: SpawnSyncOptions = {}) => {
  const result = run(file, args, options)
  if (result.status !== 0) fail(`${file} ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`)
  return result.stdout
}

const sourceDateEpoch = (): number => {
  const fromEnv = process.env["SOURCE_DATE_EPOCH"]
  const text = fromEnv ?? runOk("git", ["-C", ROOT, "log", "-1", "--format=%ct"]).trim()
  if (!/^[0-9]{1,12}$/.test(text)) fail(`SOURCE_DATE_EPOCH '${text}' is not a number of seconds`)
  return Number(text)
}

/** The man page, from the host binary's --help and each command's --help. */
const manPage = (binary: string, version: string, epoch: number): string => {
  const main = ManPage.parseMainHelp(runOk(binary, ["--help"]))
  const commands = main.commands.map((name) => ManPage.parseCommandHelp(name, runOk(binary, [name, "--help"])))
  return ManPage.render(main, commands, { version, date: new Date(epoch * 1000).toISOString().slice(0, 10) })
}

/** dpkg-shlibdeps on the host binary and the native addons it embeds (node_modules' *.node files, as the build found them). */
const shlibs = (binary: string): ReadonlyArray<string> => {
  const dir = mkdtempSync(join(tmpdir(), `sv-shlibs-${process.pid}-`))
  try {
    mkdirSync(join(dir, "debian"))
    writeFileSync(join(dir, "debian", "control"), "Source: sigmavault\n\nPackage: sigmavault\nArchitecture: any\n")
    const addons = NativeAddons.findAddons(ROOT, [join(ROOT, "tools", "stubs")]).map((a) => (isAbsolute(a.path) ? a.path : join(ROOT, a.path)))
    const result = run("dpkg-shlibdeps", ["-O", ...[binary, ...addons].map((file) => `-e${file}`)], { cwd: dir })
    if (result.status !== 0) fail(`dpkg-shlibdeps failed (is dpkg-dev installed?):\n${result.stderr}`)
    return Deb.parseShlibs(result.stdout)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const bundledLicenses = (): ReadonlyArray<Deb.BundledLicense> =>
  Deb.bundledFromLock(JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")))

const md5 = (path: string): string => createHash("md5").update(readFileSync(path)).digest("hex")

/** Every path under `dir`, depth first, sorted. */
const walk = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name)
    return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path]
  })

interface Made {
  readonly target: Target
  readonly path: string
  readonly bytes: number
  readonly installedKiB: number
  readonly ms: number
}

const makeDeb = (target: Target, input: {
  readonly version: string
  readonly epoch: number
  readonly manPage: string
  readonly changelog: string
  readonly copyright: string
  readonly shlibs: ReadonlyArray<string>
  readonly out: string
}): Made => {
  const started = performance.now()
  const binary = join(ROOT, "dist", target.output)
  if (!existsSync(binary)) fail(`${relative(ROOT, binary)} is missing: run npm run build (or drop --no-build)`)
  const tree = mkdtempSync(join(tmpdir(), `sv-deb-${target.arch}-${process.pid}-`))
  try {
    const docs = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort()
    const entries = Deb.layout({ binary, root: ROOT, docs, manPage: input.manPage, changelog: input.changelog, copyright: input.copyright })
    for (const entry of entries) {
      const path = join(tree, entry.path)
      switch (entry._tag) {
        case "Dir":
          mkdirSync(path)
          chmodSync(path, 0o755)
          break
        case "Copy":
          copyFileSync(entry.from, path)
          chmodSync(path, entry.mode)
          break
        case "Text":
          writeFileSync(path, entry.text)
          chmodSync(path, entry.mode)
          break
        case "Gzip":
          // zlib writes no name and a zero time into the gzip header: the bytes depend on the text alone.
          writeFileSync(path, gzipSync(entry.text, { level: 9 }))
          chmodSync(path, 0o644)
          break
      }
    }
    const files = entries.filter((e) => e._tag !== "Dir")
    const installedKiB = Deb.installedSizeKiB(files.map((e) => statSync(join(tree, e.path)).size), entries.length - files.length)

    const debian = join(tree, "DEBIAN")
    mkdirSync(debian)
    chmodSync(debian, 0o755)
    writeFileSync(join(debian, "control"), Deb.control({ version: input.version, arch: target.arch, installedSizeKiB: installedKiB, shlibs: input.shlibs }))
    const conffiles = new Set([Deb.CONFFILE.slice(1)])
    writeFileSync(join(debian, "md5sums"), files.filter((e) => !conffiles.has(e.path)).map((e) => `${md5(join(tree, e.path))}  ${e.path}\n`).join(""))
    for (const name of ["control", "md5sums"]) chmodSync(join(debian, name), 0o644)
    for (const script of Deb.controlScripts()) {
      writeFileSync(join(debian, script.name), script.text)
      chmodSync(join(debian, script.name), script.mode)
    }
    // Clamp every mtime to SOURCE_DATE_EPOCH (children first does not matter: utimes does not touch the parent).
    for (const path of [tree, ...walk(tree)]) utimesSync(path, input.epoch, input.epoch)

    mkdirSync(input.out, { recursive: true })
    const out = join(input.out, Deb.fileName(input.version, target.arch))
    rmSync(out, { force: true })
    runOk("dpkg-deb", ["--root-owner-group", "-Zxz", "-z1", "--build", tree, out], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(input.epoch) }
    })
    return { target, path: out, bytes: statSync(out).size, installedKiB, ms: performance.now() - started }
  } finally {
    rmSync(tree, { recursive: true, force: true })
  }
}

const main = (argv: ReadonlyArray<string>): number => {
  const options = parseOptions(argv)
  if (options.help) {
    process.stdout.write(HELP)
    return 0
  }
  const started = performance.now()
  const host = archOf(process.arch) ?? fail(`this host is ${process.arch}; packages are built on x64 or arm64 Linux`)
  const targets = options.hostOnly ? TARGETS.filter((t) => t.arch === host) : TARGETS
  const hostTarget = TARGETS.find((t) => t.arch === host)!

  if (options.build) {
    // Through npm: the build finds npm's node-gyp (npm_config_node_gyp) for the arm64 addon.
    const args = ["run", "build", "--", ...(options.hostOnly ? ["--host-only"] : []), ...(options.smoke ? [] : ["--no-smoke"])]
    say(`package: npm ${args.join(" ")}`)
    const build = spawnSync("npm", args, { cwd: ROOT, stdio: "inherit" })
    if (build.status !== 0) fail(`npm run build failed (${build.error?.message ?? `exit ${build.status}`})`)
  }

  const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { readonly version: string }
  const version = Deb.debianVersion(packageJson.version, options.revision)
  const epoch = sourceDateEpoch()
  const commit = GitCommit.currentCommit(ROOT)
  const hostBinary = join(ROOT, "dist", hostTarget.output)
  if (!existsSync(hostBinary)) fail(`${relative(ROOT, hostBinary)} is missing: the man page is written from its --help (run npm run build)`)
  const versionLine = runOk(hostBinary, ["--version"]).trim()
  if (versionLine !== `sigmavault ${packageJson.version} (${commit})`) {
    const message = `${relative(ROOT, hostBinary)} says '${versionLine}', this checkout is sigmavault ${packageJson.version} (${commit})`
    // Packaging binaries built from another commit is a choice (--no-build) for trying the packaging out, never the default.
    if (options.build || !versionLine.startsWith(`sigmavault ${packageJson.version} (`)) fail(`${message}: rebuild it`)
    say(`package: WARNING: ${message} (--no-build: packaging them anyway)`)
  }

  const shared = {
    version,
    epoch,
    manPage: manPage(hostBinary, packageJson.version, epoch),
    changelog: Deb.changelog({ version, commit, date: Deb.rfc5322(epoch) }),
    copyright: Deb.copyright(new Date(epoch * 1000).getUTCFullYear(), bundledLicenses()),
    shlibs: shlibs(hostBinary),
    out: resolve(ROOT, options.out)
  }
  say(`package: sigmavault ${version} (${commit}), SOURCE_DATE_EPOCH=${epoch}, Depends: ${Deb.depends(shared.shlibs).join(", ")}`)
  const made = targets.map((target) => {
    const deb = makeDeb(target, shared)
    say(`package: ${relative(ROOT, deb.path)}: ${(deb.bytes / 1e6).toFixed(1)} MB (installed ${(deb.installedKiB / 1024).toFixed(1)} MiB) in ${seconds(deb.ms)}`)
    return deb
  })
  for (const deb of made) say(`${createHash("sha256").update(readFileSync(deb.path)).digest("hex")}  ${relative(ROOT, deb.path)}`)
  say(`package: done in ${seconds(performance.now() - started)}`)
  return 0
}

let exitCode: number
try {
  exitCode = main(process.argv.slice(2))
} catch (error) {
  const known = error instanceof PackageFailure || error instanceof ManPage.HelpFormatError ||
    (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string")
  process.stderr.write(known ? `package: ${(error as Error).message}\n` : `package: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`)
  exitCode = 1
}
process.exitCode = exitCode
