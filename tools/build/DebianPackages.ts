/**
 * The Debian packages a full build needs (emulator, sysroot, cross compiler):
 * which are missing, and the one command that installs them.
 */
import { spawnSync } from "node:child_process"

/** `dpkg-query -W -f` output, one `name<TAB>status` line per package, to the set of installed ones. */
export const parseInstalled = (dpkgQueryOutput: string): ReadonlySet<string> =>
  new Set(
    dpkgQueryOutput
      .split("\n")
      .map((line) => line.split("\t"))
      .filter(([name, status]) => name !== undefined && name !== "" && status?.trim() === "installed")
      .map(([name]) => name!)
  )

export const missingFrom = (required: ReadonlyArray<string>, installed: ReadonlySet<string>): ReadonlyArray<string> =>
  [...new Set(required)].filter((name) => !installed.has(name))

export const installArgs = (missing: ReadonlyArray<string>): ReadonlyArray<string> => ["install", "-y", ...missing]

export const installCommandLine = (missing: ReadonlyArray<string>): string =>
  ["apt-get", ...installArgs(missing)].join(" ")

export type Query =
  | { readonly ok: true; readonly installed: ReadonlySet<string> }
  | { readonly ok: false; readonly reason: string }

export const queryInstalled = (packages: ReadonlyArray<string>): Query => {
  // dpkg-query exits 1 when some package is unknown to it, and still lists the others.
  const result = spawnSync("dpkg-query", ["-W", "--showformat=${Package}\t${db:Status-Status}\n", ...packages], { encoding: "utf8" })
  if (result.error !== undefined) {
    return { ok: false, reason: `cannot run dpkg-query (${result.error.message}): this build expects a Debian host` }
  }
  return { ok: true, installed: parseInstalled(result.stdout) }
}
