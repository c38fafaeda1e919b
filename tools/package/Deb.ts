/**
 * What goes into sigmavault_<version>_<arch>.deb: the tree's layout, the
 * control files and the maintainer scripts. Pure: tools/package.ts lays the
 * tree out on disk from `layout()` and runs dpkg-deb.
 */
import type { Arch } from "../build/Targets.ts"

export const PACKAGE = "sigmavault"
export const MAINTAINER = "SigmaVault maintainers <maintainers@users.noreply.b-seed-ea2d52b7.example>"
export const UNIT = "sigmavault.service"

/** Debian's name for a build target's architecture. */
export const debianArch = (arch: Arch): "amd64" | "arm64" => (arch === "x64" ? "amd64" : "arm64")

/** package.json's version plus a Debian revision: 0.1.0 → 0.1.0-1. */
export const debianVersion = (upstream: string, revision: number): string => {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(upstream)) throw new Error(`version '${upstream}' is not a Debian upstream version`)
  if (!Number.isInteger(revision) || revision < 1) throw new Error(`revision ${revision} is not a whole number >= 1`)
  return `${upstream}-${revision}`
}

export const fileName = (version: string, arch: Arch): string => `${PACKAGE}_${version}_${debianArch(arch)}.deb`

/**
 * What the binary needs. The libraries are what dpkg-shlibdeps computes for
 * the host binary and the native addons it embeds (extracted and loaded at
 * run time), passed in by tools/package.ts; the same for both architectures
 * (one source, one glibc baseline). systemd: the unit, systemd-sysusers in
 * postinst and systemd-notify for READY=1. dbus: the daemon joins the system
 * bus under systemd (docs/dbus.md).
 */
export const depends = (shlibs: ReadonlyArray<string>): ReadonlyArray<string> => [...shlibs, "systemd", "default-dbus-system-bus | dbus-system-bus"]

/** Tools the agents call when present; each agent says so when one is missing. */
export const RECOMMENDS: ReadonlyArray<string> = [
  "smartmontools",
  "nvme-cli",
  "samba",
  "nfs-kernel-server",
  "wireguard-tools",
  "zstd",
  // MORPH keeps extended attributes with getfattr/setfattr; HELIX snapshots directories without ZFS with rsync.
  "attr",
  "rsync"
]
/** ZFS lives in contrib (bookworm-backports' contrib for newer releases): suggested, not recommended, so main alone installs. */
export const SUGGESTS: ReadonlyArray<string> = ["zfsutils-linux", "fio"]

export interface ControlInput {
  readonly version: string
  readonly arch: Arch
  /** sum over files of ceil(size / 1024), plus one per directory (what dpkg-gencontrol counts) */
  readonly installedSizeKiB: number
  readonly shlibs: ReadonlyArray<string>
}

export const control = (input: ControlInput): string =>
  [
    `Package: ${PACKAGE}`,
    `Version: ${input.version}`,
    `Architecture: ${debianArch(input.arch)}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${input.installedSizeKiB}`,
    `Depends: ${depends(input.shlibs).join(", ")}`,
    `Recommends: ${RECOMMENDS.join(", ")}`,
    `Suggests: ${SUGGESTS.join(", ")}`,
    "Section: admin",
    "Priority: optional",
    "Description: NAS daemon: 40 supervised agents in one executable",
    " SigmaVault runs a NAS's system work - storage health, disk-failure",
    " prediction, compression, post-quantum encryption, shares, VPN peers,",
    " audits, reports - as 40 agents supervised OTP-style in one process,",
    " started by systemd (sigmavault.service) and driven through a control",
    " socket (the sigmavault command) or the D-Bus system bus.",
    " .",
    " The executable is self-contained: the JavaScript runtime (Bun) and every",
    " library are bundled into /usr/bin/sigmavault.",
    ""
  ].join("\n")

export const CONFFILE = "/etc/sigmavault/sigmavault.conf"

/** sysusers.d: a system group (and user) `sigmavault`, the group docs/security.md names for socket_group and role_read. */
export const SYSUSERS = [
  "# The SigmaVault daemon runs as root; this group (and its nologin user) is",
  "# what docs/security.md names for socket_group and role_read: add people to",
  "# it and set socket_group = sigmavault in /etc/sigmavault/sigmavault.conf.",
  'u sigmavault - "SigmaVault NAS daemon" /var/lib/sigmavault /usr/sbin/nologin',
  ""
].join("\n")

const header = (name: string) => ["#!/bin/sh", `# ${name} of ${PACKAGE}. Written by tools/package.ts (the dh_installsystemd/dh_installsysusers way).`, "set -e", ""]

/**
 * postinst: the user and group first (systemd-sysusers), then the unit enabled
 * on first install (deb-systemd-helper remembers an admin's disable across
 * upgrades), started on install and restarted on upgrade, only when systemd
 * runs (in a chroot or an image build it does not; the binary itself is never
 * run here: a Bun binary aborts without /proc).
 */
export const POSTINST = [
  ...header("postinst"),
  'if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then',
  '\tsystemd-sysusers ${DPKG_ROOT:+--root="$DPKG_ROOT"} sigmavault.conf',
  "",
  `\tdeb-systemd-helper unmask '${UNIT}' >/dev/null || true`,
  `\tif deb-systemd-helper --quiet was-enabled '${UNIT}'; then`,
  `\t\tdeb-systemd-helper enable '${UNIT}' >/dev/null || true`,
  "\telse",
  `\t\tdeb-systemd-helper update-state '${UNIT}' >/dev/null || true`,
  "\tfi",
  "",
  "\tif [ -d /run/systemd/system ]; then",
  "\t\tsystemctl --system daemon-reload >/dev/null || true",
  '\t\tif [ -n "$2" ]; then',
  "\t\t\t_action=restart",
  "\t\telse",
  "\t\t\t_action=start",
  "\t\tfi",
  `\t\tdeb-systemd-invoke $_action '${UNIT}' >/dev/null || true`,
  "\tfi",
  "fi",
  "",
  "exit 0",
  ""
].join("\n")

/** prerm: stop the daemon on remove (an upgrade restarts it in the new postinst instead). */
export const PRERM = [
  ...header("prerm"),
  'if [ -z "${DPKG_ROOT:-}" ] && [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then',
  `\tdeb-systemd-invoke stop '${UNIT}' >/dev/null || true`,
  "fi",
  "",
  "exit 0",
  ""
].join("\n")

/**
 * postrm: on remove the unit is masked (its file is gone; the state and the
 * configuration stay); on purge the unit's enablement and mask are forgotten
 * and /var/lib/sigmavault and /etc/sigmavault are deleted. The user and group
 * stay, as Debian does for system users (files elsewhere may still be theirs).
 */
export const POSTRM = [
  ...header("postrm"),
  'if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then',
  "\tsystemctl --system daemon-reload >/dev/null || true",
  "fi",
  "",
  'if [ "$1" = "remove" ]; then',
  '\tif [ -x "/usr/bin/deb-systemd-helper" ]; then',
  `\t\tdeb-systemd-helper mask '${UNIT}' >/dev/null || true`,
  "\tfi",
  "fi",
  "",
  'if [ "$1" = "purge" ]; then',
  '\tif [ -x "/usr/bin/deb-systemd-helper" ]; then',
  `\t\tdeb-systemd-helper purge '${UNIT}' >/dev/null || true`,
  `\t\tdeb-systemd-helper unmask '${UNIT}' >/dev/null || true`,
  "\tfi",
  "\trm -rf /var/lib/sigmavault /etc/sigmavault",
  "fi",
  "",
  "exit 0",
  ""
].join("\n")

/** Justified exceptions; each is explained in docs/install.md. */
export const LINTIAN_OVERRIDES = [
  "# The JavaScript payload is appended to the Bun runtime's ELF file: strip would cut it off.",
  "sigmavault: unstripped-binary-or-object [usr/bin/sigmavault]",
  "# The Bun runtime (with JavaScriptCore, its own libraries and the native addons it embeds) is bundled into the executable.",
  "sigmavault: embedded-library *[usr/bin/sigmavault]",
  "# The Bun runtime is linked by its project (not PIE, no RELRO); the binary is Bun's executable with our payload appended, we do not relink it.",
  "sigmavault: hardening-no-pie [usr/bin/sigmavault]",
  "sigmavault: hardening-no-relro [usr/bin/sigmavault]",
  "# Not uploaded to Debian: there is no ITP bug to close.",
  "sigmavault: initial-upload-closes-no-bugs [usr/share/doc/sigmavault/changelog.Debian.gz:1]",
  ""
].join("\n")

export const changelog = (input: { readonly version: string; readonly commit: string; readonly date: string }): string =>
  [
    `${PACKAGE} (${input.version}) bookworm; urgency=medium`,
    "",
    `  * Built from commit ${input.commit} (see the project's git history).`,
    "",
    ` -- ${MAINTAINER}  ${input.date}`,
    ""
  ].join("\n")

/** RFC 5322 date (what dpkg-parsechangelog wants), in UTC. */
export const rfc5322 = (epochSeconds: number): string => {
  const d = new Date(epochSeconds * 1000)
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
  const two = (n: number) => String(n).padStart(2, "0")
  return `${days[d.getUTCDay()]}, ${two(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

export interface BundledLicense {
  readonly name: string
  readonly version: string
  readonly license: string
}

/** debian/copyright (machine-readable format 1.0): the project, the bundled Bun runtime and the npm packages bundled in. */
export const copyright = (year: number, bundled: ReadonlyArray<BundledLicense>): string =>
  [
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
    `Upstream-Name: ${PACKAGE}`,
    `Upstream-Contact: ${MAINTAINER}`,
    "",
    "Files: *",
    `Copyright: ${year} SigmaVault maintainers`,
    "License: proprietary",
    " All rights reserved (package.json: UNLICENSED).",
    "",
    "Files: usr/bin/sigmavault",
    `Copyright: ${year} SigmaVault maintainers`,
    "           Oven (Bun) and the authors of the bundled packages listed below",
    "License: proprietary and MIT and LGPL-2+ and BSD-2-clause and Apache-2.0",
    " /usr/bin/sigmavault is the Bun runtime (MIT; it includes JavaScriptCore,",
    " LGPL-2+ and BSD-2-clause) with the project's JavaScript and these npm",
    " packages bundled in (name version: license, from package-lock.json):",
    " .",
    ...bundled.map((b) => ` ${b.name} ${b.version}: ${b.license}`),
    " .",
    " On Debian systems the LGPL-2 is in /usr/share/common-licenses/LGPL-2, the",
    " Apache License 2.0 in /usr/share/common-licenses/Apache-2.0.",
    ""
  ].join("\n")

/** package-lock.json v3: the packages that are not dev-only are the ones that can be bundled. */
export const bundledFromLock = (lock: { readonly packages?: Readonly<Record<string, { readonly version?: string; readonly license?: string; readonly dev?: boolean; readonly link?: boolean }>> }): ReadonlyArray<BundledLicense> =>
  Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev !== true && entry.link !== true && entry.version !== undefined && !entry.version.startsWith("file:"))
    .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length), version: entry.version!, license: entry.license ?? "see its package" }))
    .filter((b, i, all) => all.findIndex((o) => o.name === b.name && o.version === b.version) === i)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))

// ---------------------------------------------------------------- layout

/** One path of the package tree: where its bytes come from, and its mode. */
export type Entry =
  | { readonly _tag: "Dir"; readonly path: string }
  | { readonly _tag: "Copy"; readonly path: string; readonly from: string; readonly mode: number }
  | { readonly _tag: "Text"; readonly path: string; readonly text: string; readonly mode: number }
  | { readonly _tag: "Gzip"; readonly path: string; readonly text: string }

export interface LayoutInput {
  /** the compiled binary for this architecture */
  readonly binary: string
  /** repository root (packaging/, docs/, README.md) */
  readonly root: string
  /** docs/*.md file names to ship under /usr/share/doc/sigmavault/docs */
  readonly docs: ReadonlyArray<string>
  readonly manPage: string
  readonly changelog: string
  readonly copyright: string
}

export const DOC_DIR = "usr/share/doc/sigmavault"

/** The data part of the package, paths relative to its root, parents before children, sorted. */
export const layout = (input: LayoutInput): ReadonlyArray<Entry> => {
  const files: Array<Entry> = [
    { _tag: "Copy", path: "usr/bin/sigmavault", from: input.binary, mode: 0o755 },
    // bookworm's place for units (the /usr merge moratorium); lintian there expects it.
    { _tag: "Copy", path: `lib/systemd/system/${UNIT}`, from: `${input.root}/packaging/systemd/${UNIT}`, mode: 0o644 },
    { _tag: "Copy", path: "usr/share/dbus-1/system.d/org.sigmavault.Runtime.conf", from: `${input.root}/packaging/dbus/org.sigmavault.Runtime.conf`, mode: 0o644 },
    { _tag: "Text", path: "usr/lib/sysusers.d/sigmavault.conf", text: SYSUSERS, mode: 0o644 },
    { _tag: "Copy", path: CONFFILE.slice(1), from: `${input.root}/docs/sigmavault.conf.example`, mode: 0o644 },
    { _tag: "Copy", path: `${DOC_DIR}/README.md`, from: `${input.root}/README.md`, mode: 0o644 },
    ...input.docs.map((name): Entry => ({ _tag: "Copy", path: `${DOC_DIR}/docs/${name}`, from: `${input.root}/docs/${name}`, mode: 0o644 })),
    { _tag: "Text", path: `${DOC_DIR}/copyright`, text: input.copyright, mode: 0o644 },
    { _tag: "Gzip", path: `${DOC_DIR}/changelog.Debian.gz`, text: input.changelog },
    { _tag: "Gzip", path: "usr/share/man/man8/sigmavault.8.gz", text: input.manPage },
    { _tag: "Text", path: `usr/share/lintian/overrides/${PACKAGE}`, text: LINTIAN_OVERRIDES, mode: 0o644 }
  ]
  const dirs = new Set<string>()
  for (const file of files) {
    const parts = file.path.split("/")
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"))
  }
  const all: Array<Entry> = [...[...dirs].map((path): Entry => ({ _tag: "Dir", path })), ...files]
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** DEBIAN/ files besides control and md5sums. */
export const controlScripts = (): ReadonlyArray<{ readonly name: string; readonly text: string; readonly mode: number }> => [
  { name: "conffiles", text: `${CONFFILE}\n`, mode: 0o644 },
  { name: "postinst", text: POSTINST, mode: 0o755 },
  { name: "prerm", text: PRERM, mode: 0o755 },
  { name: "postrm", text: POSTRM, mode: 0o755 }
]

/** dpkg-gencontrol's Installed-Size: each file's size rounded up to KiB, and 1 per directory. */
export const installedSizeKiB = (sizes: ReadonlyArray<number>, directories: number): number =>
  sizes.reduce((sum, size) => sum + Math.ceil(size / 1024), 0) + directories

/** `dpkg-shlibdeps -O` prints "shlibs:Depends=libc6 (>= 2.34), libgcc-s1 (>= 3.0)". */
export const parseShlibs = (output: string): ReadonlyArray<string> => {
  const line = output.split("\n").find((l) => l.startsWith("shlibs:Depends="))
  if (line === undefined) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends line:\n${output}`)
  return line.slice("shlibs:Depends=".length).split(",").map((d) => d.trim()).filter((d) => d !== "")
}
