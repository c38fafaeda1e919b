/**
 * A private apt world for tests: a `file:` repository with an ordinary suite
 * (bookworm: Label Debian, Suite stable) and a security suite
 * (bookworm-security: Label Debian-Security, Suite stable-security), its own
 * sources.list, lists, cache, and a dpkg status file listing installed
 * packages at old versions; and the APT_CONFIG file that points apt at all of
 * it. apt reads the APT_CONFIG file before apt.conf.d, so nothing of the
 * host's apt configuration leaks in and nothing of the host's apt state is
 * read or written (see /work/notes research: strace shows only libc files).
 *
 * Packages and Release files are written by hand (with correct sizes and
 * SHA256 sums): `apt-get update` and `apt-get -s` never open the .debs, so
 * the test needs apt and nothing else. With `debs: true` the packages are
 * real (built with dpkg-deb: a file /usr/share/doc/NAME/VERSION each), so a
 * confirmed upgrade really runs; dpkg is always sent into the sandbox
 * (`DPkg::Options`: `--root` = `root`, `--admindir` = the private status's
 * directory), so even an upgrade cannot reach the host's / or its dpkg
 * database.
 *
 * | package    | installed        | bookworm                 | bookworm-security |
 * | sv-libfoo  | 1.0-1            | 1.0-2                    | 1.0-2             |
 * | sv-docs    | 1.0-1 (all)      | 1.1-1                    |                   |
 * | sv-openssl | 3.0.11-1~deb12u1 | 3.0.11-1~deb12u1         | 3.0.11-1~deb12u2  |
 * | sv-kernel  | 6.1.85-1         |                          | 6.1.90-1          |
 * | sv-app     | 1.0-1            | 2.0-1 Depends sv-newdep  |                   |
 * | sv-core    | 1.0-1            | 2.0-1 Conflicts sv-legacy|                   |
 * | sv-legacy  | 1.0-1            |                          |                   |
 * | sv-tool    | 1.0-1            | 2.0-1 Depends sv-missing |                   |
 * | sv-held    | 1.0-1 (hold)     | 1.1-1                    |                   |
 */
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gzipSync } from "node:zlib"

export interface AptSandbox {
  readonly dir: string
  /** The APT_CONFIG file. */
  readonly aptConfig: string
  /** Where the tests put reboot-required (and .pkgs). */
  readonly rebootRequired: string
  /** A /boot of their own. */
  readonly bootDir: string
  /** Where dpkg unpacks (its --root). */
  readonly root: string
  /** The private dpkg status file. */
  readonly status: string
  readonly lists: string
  readonly close: () => void
}

interface RepoPackage {
  readonly name: string
  readonly version: string
  readonly arch?: string
  readonly extra?: ReadonlyArray<string>
}

const ORDINARY: ReadonlyArray<RepoPackage> = [
  { name: "sv-libfoo", version: "1.0-2" },
  { name: "sv-docs", version: "1.1-1", arch: "all" },
  { name: "sv-openssl", version: "3.0.11-1~deb12u1" },
  { name: "sv-app", version: "2.0-1", extra: ["Depends: sv-newdep (>= 1.0)"] },
  { name: "sv-newdep", version: "1.0-1" },
  { name: "sv-core", version: "2.0-1", extra: ["Conflicts: sv-legacy"] },
  { name: "sv-tool", version: "2.0-1", extra: ["Depends: sv-missing"] },
  { name: "sv-held", version: "1.1-1" }
]
const SECURITY: ReadonlyArray<RepoPackage> = [
  { name: "sv-openssl", version: "3.0.11-1~deb12u2" },
  { name: "sv-kernel", version: "6.1.90-1" },
  { name: "sv-libfoo", version: "1.0-2" }
]
const INSTALLED: ReadonlyArray<RepoPackage & { readonly hold?: boolean }> = [
  { name: "sv-libfoo", version: "1.0-1" },
  { name: "sv-docs", version: "1.0-1", arch: "all" },
  { name: "sv-openssl", version: "3.0.11-1~deb12u1" },
  { name: "sv-kernel", version: "6.1.85-1" },
  { name: "sv-app", version: "1.0-1" },
  { name: "sv-core", version: "1.0-1" },
  { name: "sv-legacy", version: "1.0-1" },
  { name: "sv-tool", version: "1.0-1" },
  { name: "sv-held", version: "1.0-1", hold: true }
]

const stanza = (suite: string, p: RepoPackage, deb?: Buffer) =>
  [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    `Architecture: ${p.arch ?? "amd64"}`,
    "Maintainer: Test <test@example.invalid>",
    "Installed-Size: 1",
    ...(p.extra ?? []),
    `Filename: pool/${suite}/${p.name}_${p.version}_${p.arch ?? "amd64"}.deb`,
    `Size: ${deb?.length ?? 1000}`,
    ...(deb === undefined ? [] : [`SHA256: ${sha256(deb)}`]),
    "Section: misc",
    "Priority: optional",
    `Description: fake ${p.name} for vanguard tests`,
    ""
  ].join("\n") + "\n"

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex")

/** Builds the world in a fresh temporary directory named after this process. */
/**
 * A real .deb of `p`: its control file and /usr/share/doc/NAME/VERSION, built with dpkg-deb. The same
 * name and version in two suites is the same file (as in Debian), so apt sees one version in both.
 */
const buildDeb = (dir: string, suite: string, p: RepoPackage, built: Map<string, Buffer>): Buffer => {
  const out = join(dir, "repo", "pool", suite, `${p.name}_${p.version}_${p.arch ?? "amd64"}.deb`)
  mkdirSync(join(dir, "repo", "pool", suite), { recursive: true })
  const same = built.get(`${p.name}=${p.version}`)
  if (same !== undefined) {
    writeFileSync(out, same)
    return same
  }
  const tree = join(dir, "build", suite, p.name)
  mkdirSync(join(tree, "DEBIAN"), { recursive: true })
  mkdirSync(join(tree, "usr/share/doc", p.name), { recursive: true })
  writeFileSync(join(tree, "DEBIAN/control"), [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    `Architecture: ${p.arch ?? "amd64"}`,
    "Maintainer: Test <test@example.invalid>",
    "Section: misc",
    "Priority: optional",
    // As in the Packages stanza: apt tells versions apart by these fields too.
    "Installed-Size: 1",
    ...(p.extra ?? []),
    `Description: fake ${p.name} for vanguard tests`,
    ""
  ].join("\n"))
  writeFileSync(join(tree, "usr/share/doc", p.name, "VERSION"), `${p.name} ${p.version}\n`)
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", tree, out], { stdio: "ignore" })
  const deb = readFileSync(out)
  built.set(`${p.name}=${p.version}`, deb)
  return deb
}

export const makeAptSandbox = (options: { readonly locking?: boolean; readonly debs?: boolean } = {}): AptSandbox => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-apt-${process.pid}-`))
  // apt drops to _apt for downloads as root: it must be able to traverse (mkdtemp gives 0700).
  chmodSync(dir, 0o755)
  const repo = join(dir, "repo")
  const state = join(dir, "state")
  for (const sub of [
    "etc/apt/apt.conf.d",
    "etc/apt/sources.list.d",
    "etc/apt/preferences.d",
    "etc/apt/trusted.gpg.d",
    "etc/apt/auth.conf.d",
    "lib/apt/lists/partial",
    "cache/apt/archives/partial",
    "log/apt",
    "lib/dpkg"
  ]) mkdirSync(join(state, sub), { recursive: true })
  const run = join(dir, "run")
  const boot = join(dir, "boot")
  const root = join(state, "root")
  mkdirSync(run)
  mkdirSync(boot)
  mkdirSync(root)
  for (const sub of ["info", "updates", "triggers"]) mkdirSync(join(state, "lib/dpkg", sub))
  writeFileSync(join(state, "lib/dpkg/available"), "")

  const built = new Map<string, Buffer>()
  const suite = (codename: string, label: string, suiteName: string, version: string, packages: ReadonlyArray<RepoPackage>) => {
    const base = join(repo, "dists", codename)
    mkdirSync(join(base, "main", "binary-amd64"), { recursive: true })
    const text = packages.map((p) => stanza(codename, p, options.debs === true ? buildDeb(dir, codename, p, built) : undefined)).join("")
    const gz = gzipSync(Buffer.from(text))
    writeFileSync(join(base, "main", "binary-amd64", "Packages"), text)
    writeFileSync(join(base, "main", "binary-amd64", "Packages.gz"), gz)
    const files: ReadonlyArray<readonly [string, Buffer]> = [
      ["main/binary-amd64/Packages", Buffer.from(text)],
      ["main/binary-amd64/Packages.gz", gz]
    ]
    writeFileSync(join(base, "Release"), [
      "Origin: Debian",
      `Label: ${label}`,
      `Suite: ${suiteName}`,
      `Version: ${version}`,
      `Codename: ${codename}`,
      "Date: Sat, 01 Jun 2024 00:00:00 UTC",
      "Architectures: amd64",
      "Components: main",
      "SHA256:",
      ...files.map(([name, data]) => ` ${sha256(data)} ${String(data.length).padStart(8)} ${name}`),
      ""
    ].join("\n"))
  }
  suite("bookworm", "Debian", "stable", "12.4", ORDINARY)
  suite("bookworm-security", "Debian-Security", "stable-security", "12", SECURITY)

  writeFileSync(join(state, "etc/apt/sources.list"), [
    `deb [trusted=yes] file:${repo} bookworm main`,
    `deb [trusted=yes] file:${repo} bookworm-security main`,
    ""
  ].join("\n"))
  // Installed with no files: an empty list each, so dpkg does not warn about a missing one.
  for (const p of INSTALLED) writeFileSync(join(state, "lib/dpkg/info", `${p.name}.list`), "")
  writeFileSync(join(state, "lib/dpkg/status"), INSTALLED.map((p) => [
    `Package: ${p.name}`,
    `Status: ${p.hold === true ? "hold" : "install"} ok installed`,
    "Priority: optional",
    "Section: misc",
    "Installed-Size: 1",
    "Maintainer: Test <test@example.invalid>",
    `Architecture: ${p.arch ?? "amd64"}`,
    `Version: ${p.version}`,
    `Description: fake ${p.name}`,
    ""
  ].join("\n")).join("\n"))

  const S = state
  const aptConfig = join(dir, "apt.conf")
  writeFileSync(aptConfig, [
    `Dir::Etc::main "${S}/etc/apt/apt.conf";`,
    `Dir::Etc::parts "${S}/etc/apt/apt.conf.d";`,
    `Dir::Etc::sourcelist "${S}/etc/apt/sources.list";`,
    `Dir::Etc::sourceparts "${S}/etc/apt/sources.list.d";`,
    `Dir::Etc::preferences "${S}/etc/apt/preferences";`,
    `Dir::Etc::preferencesparts "${S}/etc/apt/preferences.d";`,
    `Dir::Etc::trusted "${S}/etc/apt/trusted.gpg";`,
    `Dir::Etc::trustedparts "${S}/etc/apt/trusted.gpg.d";`,
    `Dir::Etc::netrc "${S}/etc/apt/auth.conf";`,
    `Dir::Etc::netrcparts "${S}/etc/apt/auth.conf.d";`,
    `Dir::State "${S}/lib/apt";`,
    `Dir::State::lists "${S}/lib/apt/lists";`,
    `Dir::State::status "${S}/lib/dpkg/status";`,
    `Dir::State::extended_states "${S}/lib/apt/extended_states";`,
    `Dir::Cache "${S}/cache/apt";`,
    `Dir::Cache::archives "${S}/cache/apt/archives";`,
    `Dir::Cache::pkgcache "";`,
    `Dir::Cache::srcpkgcache "";`,
    `Dir::Log "${S}/log/apt";`,
    `APT::Architecture "amd64";`,
    `APT::Architectures { "amd64"; };`,
    `APT::Machine-ID "0123456789abcdef0123456789abcdef";`,
    `Acquire::Languages "none";`,
    `APT::Sandbox::User "root";`,
    `APT::Get::Show-User-Simulation-Note "false";`,
    // dpkg works in the sandbox only: its root, its database, its log.
    `DPkg::Options { "--root=${root}"; "--admindir=${S}/lib/dpkg"; "--log=${S}/log/dpkg.log"; "--force-bad-path"; };`,
    ...(options.locking === true ? [] : [`Debug::NoLocking "true";`]),
    ""
  ].join("\n"))
  return {
    dir,
    aptConfig,
    rebootRequired: join(run, "reboot-required"),
    bootDir: boot,
    root,
    status: join(S, "lib/dpkg/status"),
    lists: join(S, "lib/apt/lists"),
    close: () => rmSync(dir, { recursive: true, force: true })
  }
}
