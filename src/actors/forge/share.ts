/**
 * A share's config as a pure function of its spec: an smb.conf stanza (and the
 * same parameters in order, for `net conf setparm`) or one /etc/exports.d line.
 *
 * Everything the real tool would refuse or read differently from what the spec
 * says is refused here as InvalidSpec, naming the field, before any tool runs:
 * smb.conf joins a line ending in '\' with the next, strips and collapses
 * blanks and substitutes %U and friends in values; exportfs refuses options it
 * does not know. The differential test (test/actors/forge-differential.test.ts)
 * holds these rules against testparm and exportfs on random specs.
 */
import { Result } from "effect"
import type { ShareSpec } from "../shared/fields.ts"
import { InvalidSpec, type Rendered } from "./messages.ts"

type Checked<A> = Result.Result<A, InvalidSpec>

const refuse = (kind: "smb" | "nfs", field: string, reason: string): Checked<never> =>
  Result.fail(new InvalidSpec({ kind, field, reason }))

/** Where a share's exports file goes. */
export const exportsTarget = (name: string) => `/etc/exports.d/sigmavault-${name}.exports`

// ---- SMB --------------------------------------------------------------------------

/** Sections smb.conf gives a meaning of its own: a share by that name would change the server, not add a share. */
const RESERVED_SMB_SECTIONS = new Set(["global", "homes", "printers", "print$", "ipc$"])

/** Share defaults in the spirit of TrueNAS's "default share" preset: visible, group-writable new files. */
export const SMB_DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ["browseable", "yes"],
  ["create mask", "0664"],
  ["directory mask", "0775"]
]

/**
 * A value smb.conf will read back exactly: one line (no newline or NUL), no
 * blanks at either end and no two in a row (the parser strips the first and
 * reduces the others to one), no final '\' (it
 * joins the next line) and no '%' (smb.conf(5) "VARIABLE SUBSTITUTIONS":
 * %U, %m… are replaced per connection, and there is no escape).
 */
const smbValue = (field: string, value: string, what: string): Checked<string> => {
  if (/[\u0000\n]/.test(value)) return refuse("smb", field, `a newline or NUL cannot be held in an smb.conf ${what}`)
  if (value.includes("%")) return refuse("smb", field, `'%' starts a variable substitution in smb.conf (%U, %m…) and cannot be escaped`)
  if (value.endsWith("\\")) return refuse("smb", field, `a final '\\' is smb.conf's line continuation: it would join the next line to the ${what}`)
  // Samba's blanks are ASCII's (isspace): a no-break space or U+2028 is kept as written, and so is one blank alone.
  if (/^[ \t\v\f\r]|[ \t\v\f\r]$/.test(value)) return refuse("smb", field, `smb.conf strips blanks at either end of a ${what}`)
  if (/[ \t\v\f\r]{2}/.test(value)) return refuse("smb", field, `smb.conf reduces blanks in a row inside a ${what} to the first one`)
  return Result.succeed(value)
}

const renderSmb = (spec: ShareSpec): Checked<Rendered> => {
  if (RESERVED_SMB_SECTIONS.has(spec.name.toLowerCase())) {
    return refuse("smb", "name", `[${spec.name}] is a section smb.conf reserves (global, homes, printers), not a share`)
  }
  if (spec.nfsOptions !== undefined && spec.nfsOptions.length > 0) {
    return refuse("smb", "nfsOptions", "NFS options do not apply to an SMB share")
  }
  const path = smbValue("path", spec.path, "path")
  if (Result.isFailure(path)) return Result.fail(path.failure)
  const parameters: Array<readonly [string, string]> = [["path", path.success]]
  if (spec.comment !== undefined && spec.comment !== "") {
    const comment = smbValue("comment", spec.comment, "comment")
    if (Result.isFailure(comment)) return Result.fail(comment.failure)
    parameters.push(["comment", comment.success])
  }
  parameters.push(["read only", spec.readOnly === true ? "yes" : "no"])
  const guest = spec.guest === true
  const users = spec.users ?? []
  if (guest && users.length > 0) {
    return refuse("smb", "guest", "guest access admits anyone without a password: it cannot be combined with users (valid users)")
  }
  parameters.push(["guest ok", guest ? "yes" : "no"])
  const hosts = spec.hosts ?? []
  for (const [i, host] of hosts.entries()) {
    if (/^(EXCEPT|ALL|LOCAL)$/i.test(host)) {
      return refuse("smb", `hosts[${i}]`, `'${host}' is a keyword in smb.conf's hosts allow, not a host`)
    }
    if (/[*?]/.test(host)) {
      return refuse("smb", `hosts[${i}]`, "smb.conf's hosts allow takes no '*' or '?' wildcards (testparm refuses them): name a network (192.168.1.0/24, 192.168.1.) or a domain (.lan)")
    }
  }
  if (hosts.length > 0) parameters.push(["hosts allow", hosts.join(" ")])
  if (users.length > 0) parameters.push(["valid users", users.join(" ")])
  parameters.push(...SMB_DEFAULTS)
  const text = `[${spec.name}]\n` + parameters.map(([key, value]) => `\t${key} = ${value}\n`).join("")
  return Result.succeed({ kind: "smb", files: [{ target: spec.name, text, parameters }] })
}

// ---- NFS --------------------------------------------------------------------------

/** exports(5) options that take no value. */
const NFS_FLAGS = new Set([
  "ro", "rw", "secure", "insecure", "sync", "async", "wdelay", "no_wdelay", "hide", "nohide", "crossmnt", "nocrossmnt",
  "subtree_check", "no_subtree_check", "insecure_locks", "no_auth_nlm", "secure_locks", "auth_nlm", "no_acl", "acl",
  "root_squash", "no_root_squash", "all_squash", "no_all_squash", "pnfs", "no_pnfs", "security_label", "mountpoint", "mp",
  "nordirplus"
])
/** Pairs of flags that contradict each other: the spec would not say which one it means. */
const NFS_OPPOSITES: ReadonlyArray<readonly [string, string]> = [
  ["ro", "rw"], ["secure", "insecure"], ["sync", "async"], ["wdelay", "no_wdelay"], ["hide", "nohide"],
  ["crossmnt", "nocrossmnt"], ["subtree_check", "no_subtree_check"], ["insecure_locks", "secure_locks"],
  ["no_auth_nlm", "auth_nlm"], ["insecure_locks", "auth_nlm"], ["no_auth_nlm", "secure_locks"], ["no_acl", "acl"],
  ["root_squash", "no_root_squash"], ["all_squash", "no_all_squash"], ["pnfs", "no_pnfs"]
]
/**
 * The security flavours exports(5) documents. exportfs also takes "none" (AUTH_NULL: every request
 * anonymous), which it does not document; FORGE refuses it by policy (docs/shares.md).
 */
const SEC_FLAVORS = new Set(["sys", "krb5", "krb5i", "krb5p"])
const UINT32_MAX = 4294967295

/** An option exportfs knows, with a value it reads as written, or why not. */
const nfsOptionProblem = (option: string): string | undefined => {
  if (NFS_FLAGS.has(option)) return undefined
  const eq = option.indexOf("=")
  if (eq < 0) return `'${option}' is not an option exportfs knows (exports(5))`
  const key = option.slice(0, eq)
  const value = option.slice(eq + 1)
  switch (key) {
    case "anonuid":
    case "anongid":
      return /^[0-9]{1,10}$/.test(value) && Number(value) <= UINT32_MAX ? undefined : `${key} is a number from 0 to ${UINT32_MAX}`
    case "fsid":
      return /^(root|[0-9]{1,10})$/.test(value) && (value === "root" || Number(value) <= UINT32_MAX) ||
          /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(value)
        ? undefined
        : "fsid is a number, 'root' or a UUID (8-4-4-4-12 hex digits)"
    case "sec":
      return value.split(":").every((flavor) => SEC_FLAVORS.has(flavor)) ? undefined : "sec is a ':'-list of the flavours exports(5) documents: sys, krb5, krb5i, krb5p"
    case "mountpoint":
    case "mp":
      return /^\/[A-Za-z0-9_.\/+-]*$/.test(value) ? undefined : `${key}= is an absolute path of letters, digits, '_', '.', '-', '+' and '/'`
    default:
      return `'${key}=' is not an option exportfs knows (exports(5))`
  }
}

/**
 * A path as an exports file holds it: exports(5) reads "\ooo" (three octal
 * digits) as that byte, so every byte outside a plain set is written that way
 * (a space is \040); exportfs then sees exactly the path.
 */
export const escapeExportPath = (path: string): string =>
  Array.from(new TextEncoder().encode(path), (byte) => {
    const char = String.fromCharCode(byte)
    return /[A-Za-z0-9\/_.+,:@=~-]/.test(char) ? char : `\\${byte.toString(8).padStart(3, "0")}`
  }).join("")

/** The longest path the kernel's NFS export table takes (NFS_MAXPATHLEN). */
const NFS_MAXPATHLEN = 1024

const ipv4 = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/

/**
 * A client exportfs reads as the spec means it: a host name or wildcard
 * (exports(5): '*', '?' and [classes]), an IPv4/IPv6 address or network. A
 * leading '-' would make exportfs read the entry as default options.
 */
const nfsClientProblem = (client: string): string | undefined => {
  if (client.startsWith("-")) return "a client cannot start with '-' (exportfs reads '-options' as default options)"
  const slash = client.indexOf("/")
  if (slash < 0) return undefined
  const address = client.slice(0, slash)
  const prefix = client.slice(slash + 1)
  if (address.includes(":")) {
    if (!/^[0-9A-Fa-f:.]+$/.test(address)) return "a network is an IPv6 address with a prefix length, e.g. 2001:db8::/32"
    if (!(/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= 128)) return "an IPv6 prefix length is 0 to 128"
    return undefined
  }
  if (!ipv4.test(address)) return "a network is an IP address with a prefix, e.g. 192.168.1.0/24"
  if (!(/^[0-9]{1,2}$/.test(prefix) && Number(prefix) <= 32) && !ipv4.test(prefix)) return "an IPv4 prefix is a length from 0 to 32 or a netmask"
  return undefined
}

const renderNfs = (spec: ShareSpec): Checked<Rendered> => {
  if (spec.guest !== undefined) return refuse("nfs", "guest", "guest access is an SMB setting; NFS admits hosts (hosts)")
  if (spec.users !== undefined && spec.users.length > 0) return refuse("nfs", "users", "NFS admits hosts, not users: use hosts")
  if (spec.comment !== undefined && /[\u0000-\u001f\u007f]/.test(spec.comment)) {
    return refuse("nfs", "comment", "a control character cannot be held in an exports file's comment")
  }
  if (spec.path.includes("\u0000")) return refuse("nfs", "path", "a path cannot hold a NUL byte")
  if (spec.path.length > 1 && spec.path.endsWith("/")) return refuse("nfs", "path", "exportfs reads the path without its final '/': write it without")
  if (/\/\/|\/\.\.?(\/|$)/.test(spec.path)) return refuse("nfs", "path", "write the path plainly: no '//', '/./' or '/../'")
  if (new TextEncoder().encode(spec.path).length >= NFS_MAXPATHLEN) return refuse("nfs", "path", `an NFS export path is shorter than ${NFS_MAXPATHLEN} bytes`)
  const hosts = spec.hosts ?? []
  if (hosts.length === 0) {
    return refuse("nfs", "hosts", "an NFS export names the hosts or networks it admits (e.g. 192.168.1.0/24, or '*' for any): none was given")
  }
  for (const [i, host] of hosts.entries()) {
    if (hosts.indexOf(host) < i) return refuse("nfs", `hosts[${i}]`, `'${host}' is named twice (exportfs refuses duplicated export entries)`)
    const problem = nfsClientProblem(host)
    if (problem !== undefined) return refuse("nfs", `hosts[${i}]`, problem)
  }
  const given = spec.nfsOptions ?? []
  for (const [i, option] of given.entries()) {
    const problem = nfsOptionProblem(option)
    if (problem !== undefined) return refuse("nfs", `nfsOptions[${i}]`, problem)
  }
  const access = spec.readOnly === true ? "ro" : "rw"
  const opposite = access === "ro" ? "rw" : "ro"
  const at = given.indexOf(opposite)
  if (at >= 0) {
    return refuse("nfs", `nfsOptions[${at}]`, `'${opposite}' contradicts readOnly: ${spec.readOnly === true}`)
  }
  for (const [a, b] of NFS_OPPOSITES) {
    if (given.includes(a) && given.includes(b)) return refuse("nfs", `nfsOptions[${given.indexOf(b)}]`, `'${a}' and '${b}' contradict each other`)
  }
  const options = [access]
  const has = (...names: ReadonlyArray<string>) => names.some((n) => given.includes(n))
  // exportfs's defaults, written out so the file says what it does: sync, no subtree checks, root squashed.
  if (!has("sync", "async")) options.push("sync")
  if (!has("subtree_check", "no_subtree_check")) options.push("no_subtree_check")
  if (!has("root_squash", "no_root_squash")) options.push("root_squash")
  for (const option of given) if (!options.includes(option)) options.push(option)
  const opts = options.join(",")
  const comment = spec.comment === undefined || spec.comment === "" ? "" : `# ${spec.comment}\n`
  const line = `${escapeExportPath(spec.path)} ${hosts.map((host) => `${host}(${opts})`).join(" ")}\n`
  return Result.succeed({
    kind: "nfs",
    files: [{ target: exportsTarget(spec.name), text: `# SigmaVault share ${spec.name}; written by FORGE\n${comment}${line}` }]
  })
}

/** A share's config, or the first thing in its spec the real tool would refuse or misread. */
export const renderShare = (spec: ShareSpec): Checked<Rendered> => spec.protocol === "smb" ? renderSmb(spec) : renderNfs(spec)
