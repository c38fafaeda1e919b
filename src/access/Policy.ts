/**
 * Who may do what. A caller's class comes from who it is: root (uid 0), the
 * daemon itself and the user the daemon runs as are admin; anyone else gets the highest class of the
 * roles whose groups it belongs to (its primary or a supplementary group),
 * or none. Every message and op declares the class it needs (read <
 * operate < admin); `runtime` is never granted to a caller.
 *
 * The roles come from the configuration (`role_read`, `role_operate`,
 * `role_admin`, docs/security.md); by default only the socket's group reads.
 */
import { Context, Schema } from "effect"
import type { Caller } from "../runtime/Caller.ts"
import { AccessClass, AccessDenied } from "../runtime/Errors.ts"
import type { Access } from "../runtime/Status.ts"

export const Group = Schema.Struct({ name: Schema.String, gid: Schema.Int })
export type Group = typeof Group.Type

export interface Roles {
  readonly read: ReadonlyArray<Group>
  readonly operate: ReadonlyArray<Group>
  readonly admin: ReadonlyArray<Group>
}

/** A caller's class and why it has it, as AEGIS tells it. */
export const Standing = Schema.Struct({
  class: AccessClass,
  /** "root", "member of group sigmavault (gid 998)", "in no role's group" */
  because: Schema.String
})
export type Standing = typeof Standing.Type

/** The policy as AEGIS shows it: who is admin by nature, and each role's groups. */
export const PolicyView = Schema.Struct({
  /** Always admin: root and the daemon itself. */
  admin: Schema.Array(Schema.String),
  roles: Schema.Array(Schema.Struct({ class: Schema.Literals(["read", "operate", "admin"]), groups: Schema.Array(Group) })),
  /** A caller in none of these groups may do nothing. */
  otherwise: Schema.Literal("none")
})
export type PolicyView = typeof PolicyView.Type

const RANK: Readonly<Record<AccessClass | Access, number>> = { none: 0, read: 1, operate: 2, admin: 3, runtime: 4 }

/** Whether a caller of class `has` may send what needs `needs`. */
export const grants = (has: AccessClass, needs: Access): boolean => needs !== "runtime" && RANK[has] >= RANK[needs]

export interface Policy {
  readonly standing: (caller: Caller) => Standing
  /** Undefined when `caller` may send `what`, which needs `access`; else the refusal. */
  readonly check: (caller: Caller, what: string, access: Access) => AccessDenied | undefined
  readonly view: PolicyView
}

/** The daemon's policy, for AEGIS to explain. */
export class AccessPolicy extends Context.Service<AccessPolicy, Policy>()("sigmavault/access/AccessPolicy") {}

/**
 * `owner`: the uid the daemon runs as, when it is not root (a daemon started
 * by hand): that user can already read and write everything the daemon keeps.
 */
export const makePolicy = (roles: Roles, owner?: number): Policy => {
  // Highest class first, so a member of several roles gets the highest.
  const ordered = (["admin", "operate", "read"] as const).map((klass) => ({
    klass,
    groups: roles[klass],
    gids: new Set(roles[klass].map((group) => group.gid))
  }))
  const standing = (caller: Caller): Standing => {
    if (caller.via === "daemon") return { class: "admin", because: "the daemon itself" }
    if (caller.uid === 0) return { class: "admin", because: "root" }
    if (caller.uid === owner) return { class: "admin", because: `the user the daemon runs as (uid ${owner})` }
    for (const role of ordered) {
      const gid = [caller.gid, ...caller.groups].find((g) => role.gids.has(g))
      if (gid !== undefined) {
        const group = role.groups.find((g) => g.gid === gid)!
        return { class: role.klass, because: `member of group ${group.name} (gid ${gid})` }
      }
    }
    return { class: "none", because: "in no role's group" }
  }
  return {
    standing,
    check: (caller, what, access) => {
      const { class: has } = standing(caller)
      return grants(has, access) ? undefined : new AccessDenied({ caller: { uid: caller.uid, via: caller.via }, what, needed: access, class: has })
    },
    view: {
      admin: ["root (uid 0)", "the daemon itself", ...(owner === undefined || owner === 0 ? [] : [`the user the daemon runs as (uid ${owner})`])],
      roles: ordered.map((role) => ({ class: role.klass, groups: role.groups })).reverse(),
      otherwise: "none"
    }
  }
}
