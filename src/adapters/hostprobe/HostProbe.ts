/**
 * Port: what a security audit reads from the host — listening sockets
 * (`ss -H -tulnp`), sshd's effective settings (`sshd -T`), the owner and
 * mode of paths, Samba's configuration (the file, its includes and the
 * registry when the file points there) and the NFS exports (/etc/exports and
 * /etc/exports.d/*.exports), and which uids and gids name an account.
 *
 * Nothing here fails: every reading is either `Read` (with the source it came
 * from, for evidence) or `Unavailable` with the honest reason ("sshd is not
 * installed", "sshd -T needs /run/sshd"), so an audit reports what it could
 * not see instead of pretending the host is clean.
 */
import { Context, type Effect } from "effect"
import type { FileType } from "../fs/Files.ts"

export type Reading<A> =
  | { readonly _tag: "Read"; readonly source: string; readonly value: A }
  | { readonly _tag: "Unavailable"; readonly source: string; readonly reason: string }

export const read = <A>(source: string, value: A): Reading<A> => ({ _tag: "Read", source, value })
export const unavailable = <A = never>(source: string, reason: string): Reading<A> => ({ _tag: "Unavailable", source, reason })

/** One line of `ss -H -tulnp`. */
export interface Listener {
  readonly protocol: "tcp" | "udp"
  /** The local address as ss prints it, without the port: "0.0.0.0", "[::]", "*", "127.0.0.1%lo". */
  readonly address: string
  readonly port: number
  /** The first process ss names; absent when ss could not see it (another namespace, no privilege). */
  readonly process?: string
  readonly pid?: number
  /** The line as ss printed it, for evidence. */
  readonly line: string
}

/** `sshd -T`: every keyword (lowercase) with its values, in order (listenaddress can repeat). */
export type SshdSettings = Readonly<Record<string, ReadonlyArray<string>>>

export interface PathFacts {
  readonly path: string
  readonly type: FileType
  /** Permission bits with setuid, setgid and sticky. */
  readonly mode: number
  readonly uid: number
  readonly gid: number
}

/** One `key = value` of a Samba configuration, with where it was written. */
export interface SmbParameter {
  /** Lowercase, single spaces: "guest ok". */
  readonly key: string
  readonly value: string
  /** "/etc/samba/smb.conf:12" or "registry". */
  readonly where: string
}

export interface SmbSection {
  /** As written, without brackets: "global", "public". */
  readonly name: string
  readonly parameters: ReadonlyArray<SmbParameter>
}

export interface SmbConfig {
  readonly sections: ReadonlyArray<SmbSection>
  /** Parts that could not be read (an include that is missing, the registry without `net`). */
  readonly unread: ReadonlyArray<{ readonly source: string; readonly reason: string }>
}

/** One client of one export line. */
export interface NfsExport {
  readonly path: string
  /** The client as written ("*", "192.168.1.0/24", "host.example"); "" when the line names none (everyone). */
  readonly client: string
  readonly options: ReadonlyArray<string>
  /** "/etc/exports:3". */
  readonly where: string
  readonly line: string
}

export interface Accounts {
  readonly uids: ReadonlySet<number>
  readonly gids: ReadonlySet<number>
}

export interface HostProbeShape {
  readonly listeners: Effect.Effect<Reading<ReadonlyArray<Listener>>>
  /** sshd's effective settings with `configFile` as its configuration. */
  readonly sshd: (configFile: string) => Effect.Effect<Reading<SshdSettings>>
  /** stat (following symbolic links); `undefined` value: nothing there. */
  readonly stat: (path: string) => Effect.Effect<Reading<PathFacts | undefined>>
  /** stat of each entry of `dir` (not following links, not recursive); `undefined` value: no such directory. */
  readonly entries: (dir: string) => Effect.Effect<Reading<ReadonlyArray<PathFacts> | undefined>>
  /** Samba's configuration; `undefined` value: the file does not exist (Samba not configured). */
  readonly smb: (configFile: string) => Effect.Effect<Reading<SmbConfig | undefined>>
  /** The exports in `exportsFile` and `exportsDir/*.exports`; a missing file or directory holds none. */
  readonly nfs: (exportsFile: string, exportsDir: string) => Effect.Effect<Reading<ReadonlyArray<NfsExport>>>
  /** The uids and gids /etc/passwd and /etc/group name. */
  readonly accounts: Effect.Effect<Reading<Accounts>>
}

export class HostProbe extends Context.Service<HostProbe, HostProbeShape>()("sigmavault/adapters/hostprobe/HostProbe") {}
