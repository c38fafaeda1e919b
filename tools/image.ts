/**
 * `npm run image`: the SigmaVault live ISO (Debian bookworm, live-build) with
 * the amd64 .deb installed and sigmavault.service enabled.
 *
 * 1. the .deb: dist/sigmavault_<version>-1_amd64.deb, made by
 *    `npm run package -- --host-only` when it is missing (or with --package);
 * 2. a build directory outside the repository (default
 *    /var/tmp/sigmavault-image; its live-build cache/ is kept between runs):
 *    live-build/auto and live-build/config copied in, the .deb put in
 *    config/packages.chroot/;
 * 3. `lb clean`, `lb config`, `lb build` there, the mirror read from this
 *    machine's apt sources (SIGMAVAULT_MIRROR, SIGMAVAULT_SECURITY_MIRROR for
 *    live-build/auto/config);
 * 4. the ISO moved to dist/sigmavault-<version>-amd64.iso; its path, size and
 *    the build's time printed.
 *
 * Every command is spawned with an argument array. Root only (lb needs it).
 */
import { spawnSync } from "node:child_process"
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { isAbsolute, join, resolve } from "node:path"
import { mirrorFrom } from "./package/Mirror.ts"

const ROOT = join(import.meta.dirname, "..")
const SUITE = "bookworm"

const HELP = `Usage: npm run image [-- options]      (bun tools/image.ts [options])

Builds the SigmaVault live ISO with live-build (as root):
  dist/sigmavault-<version>-amd64.iso
from dist/sigmavault_<version>-1_amd64.deb (made by npm run package -- --host-only
when missing). The mirror is this machine's apt source for ${SUITE}.

Options:
  --package          rebuild the .deb first even if it exists
  --build-dir DIR    live-build's working directory (default /var/tmp/sigmavault-image;
                     its cache/ is kept, so a second build is faster)
  --out DIR          where the ISO goes (default dist)
  --zfs              also install zfsutils-linux and zfs-dkms from contrib (the mirror
                     must carry contrib; compiles the module in the chroot: slower)
  -h, --help         show this help

Needs: apt-get install -y live-build xorriso squashfs-tools
`

interface Options {
  readonly package: boolean
  readonly buildDir: string
  readonly out: string
  readonly zfs: boolean
  readonly help: boolean
}

const fail = (message: string): never => {
  process.stderr.write(`image: ${message}\n`)
  process.exit(1)
}
const say = (message: string) => process.stdout.write(`image: ${message}\n`)

const parse = (argv: ReadonlyArray<string>): Options => {
  let o: Options = { package: false, buildDir: "/var/tmp/sigmavault-image", out: "dist", zfs: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => argv[++i] ?? fail(`${arg} needs a value`)
    switch (arg) {
      case "--package": o = { ...o, package: true }; break
      case "--build-dir": o = { ...o, buildDir: resolve(value()) }; break
      case "--out": o = { ...o, out: value() }; break
      case "--zfs": o = { ...o, zfs: true }; break
      case "-h": case "--help": o = { ...o, help: true }; break
      default: fail(`unknown option ${arg} (see --help)`)
    }
  }
  return o
}

const aptSources = (): ReadonlyArray<{ readonly path: string; readonly text: string }> => {
  const files = ["/etc/apt/sources.list", ...(existsSync("/etc/apt/sources.list.d")
    ? readdirSync("/etc/apt/sources.list.d").filter((n) => n.endsWith(".list") || n.endsWith(".sources")).map((n) => `/etc/apt/sources.list.d/${n}`)
    : [])]
  return files.filter((path) => existsSync(path)).map((path) => ({ path, text: readFileSync(path, "utf8") }))
}

const onPath = (tool: string): boolean =>
  (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").concat(["/usr/sbin", "/sbin"]).some((dir) => existsSync(join(dir, tool)))

/** Run a command; its output goes to `log` (appended) when given, else to ours. */
const run = (cmd: string, args: ReadonlyArray<string>, opts: { cwd?: string; env?: Record<string, string>; log?: string } = {}): void => {
  const fd = opts.log === undefined ? undefined : openSync(opts.log, "a")
  try {
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: fd === undefined ? "inherit" : ["ignore", fd, fd]
    })
    if (r.error !== undefined) fail(`${cmd}: ${r.error.message}`)
    if (r.status !== 0) {
      const tail = opts.log === undefined ? "" : `\n--- last lines of ${opts.log} ---\n${readFileSync(opts.log, "utf8").split("\n").slice(-40).join("\n")}`
      fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}${tail}`)
    }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`

const main = () => {
  const options = parse(process.argv.slice(2))
  if (options.help) {
    process.stdout.write(HELP)
    return
  }
  if (process.getuid?.() !== 0) fail("npm run image must run as root (live-build debootstraps and chroots)")
  const missing = ["lb", "debootstrap", "xorriso", "mksquashfs"].filter((t) => !onPath(t))
  if (missing.length > 0) fail(`missing tools: ${missing.join(", ")} (apt-get install -y live-build xorriso squashfs-tools)`)

  const mirror = mirrorFrom(aptSources(), SUITE) ?? fail(`no ${SUITE} mirror with main in /etc/apt/sources.list*`)
  const security = mirrorFrom(aptSources(), `${SUITE}-security`) ?? fail(`no ${SUITE}-security source with main in /etc/apt/sources.list*`)
  say(`mirror (from this machine's apt sources): ${mirror}, security: ${security}`)

  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version
  const deb = join(ROOT, "dist", `sigmavault_${version}-1_amd64.deb`)
  const started = Date.now()
  if (options.package || !existsSync(deb)) {
    say(`npm run package -- --host-only (${existsSync(deb) ? "--package given" : "no " + deb})`)
    run("npm", ["run", "package", "--", "--host-only"])
  }
  if (!existsSync(deb)) fail(`npm run package did not make ${deb}`)
  say(`package: ${deb} (${mb(statSync(deb).size)})`)

  // The build directory: config copied afresh, live-build's cache kept.
  const dir = options.buildDir
  if (dir.startsWith(ROOT + "/") || dir === ROOT) fail(`--build-dir must be outside the repository: ${dir}`)
  mkdirSync(dir, { recursive: true })
  const log = join(dir, "image.log")
  writeFileSync(log, "")
  const env = { SIGMAVAULT_MIRROR: mirror, SIGMAVAULT_SECURITY_MIRROR: security, SIGMAVAULT_ARCHIVE_AREAS: options.zfs ? "main contrib" : "main" }
  if (existsSync(join(dir, "config"))) {
    say(`lb clean in ${dir} (the cache stays)`)
    run("lb", ["clean"], { cwd: dir, env, log })
  }
  for (const sub of ["auto", "config"]) {
    rmSync(join(dir, sub), { recursive: true, force: true })
    cpSync(join(ROOT, "live-build", sub), join(dir, sub), { recursive: true, verbatimSymlinks: true })
  }
  mkdirSync(join(dir, "config/packages.chroot"), { recursive: true })
  copyFileSync(deb, join(dir, "config/packages.chroot", `sigmavault_${version}-1_amd64.deb`))
  if (options.zfs) {
    writeFileSync(join(dir, "config/package-lists/zfs.list.chroot"), "# --zfs: ZFS from contrib (zfs-dkms builds the module for the image's kernel)\nlinux-headers-amd64\nzfs-dkms\nzfsutils-linux\n")
  }

  say(`lb config in ${dir}`)
  run("lb", ["config"], { cwd: dir, env, log })
  say(`lb build in ${dir} (minutes; log: ${log})`)
  const lbStarted = Date.now()
  run("lb", ["build"], { cwd: dir, env, log })
  const lbMs = Date.now() - lbStarted

  const iso = readdirSync(dir).find((n) => n.endsWith(".iso")) ?? fail(`lb build made no .iso in ${dir} (see ${log})`)
  const outDir = isAbsolute(options.out) ? options.out : join(ROOT, options.out)
  mkdirSync(outDir, { recursive: true })
  const target = join(outDir, `sigmavault-${version}-amd64.iso`)
  try {
    renameSync(join(dir, iso), target)
  } catch {
    copyFileSync(join(dir, iso), target)
    rmSync(join(dir, iso))
  }
  say(`ISO: ${target}`)
  say(`size: ${mb(statSync(target).size)}; lb build ${secs(lbMs)}, total ${secs(Date.now() - started)}`)
}

main()
