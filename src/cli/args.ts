/**
 * The command line: commands, their flags and their help. Parsing returns a
 * value (never throws); a usage error says what was wrong and what to do.
 */

// The table lives in src/ExitCode.ts, shared with the daemon; the commands here know it as EXIT.
export { ExitCode as EXIT } from "../ExitCode.ts"

interface FlagSpec {
  readonly name: string
  /** a one-letter alias, e.g. "-o" */
  readonly short?: string
  readonly value?: string
  readonly help: string
}

interface CommandSpec {
  readonly name: string
  /** positional arguments; those in [brackets] are optional, a last "[X...]" takes any number */
  readonly args: string
  readonly summary: string
  readonly flags: ReadonlyArray<FlagSpec>
  readonly details?: string
}

const socketFlag: FlagSpec = {
  name: "--socket",
  value: "PATH",
  help: "control socket (default: $SIGMAVAULT_SOCKET, else /run/sigmavault/control.sock)"
}
const jsonFlag: FlagSpec = { name: "--json", help: "machine-readable JSON output" }

export const COMMANDS: ReadonlyArray<CommandSpec> = [
  {
    name: "run",
    args: "",
    summary: "start the daemon in the foreground (SIGINT/SIGTERM stop it gracefully)",
    flags: [
      { name: "--socket", value: "PATH", help: "control socket (default: $RUNTIME_DIRECTORY/control.sock, else /run/sigmavault/control.sock)" },
      { name: "--state-dir", value: "DIR", help: "agents' state (default: $STATE_DIRECTORY, else /var/lib/sigmavault)" },
      { name: "--runtime-dir", value: "DIR", help: "runtime files (default: $RUNTIME_DIRECTORY, else /run/sigmavault)" },
      { name: "--config", value: "FILE", help: "configuration file (default: /etc/sigmavault/sigmavault.conf if it exists)" },
      { name: "--log-level", value: "LEVEL", help: "trace, debug, info, warn or error (default info)" },
      { name: "--shutdown-deadline", value: "MS", help: "how long a graceful stop may drain mailboxes before busy agents are interrupted (default 5000)" },
      { name: "--dbus", value: "BUS", help: "system, session or none (default: system under systemd, none otherwise)" },
      { name: "--dbus-address", value: "ADDR", help: "connect to this D-Bus address instead of the standard one for --dbus" },
      { name: "--test-faults", help: "accept {\"type\":\"sv.fault\"}, which crashes an agent (for tests only)" }
    ],
    details: "Settings come from, in increasing precedence: defaults, the config file, systemd's\n" +
      "STATE_DIRECTORY/RUNTIME_DIRECTORY, then these flags (see docs/configuration.md)."
  },
  { name: "agents", args: "", summary: "show the supervision tree: state, mailbox depth, restarts", flags: [socketFlag, jsonFlag] },
  {
    name: "tell",
    args: "AGENT JSON",
    summary: "send a message without waiting for an answer",
    flags: [socketFlag, jsonFlag],
    details: "Example: sigmavault tell ECLIPSE '{\"type\":\"check\"}'"
  },
  {
    name: "ask",
    args: "AGENT JSON",
    summary: "send a message and print the agent's answer",
    flags: [socketFlag, jsonFlag, { name: "--timeout", value: "MS", help: "how long to wait for the answer (default 5000)" }],
    details: "Example: sigmavault ask CORE '{\"type\":\"facts\"}'"
  },
  {
    name: "say",
    args: "WORD [WORD...]",
    summary: "a plain-language command (LINGUA): shows the message it means, asks before anything that changes the NAS",
    flags: [
      socketFlag,
      jsonFlag,
      { name: "--yes", short: "-y", help: "send a state-changing message without asking (needed when not on a terminal)" },
      { name: "--timeout", value: "MS", help: "how long to wait for the answer (default 120000)" }
    ],
    details: "Example: sigmavault say \"check the health of pool tank\"\n" +
      "Prints the agent message the sentence means, then the agent's answer. A message that changes the NAS\n" +
      "is sent only after y on a terminal, or with --yes; it is sent with your own rights. What LINGUA\n" +
      "understands: docs/language.md, or sigmavault ask LINGUA '{\"type\":\"phrases\"}'."
  },
  {
    name: "events",
    args: "",
    summary: "stream lifecycle events until interrupted",
    flags: [
      socketFlag,
      jsonFlag,
      { name: "--agent", value: "NAME", help: "only this agent's events (repeatable)" },
      { name: "--type", value: "T", help: "only this event type, e.g. restarted, failed, transition (repeatable)" }
    ]
  },
  {
    name: "watch",
    args: "TOPIC [TOPIC...]",
    summary: "stream STREAM's topics until interrupted: alerts, incidents, progress, metrics, lifecycle",
    flags: [
      socketFlag,
      jsonFlag,
      { name: "--buffer", value: "N", help: "events the daemon holds for this terminal before it drops the oldest, 1 to 65536 (default 1024)" },
      { name: "--count", value: "N", help: "exit after N events" }
    ],
    details: "Every event lost (the terminal read too slowly and the buffer overflowed) is counted and told on\n" +
      "stderr, with when and between which sequence numbers; with --json the loss is a JSON line on stdout\n" +
      "({\"lost\":N,...}). See docs/topics.md. Example: sigmavault watch alerts incidents"
  },
  { name: "status", args: "", summary: "the daemon at a glance", flags: [socketFlag, jsonFlag] },
  {
    name: "restart",
    args: "AGENT",
    summary: "restart an agent now (fresh state; not counted as a failure)",
    flags: [socketFlag, jsonFlag]
  },
  {
    name: "stop",
    args: "AGENT",
    summary: "stop an agent; it stays stopped (messages to it are refused) until started",
    flags: [socketFlag, jsonFlag]
  },
  { name: "start", args: "AGENT", summary: "start an agent that was stopped", flags: [socketFlag, jsonFlag] },
  {
    name: "inspect",
    args: "",
    summary: "watch the supervision tree live in the terminal (q quits, ? shows the keys)",
    flags: [
      socketFlag,
      { name: "--rate", value: "HZ", help: "refreshes per second, 1 to 10 (default 1)" },
      { name: "--read-only", help: "only watch: never inject a message into an agent, restart, stop or start one (it still reads: describe, sparklines)" }
    ],
    details: "Reads the daemon's tree at each refresh; reconnects when the daemon comes back. Enter or d shows an\n" +
      "agent's detail; i injects a message into it (ask or tell). Colours follow the terminal; NO_COLOR or\n" +
      "TERM=dumb turns them off. R, S and T restart, stop and start the selected agent (after y/n)."
  },
  {
    name: "chart",
    args: "SERIES",
    summary: "chart a metric's history (CANVAS): sparklines in the terminal, or an SVG file with -o",
    flags: [
      { name: "--since", value: "D", help: "the window back from now: 1h, 24h, 7d, 30d, or any whole number of m, h, d, w (default 24h)" },
      { name: "--output", short: "-o", value: "FILE", help: "write an SVG chart to FILE (atomically; an existing file only with --force)" },
      { name: "--force", help: "with -o: replace FILE if it exists" },
      { name: "--width", value: "N", help: "sparkline characters, 8 to 240 (default: the terminal's width); with -o, SVG pixels, 320 to 4000 (default 960)" },
      { name: "--height", value: "N", help: "with -o: SVG pixels, 200 to 3000 (default 420, plus a row per legend entry)" },
      { name: "--limit", value: "N", help: "most series shown, those with the highest peaks (default 8 with -o, at most 12; else 20)" },
      socketFlag,
      jsonFlag
    ],
    details: "SERIES is a metric name with optional label matchers, as in PromQL, e.g.\n" +
      "  sigmavault chart 'sigmavault_pool_allocated_bytes{pool=\"tank\"}' --since 7d -o tank.svg\n" +
      "Matchers are label=\"v\", label!=\"v\", label=~\"regex\" and label!~\"regex\". Counters are drawn as rates per\n" +
      "second. Time labels use this machine's time zone. The metrics: docs/metrics.md; charts: docs/charts.md."
  },
  {
    name: "report",
    args: "KIND",
    summary: "write a health, capacity, security or activity report (SCRIBE): archived and hashed into LEDGER, printed as Markdown",
    flags: [
      { name: "--period", value: "P", help: "how far back it looks: day, week or month (default week)" },
      { name: "--output", short: "-o", value: "FILE", help: "write the report to FILE (atomically; an existing file only with --force)" },
      { name: "--force", help: "with -o: replace FILE if it exists" },
      socketFlag,
      { name: "--json", help: "the report's JSON document instead of Markdown" },
      { name: "--html", help: "one self-contained HTML page (inline style, no script) instead of Markdown" }
    ],
    details: "KIND is health, capacity, security or activity. The archive: sigmavault ask SCRIBE '{\"type\":\"reports\"}';\n" +
      "one report: '{\"type\":\"get-report\",\"id\":\"ID\"}'; its hash against LEDGER: '{\"type\":\"verify-report\",\"id\":\"ID\"}'.\n" +
      "Reports: docs/reports.md."
  },
  {
    name: "keygen",
    args: "",
    summary: "create an X-Wing (ML-KEM-768 + X25519) key pair; the secret key file is sealed with a passphrase",
    flags: [
      { name: "--output", short: "-o", value: "KEYFILE", help: "where to write the secret key (required; never overwritten)" },
      { name: "--no-passphrase", help: "store the secret key unsealed (anyone who can read the file can decrypt)" }
    ],
    details: "Prints the public key (svpk1…) on stdout. The passphrase comes from $SIGMAVAULT_PASSPHRASE,\n" +
      "else it is asked for twice on the terminal. Sealing uses scrypt (about half a second)."
  },
  {
    name: "encrypt",
    args: "[IN]",
    summary: "encrypt a file or stdin to one or more public keys",
    flags: [
      { name: "--recipient", short: "-r", value: "PUBKEY", help: "a public key (svpk1…) to encrypt to (repeatable)" },
      { name: "--recipients-file", short: "-R", value: "FILE", help: "a file of public keys, one per line, # comments (repeatable)" },
      { name: "--output", short: "-o", value: "OUT", help: "where to write (default stdout); a file is never overwritten and appears only on success, a device (/dev/null) is written directly" }
    ],
    details: "IN is a file, or - or nothing for stdin. Example:\n" +
      "  sigmavault encrypt -r svpk1… -o backup.tar.sv backup.tar"
  },
  {
    name: "decrypt",
    args: "[IN]",
    summary: "decrypt a file or stdin with a secret key file",
    flags: [
      { name: "--identity", short: "-i", value: "KEYFILE", help: "a secret key file from keygen (repeatable; each is tried)" },
      { name: "--output", short: "-o", value: "OUT", help: "where to write (default stdout); a file is never overwritten and appears only on success, a device (/dev/null) is written directly" }
    ],
    details: "IN is a file, or - or nothing for stdin. Exits non-zero, leaving no output file, on any\n" +
      "failure: wrong key, tampered, truncated or reordered data (see docs/vault-format.md)."
  },
  {
    name: "keys",
    args: "ACTION",
    summary: "the daemon's keyring (QUANTUM): list, rotate, or export the default public key",
    flags: [socketFlag, jsonFlag, { name: "--id", value: "ID", help: "with export: this key instead of the default" }],
    details: "ACTION is list, rotate or export. rotate makes a new default key; old keys still decrypt."
  },
  {
    name: "plan",
    args: "ACTION [ARG]",
    summary: "APEX's plans: list, show ID, run FILE (dry run first), cancel ID, resume ID",
    flags: [
      socketFlag,
      jsonFlag,
      { name: "--yes", short: "-y", help: "with run or resume: start the plan after printing its dry run, without asking" },
      { name: "--detach", help: "with run or resume: print the plan's id and return instead of following it to its end" }
    ],
    details: "ACTION is list, show ID, run FILE (or - for stdin), cancel ID or resume ID. run and resume print the\n" +
      "dry run (each task, its level, agent, message and access) and start the plan only with --yes or a 'y'\n" +
      "typed at a terminal; then they follow it until it ends (exit 0 only if it succeeded). A plan file is\n" +
      "{\"goal\": \"...\", \"tasks\": [{\"id\": \"a\", \"agent\": \"CORE\", \"message\": {\"type\": \"facts\"}, \"after\": []}]}\n" +
      "(see docs/plans.md)."
  },
  {
    name: "audit",
    args: "ACTION",
    summary: "the audit ledger: verify its hash chain and signatures, or show its last entries",
    flags: [
      { name: "--state-dir", value: "DIR", help: "the daemon's state (default: $STATE_DIRECTORY, else /var/lib/sigmavault)" },
      { name: "--lines", short: "-n", value: "N", help: "with tail: how many entries (default 20)" },
      jsonFlag
    ],
    details: "ACTION is verify or tail. verify exits 1 when an entry was modified, removed or reordered,\n" +
      "or a checkpoint signature is bad; it reads the files directly, so it works with the daemon stopped."
  },
  {
    name: "compress",
    args: "[IN...]",
    summary: "compress files, choosing the codec and level from each one's content (already-compressed data is stored)",
    flags: [
      {
        name: "--output",
        short: "-o",
        value: "OUT",
        help: "with one IN: where to write (default IN.svz, - for stdout; never overwritten, written only on success; a device such as /dev/null is written directly)"
      },
      { name: "--codec", value: "C", help: "zstd, brotli, gzip or store instead of the content-based choice" },
      { name: "--level", short: "-l", value: "LEVEL", help: "the codec's level instead of the strategy's" },
      { name: "--json", help: "one JSON line per file on stdout" }
    ],
    details: "Prints what was detected, the codec and level chosen and why, and the ratio, for each file.\n" +
      "IN is a file, or - (or nothing) for stdin. With several files each is written to IN.svz beside it;\n" +
      "one that fails is named and the others are still compressed, and the exit status is 1.\n" +
      "The container is described in docs/compression-format.md."
  },
  {
    name: "decompress",
    args: "[IN...]",
    summary: "decompress files made by compress, verifying each one's size and SHA-256",
    flags: [{
      name: "--output",
      short: "-o",
      value: "OUT",
      help: "with one IN: where to write (default IN without .svz, - for stdout; a device such as /dev/null is written directly)"
    }],
    details: "Exits non-zero, leaving no output file, on a corrupt or truncated input. With several files each\n" +
      "is written beside it without .svz; one that fails is named, leaves nothing, and the others go on."
  },
  {
    name: "store",
    args: "ACTION [ARG...]",
    summary: "the deduplicating chunk store: init, add PATH..., ls, restore SNAPSHOT TARGET, stats, verify, forget SNAPSHOT, gc",
    flags: [
      { name: "--repo", value: "DIR", help: "the store (default: $SIGMAVAULT_REPO)" },
      { name: "--recipient", short: "-r", value: "PUBKEY", help: "init: encrypt the store to this public key (svpk1…; repeatable)" },
      { name: "--recipients-file", short: "-R", value: "FILE", help: "init: public keys to encrypt to, one per line (repeatable)" },
      { name: "--insecure-no-encryption", help: "init: make an UNENCRYPTED store (anyone who can read it reads your data)" },
      { name: "--identity", short: "-i", value: "KEYFILE", help: "a secret key file that opens the store (repeatable; default: the keyring's keys)" },
      { name: "--state-dir", value: "DIR", help: "whose keyring (DIR/keys) to use (default: $STATE_DIRECTORY, else /var/lib/sigmavault)" },
      { name: "--sync", help: "restore: fsync every restored file before it appears (slower; by default writeback is left to the kernel)" },
      jsonFlag
    ],
    details: "Example: sigmavault store init --repo /tank/backup && sigmavault store add /srv/photos --repo /tank/backup\n" +
      "Stores are encrypted (AES-256-GCM, the master key wrapped to X-Wing keys): init without -r/-R encrypts to\n" +
      "the keyring's default key (made if there is none); the other actions open the store with -i KEYFILE, else\n" +
      "with the keyring's keys. The on-disk layout is described in docs/store-format.md."
  },
  {
    name: "manifest",
    args: "DIR",
    summary: "hash every file under DIR into a manifest signed with the daemon's key (CRYPTO)",
    flags: [
      { name: "--output", short: "-o", value: "FILE", help: "where to write the manifest (required; never overwritten; not inside DIR)" },
      { name: "--timeout", value: "MS", help: "how long to wait for the daemon (default 3600000)" },
      socketFlag,
      jsonFlag
    ],
    details: "The daemon reads DIR with your rights, inside its file roots (docs/security.md).\n" +
      "The format and what verify reports: docs/integrity.md."
  },
  {
    name: "verify",
    args: "DIR MANIFEST",
    summary: "check DIR against a signed manifest: changed, bit rot, missing, added, unreadable files (CRYPTO)",
    flags: [
      { name: "--timeout", value: "MS", help: "how long to wait for the daemon (default 3600000)" },
      socketFlag,
      jsonFlag
    ],
    details: "Exits 0 when every file in the manifest is there with its content, 1 when not, 4 when the\n" +
      "manifest is refused (malformed, unsigned, or changed after it was signed)."
  },
  {
    name: "inspect-vault",
    args: "FILE",
    summary: "show an encrypted file's header without decrypting: version, chunk size, recipients, payload",
    flags: [jsonFlag],
    details: "Recipient stanzas carry no key id (docs/vault-format.md); the daemon's CIPHER 'inspect'\n" +
      "tells which of its keyring's keys opens each."
  },
  {
    name: "selftest",
    args: "",
    summary: "start all agents in-process, ask CORE for facts, stop (smoke test of a build)",
    flags: []
  }
]

const pad = (s: string, n: number) => s + " ".repeat(Math.max(1, n - s.length))

export const USAGE = `Usage: sigmavault <command> [options]

Commands:
${COMMANDS.map((c) => `  ${pad(`${c.name} ${c.args}`.trim(), 18)}${c.summary}`).join("\n")}

Options:
  -h, --help        help for sigmavault, or for a command: sigmavault ask --help
  --version         print the version and commit

Exit codes: 0 ok, 1 failure, 2 usage error, 3 daemon not running,
            4 request refused or agent error, 5 timeout.
`

export const commandHelp = (spec: CommandSpec): string => {
  const flags = [...spec.flags, { name: "-h, --help", help: "show this help" }]
  const label = (f: FlagSpec) => `${"short" in f && f.short ? `${f.short}, ` : ""}${f.name}${"value" in f && f.value ? ` ${f.value}` : ""}`
  const width = Math.max(...flags.map((f) => label(f).length)) + 3
  return `Usage: sigmavault ${spec.name}${spec.args ? ` ${spec.args}` : ""} [options]

${spec.summary}.

Options:
${flags.map((f) => `  ${pad(label(f), width)}${f.help}`).join("\n")}
${spec.details ? `\n${spec.details}\n` : ""}`
}

export interface Parsed {
  readonly command: string
  readonly positional: ReadonlyArray<string>
  readonly flags: ReadonlyMap<string, ReadonlyArray<string>>
}

export type ParseResult =
  | { readonly _tag: "Help"; readonly text: string }
  | { readonly _tag: "Version" }
  | { readonly _tag: "UsageError"; readonly message: string }
  | { readonly _tag: "Command"; readonly parsed: Parsed }

const usageError = (message: string): ParseResult => ({ _tag: "UsageError", message })

export const parse = (argv: ReadonlyArray<string>): ParseResult => {
  const [command, ...rest] = argv
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    const topic = command === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined
    return { _tag: "Help", text: topic === undefined ? USAGE : commandHelp(topic) }
  }
  if (command === "--version" || command === "version") return { _tag: "Version" }
  const spec = COMMANDS.find((c) => c.name === command)
  if (spec === undefined) {
    return usageError(command.startsWith("-")
      ? `unknown option '${command}'; run 'sigmavault --help'`
      : `unknown command '${command}'; commands: ${COMMANDS.map((c) => c.name).join(", ")}`)
  }
  const positional: Array<string> = []
  const flags = new Map<string, Array<string>>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === "-h" || arg === "--help") return { _tag: "Help", text: commandHelp(spec) }
    // "-" alone is a positional (stdin or stdout); "-x" is a short flag.
    if (!arg.startsWith("-") || arg === "-" || arg === "--") {
      positional.push(arg)
      continue
    }
    const [given, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined]
    const flag = spec.flags.find((f) => f.name === given || f.short === given)
    const name = flag?.name ?? given
    if (flag === undefined) return usageError(`unknown option '${name}' for ${spec.name}; run 'sigmavault ${spec.name} --help'`)
    let value = "true"
    if (flag.value !== undefined) {
      const next = inline ?? rest[++i]
      if (next === undefined) return usageError(`${name} needs a value (${flag.value})`)
      value = next
    } else if (inline !== undefined) {
      return usageError(`${name} takes no value`)
    }
    flags.set(name, [...(flags.get(name) ?? []), value])
  }
  const words = spec.args === "" ? [] : spec.args.split(" ")
  const required = words.filter((word) => !word.startsWith("[")).length
  // A last word like "[PATH...]" takes any number of arguments.
  const most = words.at(-1)?.endsWith("...]") ? Infinity : words.length
  if (positional.length < required || positional.length > most) {
    return usageError(
      words.length === 0
        ? `${spec.name} takes no arguments, got: ${positional.join(" ")}`
        : `${spec.name} needs ${spec.args}, got ${positional.length} argument${positional.length === 1 ? "" : "s"}; ` +
          `run 'sigmavault ${spec.name} --help'`
    )
  }
  return { _tag: "Command", parsed: { command: spec.name, positional, flags } }
}

/** The last value given for a flag. */
export const flag = (parsed: Parsed, name: string): string | undefined => parsed.flags.get(name)?.at(-1)
export const flagAll = (parsed: Parsed, name: string): ReadonlyArray<string> => parsed.flags.get(name) ?? []
export const hasFlag = (parsed: Parsed, name: string): boolean => parsed.flags.has(name)

/** A whole number within bounds, or a usage error naming the flag. */
export const integerFlag = (
  parsed: Parsed,
  name: string,
  min: number,
  max: number
): { readonly ok: true; readonly value: number | undefined } | { readonly ok: false; readonly message: string } => {
  const raw = flag(parsed, name)
  if (raw === undefined) return { ok: true, value: undefined }
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    return { ok: false, message: `${name} '${raw}' must be a whole number from ${min} to ${max}` }
  }
  return { ok: true, value: n }
}
