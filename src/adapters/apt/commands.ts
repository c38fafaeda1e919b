/**
 * The argument vectors and environment of every apt call, shared by the live
 * adapter, its test twin and VANGUARD's plans (which show them exactly).
 * Package names come from apt's own output and are checked again here: an
 * argument must never be read as an option.
 */
import { Result, Schema } from "effect"

/** Debian policy 5.6.1: lower case letters, digits, + - . ; at least two characters; starting alphanumeric. With an optional :arch. */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/

export class InvalidPackageName extends Schema.TaggedError<InvalidPackageName>()("InvalidPackageName", {
  name: Schema.String
}) {
  override get message() {
    return `invalid package name ${JSON.stringify(this.name)}: Debian names are lower case letters, digits, '+', '-' and '.', starting with a letter or digit`
  }
}

export const validatePackages = (names: ReadonlyArray<string>): Result.Result<ReadonlyArray<string>, InvalidPackageName> => {
  const bad = names.find((name) => !PACKAGE_NAME.test(name))
  return bad === undefined ? Result.succeed(names) : Result.fail(new InvalidPackageName({ name: bad }))
}

/** The environment every apt call gets: the C locale (apt's block headers are translated otherwise) and the configured APT_CONFIG. */
export const aptEnv = (aptConfig: string | undefined): Readonly<Record<string, string>> => ({
  LC_ALL: "C",
  LANG: "C",
  ...(aptConfig === undefined ? {} : { APT_CONFIG: aptConfig })
})

/** What an upgrade adds: no debconf question, no changelog pager, existing configuration files kept. */
export const upgradeEnv = (aptConfig: string | undefined): Readonly<Record<string, string>> => ({
  ...aptEnv(aptConfig),
  DEBIAN_FRONTEND: "noninteractive",
  APT_LISTCHANGES_FRONTEND: "none"
})

export const refreshArgv: ReadonlyArray<string> = ["apt-get", "update"]
export const holdsArgv: ReadonlyArray<string> = ["apt-mark", "showhold"]
export const listsDirArgv: ReadonlyArray<string> = ["apt-config", "shell", "LISTS", "Dir::State::lists/d", "STATUS", "Dir::State::status/f"]

/** The operation: every upgrade (dist-upgrade), or only these packages (install --only-upgrade). */
const operation = (packages: ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  packages === undefined ? ["dist-upgrade"] : ["install", "--only-upgrade", ...packages]

/** `apt-get -s -V …`: -V puts one kept-back package per line with its versions; never -qq (it drops that block). */
export const simulateArgv = (packages?: ReadonlyArray<string>): ReadonlyArray<string> => ["apt-get", "-s", "-V", ...operation(packages)]

/** The real thing: yes to apt, keep changed configuration files (confdef/confold), as unattended-upgrades does. */
export const upgradeArgv = (packages?: ReadonlyArray<string>): ReadonlyArray<string> => [
  "apt-get",
  "-y",
  "-o",
  "Dpkg::Options::=--force-confdef",
  "-o",
  "Dpkg::Options::=--force-confold",
  ...operation(packages)
]

/** The same, quoted for a human to read or paste. */
export const display = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): string =>
  [...Object.entries(env).map(([name, value]) => `${name}=${quote(value)}`), ...argv.map(quote)].join(" ")

const quote = (word: string) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`

/** apt's lock messages: "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)". */
export const lockProblem = (stderr: string): { readonly lock: string; readonly holder?: string } | undefined => {
  const found = /Could not get lock (\S+?)\.?(?:\s|$)(?:It is held by process (\d+)(?: \(([^)]*)\))?)?/.exec(stderr)
  if (found === null) {
    const frontend = /Unable to acquire the dpkg frontend lock \((\S+)\)/.exec(stderr)
    return frontend === null ? undefined : { lock: frontend[1]! }
  }
  const holder = found[2] === undefined ? undefined : `process ${found[2]}${found[3] === undefined ? "" : ` (${found[3]})`}`
  return holder === undefined ? { lock: found[1]! } : { lock: found[1]!, holder }
}

/** apt's E: and W: lines, the tail kept for a message. */
export const problemLines = (text: string, prefix: "E" | "W"): ReadonlyArray<string> =>
  text.split("\n").map((line) => line.trim()).filter((line) => line.startsWith(`${prefix}: `)).map((line) => line.slice(3))
