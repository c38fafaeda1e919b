/**
 * Who sent a message, as every transport establishes it: the control
 * socket's peer (SO_PEERCRED and SO_PEERGROUPS), the D-Bus sender (its
 * connection's credentials from the bus), or the daemon itself. Work the
 * daemon does on someone's behalf later — a schedule firing, a rule's
 * action — carries the identity of whoever set it up, and is checked again
 * when it runs.
 */
import { Schema } from "effect"

const Id = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** How it came: a transport, the daemon itself, or work done later on the caller's behalf (a schedule, an APEX plan, a FLUX rule). */
export const Via = Schema.Literals(["socket", "dbus", "daemon", "schedule", "plan", "rule"])
export type Via = typeof Via.Type

export const Caller = Schema.Struct({
  uid: Id,
  gid: Id,
  /** Supplementary groups, as the kernel or the bus reports them. */
  groups: Schema.Array(Id),
  via: Via,
  /** The process, when the transport knows it. */
  pid: Schema.optionalKey(Id),
  /** The caller's file-creation mask (from /proc/PID/status), for files made on its behalf. */
  umask: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 0o777 }))),
  /** The D-Bus connection it called from (":1.42"). */
  sender: Schema.optionalKey(Schema.String)
})
export type Caller = typeof Caller.Type

/** The daemon itself: the runtime, agents acting on their own account. */
export const DAEMON: Caller = { uid: 0, gid: 0, groups: [], via: "daemon" }

/** "uid 1000 (socket, pid 4242)": who, for messages and the audit ledger. */
export const describeCaller = (caller: Caller): string =>
  caller.via === "daemon"
    ? "the daemon"
    : `uid ${caller.uid} (${caller.via}${caller.pid === undefined ? "" : `, pid ${caller.pid}`})`

/** The caller as the audit ledger records it: enough to say who, nothing that changes per request. */
export const ledgerActor = (caller: Caller): string => caller.via === "daemon" ? "SIGMAVAULT" : `uid:${caller.uid}`
