/**
 * How the daemon's helpers (`__open-as`, `__migrate-as`) become their caller:
 * the arguments `UID GID GROUPS UMASK` (GROUPS comma-separated, or "-" for
 * none), parsed strictly, then groups, gid and uid taken in that order (once
 * the uid is not root, the others cannot be changed) and checked to have
 * taken, and the caller's umask set.
 */
export interface HelperIdentity {
  readonly uid: number
  readonly gid: number
  readonly groups: ReadonlyArray<number>
  readonly umask: number
}

/** The identity the arguments name, or undefined when they are malformed. */
export const parseIdentity = (args: ReadonlyArray<string>): HelperIdentity | undefined => {
  const [uid, gid, groups, umask] = args
  const id = (text: string | undefined) => (text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined)
  const ids = groups === "-" ? [] : (groups ?? "").split(",").map(id)
  const mask = umask !== undefined && /^[0-7]{1,4}$/.test(umask) ? parseInt(umask, 8) : undefined
  if (id(uid) === undefined || id(gid) === undefined || ids.some((g) => g === undefined) || mask === undefined || mask > 0o777) return undefined
  return { uid: id(uid)!, gid: id(gid)!, groups: ids as Array<number>, umask: mask }
}

/** Takes on the identity; undefined when it took, else why not (the helper then answers EPERM and stops). */
export const takeIdentity = (identity: HelperIdentity): string | undefined => {
  try {
    process.setgroups!([...identity.groups])
    process.setgid!(identity.gid)
    process.setuid!(identity.uid)
  } catch (error) {
    return `cannot take on uid ${identity.uid}: ${(error as Error).message}`
  }
  if (process.getuid!() !== identity.uid || process.geteuid!() !== identity.uid || process.getegid!() !== identity.gid) {
    return "the identity did not take"
  }
  process.umask(identity.umask)
  return undefined
}
