/**
 * `npm run test:deb` (root; minutes, not part of `npm test`): builds the
 * .debs (npm run package), checks they are reproducible and lintian-clean,
 * then in a fresh `debootstrap --variant=minbase bookworm` chroot installs,
 * upgrades, removes and purges the host architecture's package, and boots the
 * chroot with `systemd-nspawn -b` to see the service run, a socket_group
 * member use it and `dpkg -r` stop it. See docs/install.md. Every command is
 * spawned with an argument array; the chroot's mounts are undone in `finally`.
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process"
import { createHash } from "node:crypto"
import { appendFileSync, chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { archOf } from "./build/Targets.ts"
import * as Deb from "./package/Deb.ts"
import { mirrorFrom } from "./package/Mirror.ts"

const ROOT = join(import.meta.dirname, "..")
const CACHE = "/var/cache/sigmavault-test-deb"
const SUITE = "bookworm"

const HELP = `Usage: npm run test:deb [-- options]      (bun tools/test-deb.ts [options]; as root)

Builds both .debs (npm run package), checks that a rebuild is byte-identical
and that lintian passes, then runs the install / upgrade / remove / purge
cycle of this machine's package in a debootstrap --variant=minbase ${SUITE}
chroot (cached as ${CACHE}/${SUITE}-minbase-<arch>.tar.gz; apt's
downloads are kept beside it) and boots it with systemd-nspawn -b.

Options:
  --no-build       package the binaries already in dist/ (skips npm run build)
  --no-package     use the .debs already in dist/ (skips the build, the
                   reproducibility check and the package step)
  --no-boot        skip the systemd-nspawn boot
  --no-lintian     skip lintian
  --arm64          also install the arm64 package in an arm64 chroot under
                   qemu-user (binfmt; debootstrap --foreign, slow the first time)
  --keep           keep the chroot (its path is printed)
  -h, --help       show this help
`

class TestFailure extends Error {}
const fail = (message: string): never => {
  throw new TestFailure(message)
}

const started = performance.now()
const stamp = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`
const say = (line: string) => process.stdout.write(`[${stamp()}] ${line}\n`)
const indent = (text: string) => text.trimEnd().split("\n").filter((l) => l.trim() !== "").map((l) => `    ${l}`).join("\n")

const run = (file: string, args: ReadonlyArray<string>, options: SpawnSyncOptions & { readonly quiet?: boolean } = {}) => {
  const result = spawnSync(file, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"], ...options })
  if (result.error !== undefined) fail(`cannot run ${file}: ${result.error.message}`)
  return { status: result.status, out: `${String(result.stdout ?? "")}${String(result.stderr ?? "")}` }
}
const runOk = (file: string, args: ReadonlyArray<string>, options: SpawnSyncOptions = {}) => {
  const result = run(file, args, options)
  if (result.status !== 0) fail(`${file} ${args.join(" ")} failed (exit ${result.status}):\n${indent(result.out)}`)
  return result.out
}
const check = (what: string, ok: boolean, detail = "") => {
  if (!ok) fail(`${what}: FAILED${detail === "" ? "" : `\n${indent(detail)}`}`)
  say(`ok: ${what}`)
}
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")
const bun = () => (process.versions["bun"] !== undefined ? process.execPath : join(ROOT, "node_modules", ".bin", "bun"))

interface Options {
  readonly build: boolean
  readonly packageStep: boolean
  readonly boot: boolean
  readonly keep: boolean
  readonly arm64: boolean
  readonly lintian: boolean
  readonly help: boolean
}
const parseOptions = (argv: ReadonlyArray<string>): Options => {
  let o: Options = { build: true, packageStep: true, boot: true, keep: false, arm64: false, lintian: true, help: false }
  for (const arg of argv) {
    if (arg === "--no-build") o = { ...o, build: false }
    else if (arg === "--no-package") o = { ...o, packageStep: false, build: false }
    else if (arg === "--no-boot") o = { ...o, boot: false }
    else if (arg === "--keep") o = { ...o, keep: true }
    else if (arg === "--arm64") o = { ...o, arm64: true }
    else if (arg === "--no-lintian") o = { ...o, lintian: false }
    else if (arg === "-h" || arg === "--help") o = { ...o, help: true }
    else fail(`unknown option '${arg}'; run 'npm run test:deb -- --help'`)
  }
  return o
}

const requireTools = () => {
  const missing = ["debootstrap", "dpkg-deb", "dpkg-shlibdeps", "lintian", "systemd-nspawn", "chroot", "mount", "tar"].filter(
    (tool) => run("sh", ["-c", 'command -v "$1"', "sh", tool]).status !== 0
  )
  if (missing.length > 0) fail(`missing tools: ${missing.join(", ")} (apt-get install -y debootstrap dpkg-dev lintian systemd-container)`)
  if (process.getuid?.() !== 0) fail("npm run test:deb must run as root (debootstrap, chroot, mount, systemd-nspawn)")
}

/** The apt sources' files, as this machine has them. */
const aptSources = (): ReadonlyArray<{ readonly path: string; readonly text: string }> => {
  const files = ["/etc/apt/sources.list", ...(existsSync("/etc/apt/sources.list.d")
    ? readdirSync("/etc/apt/sources.list.d").filter((n) => n.endsWith(".list") || n.endsWith(".sources")).map((n) => `/etc/apt/sources.list.d/${n}`)
    : [])]
  return files.filter((path) => existsSync(path)).map((path) => ({ path, text: readFileSync(path, "utf8") }))
}

// ---------------------------------------------------------------- chroot

interface Chroot {
  readonly dir: string
  readonly mounts: Array<string>
}

const inChroot = (root: Chroot, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run("chroot", [root.dir, ...args], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive", HOME: "/root", ...env }
  })
const inChrootOk = (root: Chroot, args: ReadonlyArray<string>) => {
  const result = inChroot(root, args)
  if (result.status !== 0) fail(`chroot: ${args.join(" ")} failed (exit ${result.status}):\n${indent(result.out)}`)
  return result.out
}
const mount = (root: Chroot, args: ReadonlyArray<string>, target: string) => {
  runOk("mount", [...args, join(root.dir, target)])
  root.mounts.push(join(root.dir, target))
}
const unmount = (root: Chroot, target: string) => {
  const path = join(root.dir, target)
  runOk("umount", [path])
  root.mounts.splice(root.mounts.indexOf(path), 1)
}
/** /proc only around the checks that need it: the package's scripts must work without it (a Bun binary aborts there). */
const withProc = <A>(root: Chroot, f: () => A): A => {
  mount(root, ["-t", "proc", "proc"], "proc")
  try {
    return f()
  } finally {
    unmount(root, "proc")
  }
}

const cachedChroot = (arch: string, mirror: string): string => {
  mkdirSync(CACHE, { recursive: true })
  const tarball = join(CACHE, `${SUITE}-minbase-${arch}.tar.gz`)
  if (existsSync(tarball)) {
    say(`chroot: cached ${tarball}`)
    return tarball
  }
  const dir = mkdtempSync(join(tmpdir(), `sv-debootstrap-${process.pid}-`))
  try {
    const foreign = arch !== Deb.debianArch(archOf(process.arch)!)
    say(`chroot: debootstrap --variant=minbase --arch=${arch}${foreign ? " --foreign" : ""} ${SUITE} ${dir} ${mirror} (once; cached afterwards)`)
    runOk("debootstrap", ["--variant=minbase", `--arch=${arch}`, ...(foreign ? ["--foreign"] : []), SUITE, dir, mirror])
    if (foreign) {
      // The second stage runs the foreign binaries through qemu-user (binfmt_misc with the F flag: no copy in the chroot).
      say("chroot: debootstrap --second-stage under qemu-user")
      runOk("chroot", [dir, "/debootstrap/debootstrap", "--second-stage"], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" } })
    }
    chmodSync(dir, 0o755)
    runOk("tar", ["-C", dir, "--numeric-owner", "-czf", `${tarball}.tmp`, "."])
    runOk("mv", [`${tarball}.tmp`, tarball])
    say(`chroot: cached as ${tarball}`)
    return tarball
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const freshChroot = (arch: string, mirror: string): Chroot => {
  const tarball = cachedChroot(arch, mirror)
  const dir = mkdtempSync(join(tmpdir(), `sv-test-deb-${process.pid}-`))
  runOk("tar", ["-C", dir, "--numeric-owner", "-xzf", tarball])
  // mkdtemp made it 0700 (and a tarball of a mkdtemp directory says so for "."): as the
  // container's / that would shut every user but root out of everything.
  chmodSync(dir, 0o755)
  const root: Chroot = { dir, mounts: [] }
  writeFileSync(join(dir, "etc/apt/sources.list"), `deb ${mirror} ${SUITE} main\n`)
  // A dated snapshot mirror serves an expired Release file.
  writeFileSync(join(dir, "etc/apt/apt.conf.d/99sigmavault-test"), 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n')
  copyFileSync("/etc/resolv.conf", join(dir, "etc/resolv.conf"))
  const archives = join(CACHE, `apt-archives-${arch}`)
  mkdirSync(join(archives, "partial"), { recursive: true })
  mount(root, ["--bind", archives], "var/cache/apt/archives")
  return root
}

const cleanup = (root: Chroot, keep: boolean) => {
  for (const path of [...root.mounts].reverse()) run("umount", ["-l", path])
  if (keep) say(`kept the chroot: ${root.dir}`)
  else rmSync(root.dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- steps

const status = (root: Chroot) => inChroot(root, ["dpkg-query", "-W", "-f=${Status} ${Version}", "sigmavault"]).out.trim()
/** lstat, not stat: a symlink in the chroot points at the chroot's paths, not the host's. */
const exists = (root: Chroot, path: string) => {
  try {
    lstatSync(join(root.dir, path))
    return true
  } catch {
    return false
  }
}

const cycle = (root: Chroot, first: string, second: string) => {
  const r1 = `/tmp/${first.split("/").pop()}`
  const r2 = `/tmp/${second.split("/").pop()}`
  copyFileSync(first, join(root.dir, r1))
  copyFileSync(second, join(root.dir, r2))

  say(`install: dpkg -i ${r1} (minbase lacks the dependencies), then apt-get -f install`)
  const dpkg = inChroot(root, ["dpkg", "-i", r1])
  check("dpkg -i stops at the missing dependencies, not at an error of ours", dpkg.status !== 0 && /dependency problems/.test(dpkg.out) && !/subprocess .* returned error/.test(dpkg.out), dpkg.out)
  inChrootOk(root, ["apt-get", "update", "-q"])
  const apt = inChrootOk(root, ["apt-get", "-f", "install", "-y", "-q"])
  say(indent(apt.split("\n").filter((l) => /^(Setting up sigmavault|Created symlink|Need to get|\d+ upgraded)/.test(l)).join("\n")))
  check("installed", status(root) === "install ok installed 0.1.0-1", status(root))
  check("the sigmavault user and group exist (systemd-sysusers)", /^sigmavault:x:\d+:\d+:SigmaVault NAS daemon:\/var\/lib\/sigmavault:\/usr\/sbin\/nologin$/m.test(inChrootOk(root, ["getent", "passwd", "sigmavault"])) &&
    inChroot(root, ["getent", "group", "sigmavault"]).status === 0)
  check("the unit is enabled (multi-user.target.wants)", exists(root, "etc/systemd/system/multi-user.target.wants/sigmavault.service"))
  check("the conffile is registered", inChrootOk(root, ["dpkg-query", "-W", "-f=${Conffiles}", "sigmavault"]).includes("/etc/sigmavault/sigmavault.conf"))
  check("the man page is installed", exists(root, "usr/share/man/man8/sigmavault.8.gz"))
  withProc(root, () => {
    const verify = inChroot(root, ["systemd-analyze", "verify", "/lib/systemd/system/sigmavault.service"])
    check("systemd-analyze verify on the installed unit: no warning", verify.status === 0 && verify.out.trim() === "", verify.out)
    const version = inChroot(root, ["sigmavault", "--version"])
    say(`    ${version.out.trim()}`)
    const selftest = inChroot(root, ["sigmavault", "selftest"])
    check("the installed binary runs its selftest with only the declared dependencies", selftest.status === 0, selftest.out)
  })

  // State and a local edit to the configuration, which an upgrade must keep.
  mkdirSync(join(root.dir, "var/lib/sigmavault"), { recursive: true })
  writeFileSync(join(root.dir, "var/lib/sigmavault/marker"), "state\n")
  appendFileSync(join(root.dir, "etc/sigmavault/sigmavault.conf"), "# edited by npm run test:deb\n")

  say(`upgrade: dpkg -i ${r2}`)
  const upgrade = inChroot(root, ["dpkg", "-i", r2])
  check("upgraded to 0.1.0-2 without a conffile prompt", upgrade.status === 0 && status(root) === "install ok installed 0.1.0-2", upgrade.out)
  check("the upgrade kept the state", exists(root, "var/lib/sigmavault/marker"))
  check("the upgrade kept the edited configuration", readFileSync(join(root.dir, "etc/sigmavault/sigmavault.conf"), "utf8").includes("# edited by npm run test:deb"))

  say("remove: dpkg -r sigmavault")
  inChrootOk(root, ["dpkg", "-r", "sigmavault"])
  check("removed: the binary is gone, the configuration stays", status(root) === "deinstall ok config-files 0.1.0-2" && !exists(root, "usr/bin/sigmavault") &&
    exists(root, "etc/sigmavault/sigmavault.conf"), status(root))
  check("remove kept the state", exists(root, "var/lib/sigmavault/marker"))

  say("purge: dpkg -P sigmavault")
  inChrootOk(root, ["dpkg", "-P", "sigmavault"])
  check("purged: /etc/sigmavault and /var/lib/sigmavault are gone", !exists(root, "etc/sigmavault") && !exists(root, "var/lib/sigmavault") &&
    inChroot(root, ["dpkg-query", "-W", "sigmavault"]).status !== 0)
  check("purge left no enablement behind", !exists(root, "etc/systemd/system/multi-user.target.wants/sigmavault.service"))
}

/** The arm64 package in an arm64 chroot, every binary run by qemu-user: it installs, and the installed binary runs. */
const foreignInstall = (root: Chroot, deb: string) => {
  const inside = `/tmp/${deb.split("/").pop()}`
  copyFileSync(deb, join(root.dir, inside))
  say(`arm64: dpkg -i ${inside}, apt-get -f install (under qemu-user)`)
  inChroot(root, ["dpkg", "-i", inside])
  inChrootOk(root, ["apt-get", "update", "-q"])
  inChrootOk(root, ["apt-get", "-f", "install", "-y", "-q"])
  check("arm64: installed", status(root) === "install ok installed 0.1.0-1", status(root))
  check("arm64: the sigmavault user exists", inChroot(root, ["getent", "passwd", "sigmavault"]).status === 0)
  withProc(root, () => {
    const version = inChroot(root, ["sigmavault", "--version"])
    say(`    ${version.out.trim()} (uname -m: ${inChroot(root, ["uname", "-m"]).out.trim()})`)
    check("arm64: the installed binary runs", version.status === 0 && version.out.startsWith("sigmavault "), version.out)
  })
}

/** Inside the booted container: the service runs, a socket_group member can ask it, dpkg -r stops it. Prints "CHECK ..." lines. */
const BOOT_CHECK = `#!/bin/sh
exec >/dev/console 2>&1
say() { echo "CHECK $*"; }
for i in $(seq 1 90); do
  state=$(systemctl is-active sigmavault.service)
  [ "$state" = active ] && break
  [ "$state" = failed ] && break
  sleep 1
done
say "is-active: $(systemctl is-active sigmavault.service) after \${i}s"
say "status: $(systemctl show -p StatusText --value sigmavault.service)"
say "runtime dir: $(stat -c '%a %U:%G' /run/sigmavault) socket: $(stat -c '%a %U:%G' /run/sigmavault/control.sock)"
if setpriv --reuid=tester --regid=tester --init-groups sigmavault agents >/tmp/agents.txt 2>&1; then
  say "member agents: ok $(grep -c running /tmp/agents.txt) running"
else
  say "member agents: FAILED $(cat /tmp/agents.txt)"
fi
if setpriv --reuid=outsider --regid=outsider --init-groups sigmavault agents >/tmp/outsider.txt 2>&1; then
  say "outsider agents: ALLOWED"
else
  say "outsider agents: refused: $(head -c 200 /tmp/outsider.txt)"
fi
say "busctl: $(busctl call org.sigmavault.Runtime /org/sigmavault/Runtime org.sigmavault.Runtime1 ListAgents 2>&1 | head -c 80)"
dpkg -r sigmavault >/tmp/remove.txt 2>&1
say "after dpkg -r: $(systemctl is-active sigmavault.service) binary=$(test -e /usr/bin/sigmavault && echo present || echo gone)"
journalctl -u sigmavault.service --no-pager -o cat | tail -n 5 | sed 's/^/JOURNAL /'
systemctl poweroff --no-block
`

const boot = (root: Chroot, deb: string) => {
  const inside = `/tmp/${deb.split("/").pop()}`
  copyFileSync(deb, join(root.dir, inside))
  say(`boot: install ${inside} again, a member of the socket group and an outsider, socket_group = sigmavault`)
  inChrootOk(root, ["dpkg", "-i", inside])
  inChrootOk(root, ["useradd", "-m", "-G", "sigmavault", "tester"])
  inChrootOk(root, ["useradd", "-m", "outsider"])
  appendFileSync(join(root.dir, "etc/sigmavault/sigmavault.conf"), "socket_group = sigmavault\n")
  writeFileSync(join(root.dir, "usr/local/sbin/sigmavault-boot-check"), BOOT_CHECK, { mode: 0o755 })
  writeFileSync(join(root.dir, "etc/systemd/system/sigmavault-boot-check.service"), [
    "[Unit]", "Description=npm run test:deb checks", "After=sigmavault.service", "",
    "[Service]", "Type=oneshot", "ExecStart=/usr/local/sbin/sigmavault-boot-check", "",
    "[Install]", "WantedBy=multi-user.target", ""
  ].join("\n"))
  inChrootOk(root, ["systemctl", "enable", "sigmavault-boot-check.service"])
  // The cached archives are not needed inside; nspawn mounts /proc, /sys, /dev itself.
  unmount(root, "var/cache/apt/archives")
  say("boot: systemd-nspawn -b (the container powers itself off after the checks)")
  const t0 = performance.now()
  const result = run("timeout", ["--kill-after=10", "240", "systemd-nspawn", "-q", "-D", root.dir, "-b", "--register=no", "--keep-unit", "--private-network"], {
    env: { ...process.env, SYSTEMD_NSPAWN_TMPFS_TMP: "0" }
  })
  const lines = result.out.split("\n").map((l) => l.replace(/\r$/, "").replace(/\x1b\[[0-9;]*m/g, ""))
  // A line of ours may follow a status line of systemd's on the same console line.
  const checks = lines.flatMap((l) => {
    const at = l.search(/(CHECK|JOURNAL) /)
    return at < 0 ? [] : [l.slice(at).trim()]
  })
  say(`boot: container exited ${result.status} after ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  say(indent(checks.join("\n")))
  const line = (prefix: string) => checks.find((l) => l.startsWith(`CHECK ${prefix}`)) ?? ""
  check("under systemd the service is active", /^CHECK is-active: active/.test(line("is-active")), lines.slice(-40).join("\n"))
  check("a member of socket_group lists the 40 agents through the socket", /member agents: ok (\d+) running/.test(line("member agents")) && Number(/ok (\d+)/.exec(line("member agents"))![1]) >= 40, line("member agents"))
  check("an outsider is refused", line("outsider agents").includes("refused"), line("outsider agents"))
  check("dpkg -r under systemd stopped the service", /after dpkg -r: (inactive|unknown) binary=gone/.test(line("after dpkg -r")), line("after dpkg -r"))
}

// ---------------------------------------------------------------- main

const main = (argv: ReadonlyArray<string>) => {
  const options = parseOptions(argv)
  if (options.help) {
    process.stdout.write(HELP)
    return
  }
  requireTools()
  const host = archOf(process.arch) ?? fail(`host ${process.arch} is not x64 or arm64`)
  const arch = Deb.debianArch(host)
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version
  const dist = join(ROOT, "dist")
  const debs = (["x64", "arm64"] as const).map((a) => join(dist, Deb.fileName(Deb.debianVersion(version, 1), a)))
  const work = mkdtempSync(join(tmpdir(), `sv-test-deb-out-${process.pid}-`))
  try {
    if (options.packageStep) {
      const t0 = performance.now()
      say(`package: npm run package${options.build ? "" : " -- --no-build"}`)
      const made = spawnSync(bun(), ["tools/package.ts", ...(options.build ? [] : ["--no-build"])], { cwd: ROOT, stdio: "inherit" })
      if (made.status !== 0) fail("npm run package failed (above)")
      say(`package: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    for (const deb of debs) if (!existsSync(deb)) fail(`${deb} is missing (run npm run package)`)
    const hostDeb = debs[host === "x64" ? 0 : 1]!
    for (const deb of debs) say(`${deb.split("/").pop()}: ${(readFileSync(deb).length / 1e6).toFixed(1)} MB`)

    // Revision 2 (the upgrade), and revision 1 again (reproducibility), from the same binaries.
    runOk(bun(), ["tools/package.ts", "--no-build", "--host-only", "--revision", "2", "--out", work])
    const second = join(work, Deb.fileName(Deb.debianVersion(version, 2), host))
    if (options.packageStep) {
      const again = join(work, "again")
      runOk(bun(), ["tools/package.ts", "--no-build", "--host-only", "--out", again])
      check(`reproducible: a rebuild of ${hostDeb.split("/").pop()} is byte-identical (sha256 ${sha256(hostDeb).slice(0, 16)}…)`,
        sha256(join(again, hostDeb.split("/").pop()!)) === sha256(hostDeb))
    }

    for (const deb of options.lintian ? debs : []) {
      // Overridden tags are not shown (lintian 2.116 exits non-zero with --show-overrides even when all are overridden).
      const lint = run("lintian", ["--pedantic", "--fail-on", "error,warning", deb], { env: { ...process.env, LANG: "C.UTF-8" } })
      const tags = lint.out.split("\n").filter((l) => /^[EWIPX]: /.test(l))
      say(`lintian --pedantic ${deb.split("/").pop()}: exit ${lint.status}${tags.length === 0 ? ", no tag outside the overrides" : `\n${indent(tags.join("\n"))}`}`)
      check(`lintian: no error or warning outside the documented overrides (${deb.split("/").pop()})`, lint.status === 0 && !tags.some((t) => /^[EW]: /.test(t)), `exit ${lint.status}\n${lint.out}`)
    }

    const mirror = mirrorFrom(aptSources(), SUITE) ?? fail(`no ${SUITE} mirror in /etc/apt/sources.list*`)
    say(`mirror (from this machine's apt sources): ${mirror}`)
    const root = freshChroot(arch, mirror)
    try {
      cycle(root, hostDeb, second)
      if (options.boot) boot(root, second)
    } finally {
      cleanup(root, options.keep)
    }
    if (options.arm64) {
      const armRoot = freshChroot("arm64", mirror)
      try {
        foreignInstall(armRoot, debs[1]!)
      } finally {
        cleanup(armRoot, options.keep)
      }
    }
    say("test:deb: all checks passed")
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

try {
  main(process.argv.slice(2))
} catch (error) {
  process.stderr.write(error instanceof TestFailure ? `test:deb: ${error.message}\n` : `test:deb: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
}
