/**
 * sanoid 2.1 as a reference, without installing it (its dependencies pull in
 * zfs-fuse): Debian's package and the one Perl module it needs that is not
 * part of perl (Config::IniFiles; Capture::Tiny too, to be independent of the
 * machine) are fetched with `apt-get download`, unpacked with `dpkg-deb -x`
 * into a cache directory (reused when there), and sanoid's script runs from
 * there with:
 *
 * - a stand-in `zfs` first on PATH that answers the two commands sanoid runs
 *   with `--readonly`: `zfs get -Hrpt snapshot creation` (the generated
 *   history) and `zfs list -o name -t filesystem,volume -Hr DATASET` (for
 *   `recursive =`); anything else is recorded as unexpected and fails;
 *   stand-ins `zpool` and `ps` that only record (sanoid runs neither with
 *   `prune_defer = 0` and `--force-prune`, and with its lock writer replaced);
 * - the clock fixed (`CORE::GLOBAL::time` from a module loaded before the
 *   script) and TZ=UTC, so a run is a pure function of its inputs;
 * - its lock writer (`writelock`, which spawns `ps -p $$ -o args=` once per
 *   pruned period) replaced, after compilation, by one that writes the same
 *   file without `ps`: locking is not retention, and thousands of `ps` runs
 *   would dominate the test. Nothing else of sanoid is touched but the path of
 *   its defaults file, which points into the unpacked package.
 */
import { execFile, execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { requireTools } from "./tools.ts"

export const SANOID_VERSION = "2.1.0"
const PACKAGES = ["sanoid", "libconfig-inifiles-perl", "libcapture-tiny-perl"]

export interface SanoidTools {
  /** The unpacked package tree (usr/sbin/sanoid, usr/share/perl5, usr/share/sanoid). */
  readonly root: string
  readonly perl5: string
  readonly defaults: string
  readonly script: string
}

const cacheRoot = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "sigmavault-sanoid")

const toolsIn = (root: string): SanoidTools => ({
  root,
  perl5: join(root, "usr/share/perl5"),
  defaults: join(root, "usr/share/sanoid/sanoid.defaults.conf"),
  script: join(root, "usr/sbin/sanoid")
})

const complete = (tools: SanoidTools) =>
  [tools.script, tools.defaults, join(tools.perl5, "Config/IniFiles.pm"), join(tools.perl5, "Capture/Tiny.pm")].every((f) => existsSync(f))

/** Fetches and unpacks sanoid once (the cache is shared by runs); fails naming apt-get and the network when it cannot. */
export const sanoidTools = (): SanoidTools => {
  requireTools("perl", "apt-get", "dpkg-deb")
  const root = cacheRoot()
  const tools = toolsIn(root)
  if (complete(tools)) return tools
  mkdirSync(join(root, ".."), { recursive: true })
  const work = mkdtempSync(join(tmpdir(), `sigmavault-sanoid-fetch-${process.pid}-`))
  try {
    try {
      execFileSync("apt-get", ["download", ...PACKAGES], { cwd: work, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 })
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error)
      throw new Error(
        `cannot fetch sanoid for the differential test: \`apt-get download ${PACKAGES.join(" ")}\` failed ` +
          `(is the network or the apt mirror reachable? run apt-get update?): ${stderr.trim()}`
      )
    }
    const unpacked = join(work, "root")
    mkdirSync(unpacked)
    for (const deb of readdirSync(work).filter((f) => f.endsWith(".deb"))) {
      execFileSync("dpkg-deb", ["-x", join(work, deb), unpacked])
    }
    if (!complete(toolsIn(unpacked))) throw new Error(`the downloaded packages (${PACKAGES.join(", ")}) do not hold sanoid and its modules`)
    try {
      renameSync(unpacked, root)
    } catch (error) {
      // Another run unpacked it first: theirs is as good.
      if (!complete(tools)) throw error
    }
    return tools
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const ZFS_STANDIN = `#!/bin/sh
# sanoid's zfs, for the differential test: answers from generated files, records everything.
printf '%s\\n' "$*" >> "$SANOID_TEST_DIR/zfs-calls"
case "$*" in
  "get -Hrpt snapshot creation") exec cat "$SANOID_TEST_DIR/history" ;;
  "list -o name -t filesystem,volume -Hr "*)
    root="$7"
    awk -v root="$root" '$0 == root || index($0, root "/") == 1' "$SANOID_TEST_DIR/datasets"
    exit 0 ;;
  *) printf 'zfs %s\\n' "$*" >> "$SANOID_TEST_DIR/unexpected"; echo "stand-in zfs: unexpected: $*" >&2; exit 1 ;;
esac
`

const RECORDER = (tool: string) => `#!/bin/sh
printf '${tool} %s\\n' "$*" >> "$SANOID_TEST_DIR/unexpected"
exit 1
`

const PRELOAD = `package SigmavaultSanoidTest;
# Loaded with -M before sanoid is compiled: sanoid's clock is the test's.
BEGIN { my $now = $ENV{SANOID_TEST_NOW}; *CORE::GLOBAL::time = sub () { $now }; }
# After sanoid is compiled, before it runs: its lock writer without \`ps -p $$ -o args=\`.
INIT {
  no warnings 'redefine';
  *main::writelock = sub {
    my $lockname = shift;
    open my $fh, '>', "$ENV{SANOID_TEST_DIR}/run/$lockname.lock" or die "cannot write lock: $!";
    print $fh "$$\\nsigmavault-test\\n";
    close $fh;
  };
}
1;
`

export interface SanoidRun {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
  readonly zfsCalls: ReadonlyArray<string>
  readonly unexpected: ReadonlyArray<string>
}

export interface SanoidInput {
  readonly conf: string
  /** `zfs get -Hrpt snapshot creation` output: "pool/ds@snap\tcreation\t1700000000\t-" lines. */
  readonly history: string
  /** Every filesystem, one a line, parents before children (what `zfs list -r` walks). */
  readonly datasets: ReadonlyArray<string>
  /** Seconds since the epoch. */
  readonly now: number
  readonly args: ReadonlyArray<string>
}

/** A prepared sandbox: the script (defaults path pointed into the package), stand-ins, preload. */
export const sanoidSandbox = (tools: SanoidTools) => {
  const base = mkdtempSync(join(tmpdir(), `sigmavault-sanoid-${process.pid}-`))
  const bin = join(base, "bin")
  mkdirSync(bin)
  const script = join(base, "sanoid")
  const source = readFileSync(tools.script, "utf8")
  if (!source.includes("/usr/share/sanoid/sanoid.defaults.conf")) throw new Error("sanoid's script no longer names /usr/share/sanoid/sanoid.defaults.conf")
  writeFileSync(script, source.replace("/usr/share/sanoid/sanoid.defaults.conf", tools.defaults))
  writeFileSync(join(bin, "zfs"), ZFS_STANDIN)
  writeFileSync(join(bin, "zpool"), RECORDER("zpool"))
  writeFileSync(join(bin, "ps"), RECORDER("ps"))
  for (const tool of ["zfs", "zpool", "ps"]) chmodSync(join(bin, tool), 0o755)
  writeFileSync(join(base, "SigmavaultSanoidTest.pm"), PRELOAD)
  let runs = 0

  const run = (input: SanoidInput): Promise<SanoidRun> => {
    const dir = join(base, `run-${runs++}`)
    for (const sub of ["conf", "cache", "run"]) mkdirSync(join(dir, sub), { recursive: true })
    writeFileSync(join(dir, "conf", "sanoid.conf"), input.conf)
    writeFileSync(join(dir, "history"), input.history)
    writeFileSync(join(dir, "datasets"), input.datasets.join("\n") + "\n")
    writeFileSync(join(dir, "zfs-calls"), "")
    writeFileSync(join(dir, "unexpected"), "")
    const args = [
      `-I${tools.perl5}`,
      `-I${base}`,
      "-MSigmavaultSanoidTest",
      script,
      `--configdir=${join(dir, "conf")}`,
      `--cache-dir=${join(dir, "cache")}`,
      `--run-dir=${join(dir, "run")}`,
      ...input.args
    ]
    // The stand-ins first on PATH; sanoid appends /bin:/sbin itself.
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, TZ: "UTC", LC_ALL: "C", SANOID_TEST_NOW: String(input.now), SANOID_TEST_DIR: dir }
    return new Promise((resolve, reject) => {
      execFile("perl", args, { env, maxBuffer: 256 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1
        if (exitCode === -1) return reject(error)
        // The sandbox may be gone already (a failed test cleans up while a sibling run ends).
        const lines = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8").split("\n").filter((l) => l !== "") : [])
        const result = { stdout, stderr, exitCode, zfsCalls: lines("zfs-calls"), unexpected: lines("unexpected") }
        if (process.env.SANOID_KEEP === undefined) rmSync(dir, { recursive: true, force: true })
        resolve(result)
      })
    })
  }

  return { base, run, cleanup: () => (process.env.SANOID_KEEP === undefined ? rmSync(base, { recursive: true, force: true }) : undefined) }
}
