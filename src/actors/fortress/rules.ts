/**
 * The audit's rules: pure functions from what was read (an Observation) to
 * findings, each with its code's fixed severity, the evidence (where it was
 * read, what was there) and the fix. What could not be read is reported as
 * `unread`, never as a clean bill.
 */
import type {
  Accounts,
  Listener,
  NfsExport,
  PathFacts,
  Reading,
  SmbConfig,
  SmbSection,
  SshdSettings
} from "../../adapters/hostprobe/HostProbe.ts"
import { type Check, CODES, type FindingCode, severityRank } from "./codes.ts"
import type { DaemonPaths } from "./config.ts"
import type { Finding, Unread } from "./messages.ts"

export const finding = (code: FindingCode, subject: string, source: string, detail: string): Finding => {
  const spec = CODES[code]
  return { code, severity: spec.severity, check: spec.check, subject, title: spec.title, evidence: { source, detail }, fix: spec.fix }
}

/** What identifies a finding between audits: its code and subject. */
export const findingKey = (f: Pick<Finding, "code" | "subject">) => `${f.code}\u0000${f.subject}`

const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, "0")}`
const describeFacts = (facts: PathFacts) => `${facts.type} mode ${octal(facts.mode)} uid ${facts.uid} gid ${facts.gid}`

// ---- listening sockets ------------------------------------------------------------

const WILDCARD = new Set(["0.0.0.0", "*", "[::]", "::", "[::0]"])
const isLoopback = (address: string) => /^127\./.test(address) || address === "[::1]" || /^\[::ffff:127\./.test(address)
/** Cleartext remote-login and transfer services by protocol and port. */
const CLEARTEXT: Readonly<Record<string, ReadonlyArray<number>>> = { tcp: [21, 23, 512, 513, 514], udp: [69] }

export const socketFindings = (listeners: ReadonlyArray<Listener>, allowedPorts: ReadonlyArray<number>, source: string): ReadonlyArray<Finding> => {
  const out = new Map<string, Finding>()
  const who = (l: Listener) => l.process === undefined ? "process not visible to ss" : `${l.process} (pid ${l.pid})`
  for (const l of listeners) {
    const subject = `${l.protocol}/${l.port}`
    const detail = `${l.line} — ${who(l)}`
    if (CLEARTEXT[l.protocol]!.includes(l.port) && !isLoopback(l.address)) {
      const key = `LISTENER_CLEARTEXT_SERVICE ${subject}`
      if (!out.has(key)) out.set(key, finding("LISTENER_CLEARTEXT_SERVICE", subject, source, detail))
    } else if (WILDCARD.has(l.address) && !allowedPorts.includes(l.port)) {
      const key = `LISTENER_ALL_INTERFACES ${subject}`
      if (!out.has(key)) out.set(key, finding("LISTENER_ALL_INTERFACES", subject, source, detail))
    }
  }
  return [...out.values()]
}

// ---- sshd ---------------------------------------------------------------------------

export const sshdFindings = (settings: SshdSettings, source: string): ReadonlyArray<Finding> => {
  const value = (key: string) => settings[key]?.[0]?.toLowerCase()
  const out: Array<Finding> = []
  const flag = (code: FindingCode, key: string, bad: (v: string) => boolean) => {
    const v = value(key)
    if (v !== undefined && bad(v)) out.push(finding(code, `sshd ${key}`, source, `${key} ${v}`))
  }
  flag("SSH_PASSWORD_AUTH", "passwordauthentication", (v) => v === "yes")
  flag("SSH_ROOT_LOGIN", "permitrootlogin", (v) => v === "yes")
  flag("SSH_EMPTY_PASSWORDS", "permitemptypasswords", (v) => v === "yes")
  const kbd = value("kbdinteractiveauthentication") ?? value("challengeresponseauthentication")
  if (kbd === "yes" && value("usepam") === "yes") {
    out.push(finding("SSH_KBD_INTERACTIVE_PAM", "sshd kbdinteractiveauthentication", source, "kbdinteractiveauthentication yes, usepam yes"))
  }
  flag("SSH_USER_ENVIRONMENT", "permituserenvironment", (v) => v !== "no")
  flag("SSH_X11_FORWARDING", "x11forwarding", (v) => v === "yes")
  flag("SSH_MAX_AUTH_TRIES", "maxauthtries", (v) => Number(v) > 4)
  return out
}

// ---- shares -------------------------------------------------------------------------

const TRUE = new Set(["yes", "true", "1", "on"])
const isTrue = (value: string) => TRUE.has(value.trim().toLowerCase())

/** The last of `keys` set in the section, else in [global] (share parameters in [global] are every share's default). */
const lookup = (section: SmbSection, global: SmbSection | undefined, keys: ReadonlyArray<string>) => {
  const last = (s: SmbSection | undefined) => s?.parameters.filter((p) => keys.includes(p.key)).at(-1)
  return last(section) ?? last(global)
}

const isPrintable = (section: SmbSection, global: SmbSection | undefined) => {
  const printable = lookup(section, global, ["printable", "print ok"])
  return section.name.toLowerCase() === "printers" || section.name === "print$" || (printable !== undefined && isTrue(printable.value))
}

/** A share's path, when it names one without substitutions. */
export interface SharePath {
  readonly path: string
  /** "smb share [public]" or "nfs export /srv/data". */
  readonly share: string
  readonly where: string
}

export const sharePaths = (smb: SmbConfig | undefined, exports: ReadonlyArray<NfsExport>): ReadonlyArray<SharePath> => {
  const out: Array<SharePath> = []
  const global = smb?.sections.find((s) => s.name.toLowerCase() === "global")
  for (const section of smb?.sections ?? []) {
    if (section === global || isPrintable(section, global)) continue
    const path = lookup(section, undefined, ["path", "directory"])
    if (path !== undefined && path.value.startsWith("/") && !path.value.includes("%")) {
      out.push({ path: path.value, share: `smb share [${section.name}]`, where: path.where })
    }
  }
  for (const e of exports) {
    if (!out.some((p) => p.path === e.path && p.share === `nfs export ${e.path}`)) out.push({ path: e.path, share: `nfs export ${e.path}`, where: e.where })
  }
  return out
}

const SMB1 = new Set(["nt1", "lanman1", "lanman2", "core", "coreplus"])
const NTLMV1 = new Set(["yes", "true", "1", "on", "ntlmv1-permitted"])

export const smbFindings = (smb: SmbConfig): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const global = smb.sections.find((s) => s.name.toLowerCase() === "global")
  for (const section of smb.sections) {
    if (section === global) continue
    const guest = lookup(section, global, ["guest ok", "public"])
    if (guest === undefined || !isTrue(guest.value)) continue
    const readOnly = lookup(section, global, ["read only", "writable", "writeable", "write ok"])
    const writable = readOnly !== undefined && (readOnly.key === "read only" ? !isTrue(readOnly.value) : isTrue(readOnly.value))
    const detail = `${guest.key} = ${guest.value}` + (readOnly === undefined ? "" : `; ${readOnly.key} = ${readOnly.value} (${readOnly.where})`)
    out.push(finding(writable ? "SMB_GUEST_WRITABLE" : "SMB_GUEST_OK", `smb share [${section.name}]`, guest.where, detail))
  }
  if (global !== undefined) {
    const min = lookup(global, undefined, ["server min protocol", "min protocol"])
    if (min !== undefined && SMB1.has(min.value.toLowerCase())) out.push(finding("SMB1_ENABLED", "smb [global]", min.where, `${min.key} = ${min.value}`))
    const ntlm = lookup(global, undefined, ["ntlm auth"])
    if (ntlm !== undefined && NTLMV1.has(ntlm.value.toLowerCase())) out.push(finding("SMB_NTLMV1", "smb [global]", ntlm.where, `${ntlm.key} = ${ntlm.value}`))
  }
  return out
}

export const nfsFindings = (exports: ReadonlyArray<NfsExport>): ReadonlyArray<Finding> =>
  exports.flatMap((e) => {
    const subject = `nfs export ${e.path} to ${e.client === "" ? "everyone" : e.client}`
    const out: Array<Finding> = []
    if (e.options.includes("no_root_squash")) out.push(finding("NFS_NO_ROOT_SQUASH", subject, e.where, e.line))
    if (e.options.includes("insecure")) out.push(finding("NFS_INSECURE", subject, e.where, e.line))
    if (e.client === "" || e.client === "*") out.push(finding("NFS_EXPORT_TO_ALL", subject, e.where, e.line))
    return out
  })

const SYSTEM_EXACT = new Set(["/", "/etc", "/root", "/boot", "/usr", "/var", "/proc", "/sys", "/dev", "/run", "/bin", "/sbin", "/lib", "/lib64", "/home"])
const SYSTEM_TREES = ["/etc", "/root", "/boot", "/usr", "/proc", "/sys", "/dev", "/run", "/bin", "/sbin", "/lib", "/lib64"]
export const isSystemPath = (path: string) => {
  const clean = path.replace(/\/+$/, "") || "/"
  return SYSTEM_EXACT.has(clean) || SYSTEM_TREES.some((tree) => clean.startsWith(`${tree}/`))
}

export const sharePathFindings = (
  share: SharePath,
  stat: Reading<PathFacts | undefined>,
  accounts: Accounts | undefined
): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  if (isSystemPath(share.path)) out.push(finding("SHARE_PATH_SYSTEM", share.path, share.where, `${share.share} path ${share.path}`))
  if (stat._tag === "Unavailable") return out
  const facts = stat.value
  if (facts === undefined) {
    out.push(finding("SHARE_PATH_MISSING", share.path, share.where, `${share.share}: ${share.path} does not exist`))
    return out
  }
  if ((facts.mode & 0o002) !== 0) out.push(finding("SHARE_PATH_WORLD_WRITABLE", share.path, stat.source, `${describeFacts(facts)} (${share.share})`))
  if (accounts !== undefined && (!accounts.uids.has(facts.uid) || !accounts.gids.has(facts.gid))) {
    out.push(finding("SHARE_PATH_UNOWNED", share.path, stat.source, `${describeFacts(facts)}: no account has ${!accounts.uids.has(facts.uid) ? `uid ${facts.uid}` : `gid ${facts.gid}`}`))
  }
  return out
}

// ---- the daemon's own files ------------------------------------------------------------

export interface OwnFiles {
  readonly socket: Reading<PathFacts | undefined>
  readonly runtimeDir: Reading<PathFacts | undefined>
  readonly stateDir: Reading<PathFacts | undefined>
  readonly keysDir: Reading<PathFacts | undefined>
  readonly keys: Reading<ReadonlyArray<PathFacts> | undefined>
  readonly configFile: Reading<PathFacts | undefined> | undefined
}

export const ownFindings = (own: OwnFiles, daemon: DaemonPaths): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const owner = (facts: PathFacts, source: string) => {
    if (facts.uid !== 0 && facts.uid !== daemon.uid) {
      out.push(finding("OWN_PATH_OWNER", facts.path, source, `${describeFacts(facts)}; the daemon runs as uid ${daemon.uid}`))
    }
  }
  const check = (reading: Reading<PathFacts | undefined> | undefined, code: FindingCode, bad: (mode: number) => boolean) => {
    if (reading === undefined || reading._tag === "Unavailable" || reading.value === undefined) return
    const facts = reading.value
    if (bad(facts.mode)) out.push(finding(code, facts.path, reading.source, describeFacts(facts)))
    owner(facts, reading.source)
  }
  check(own.socket, "SOCKET_WORLD_WRITABLE", (mode) => (mode & 0o002) !== 0)
  check(own.runtimeDir, "RUNTIME_DIR_WRITABLE", (mode) => (mode & 0o002) !== 0)
  check(own.stateDir, "STATE_DIR_OPEN", (mode) => (mode & 0o007) !== 0)
  check(own.keysDir, "KEY_FILE_EXPOSED", (mode) => (mode & 0o077) !== 0)
  if (own.keys._tag === "Read") {
    for (const key of own.keys.value ?? []) {
      if (key.type !== "file") continue
      check({ _tag: "Read", source: `stat ${key.path}`, value: key }, "KEY_FILE_EXPOSED", (mode) => (mode & 0o077) !== 0)
    }
  }
  check(own.configFile, "CONFIG_FILE_WRITABLE", (mode) => (mode & 0o022) !== 0)
  return out
}

// ---- what could not be read ------------------------------------------------------------

export const unreadOf = (check: Check, reading: Reading<unknown> | undefined): ReadonlyArray<Unread> =>
  reading === undefined || reading._tag === "Read" ? [] : [{ check, source: reading.source, reason: reading.reason }]

/** Most severe first, then by code and subject: the order reports and tests rely on. */
export const sortFindings = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  [...findings].sort((a, b) =>
    severityRank(b.severity) - severityRank(a.severity) || a.code.localeCompare(b.code) || a.subject.localeCompare(b.subject)
  )
