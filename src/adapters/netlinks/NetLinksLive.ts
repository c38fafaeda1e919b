/**
 * The real /sys/class/net: one listing, up to nine small reads per link for
 * its state (seven for a link that is set down: its carrier and speed would
 * only fail with EINVAL), and one read of /proc/net/dev for every link's
 * counters. The `statistics/` files would be eight more reads per link, each
 * of which makes the driver total its per-CPU counters: 2.5 times the cost;
 * they are read only for a link /proc/net/dev does not list. The reads are
 * synchronous: the kernel answers from memory in microseconds, and a
 * thread-pool round trip per file would cost more than the read.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Layer } from "effect"
import { type LinkReading, NetLinks, NetLinksError } from "./NetLinks.ts"
import { parseAdminUp, parseInteger, parseLink, parseNetDev } from "./parse.ts"

const codeOf = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause ? String((cause as { code: unknown }).code) : undefined

/** A file's text, or undefined when the kernel refuses it (EINVAL: carrier/speed of a down link) or it is gone. */
const readOptional = (path: string): string | undefined => {
  try {
    return readFileSync(path, "latin1")
  } catch {
    return undefined
  }
}

/** A sysfs attribute is at most a page, and one read returns all of it: open, read, close — no stat, no read to EOF. */
const attribute = Buffer.alloc(4096)
const readAttribute = (path: string): string | undefined => {
  let fd: number | undefined
  try {
    fd = openSync(path, "r")
    return attribute.toString("latin1", 0, readSync(fd, attribute, 0, attribute.length, 0))
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Where one network namespace's links are seen. */
export interface View {
  /** The sysfs mounted for that namespace: "/sys" for the daemon's own. */
  readonly sysfs: string
  /** Its /proc/net/dev: "/proc/net/dev" (the reading process's namespace), or /proc/PID/net/dev for PID's. */
  readonly netDev: string
}

/** This process's own namespace. */
export const host: View = { sysfs: "/sys", netDev: "/proc/net/dev" }

/**
 * The namespace of process `pid`, started with `ip netns exec`, which mounts
 * that namespace's sysfs in a mount namespace of its own: /proc/PID/root
 * reaches it. The tests read their private namespaces this way.
 */
export const namespaceOf = (pid: number): View => ({ sysfs: `/proc/${pid}/root/sys`, netDev: `/proc/${pid}/net/dev` })

export const make = (view: View): NetLinks["Service"] => {
  const classNet = join(view.sysfs, "class", "net")
  /** Whether a link is virtual never changes while it exists: its device path is read once per name and ifindex. */
  const virtualByLink = new Map<string, boolean>()
  const isVirtual = (name: string, ifindex: number | null) => {
    const key = `${name}/${ifindex}`
    let virtual = virtualByLink.get(key)
    if (virtual === undefined) {
      try {
        virtual = readlinkSync(join(classNet, name)).includes("/devices/virtual/")
      } catch {
        // A real directory rather than the usual symlink: no device path to judge by.
        virtual = false
      }
      virtualByLink.set(key, virtual)
    }
    return virtual
  }
  const readLink = (name: string, counters: ReturnType<typeof parseNetDev>): LinkReading | undefined => {
    const dir = join(classNet, name)
    const cache = new Map<string, string | undefined>()
    const read = (file: string) => {
      if (!cache.has(file)) cache.set(file, readAttribute(join(dir, file)))
      return cache.get(file)
    }
    // Not a link (bonding_masters is a file there) or deleted since the listing.
    if (read("operstate") === undefined) return undefined
    // Carrier and speed of a link that is administratively down fail with EINVAL: unknown, without asking.
    if (parseAdminUp(read("flags")) === false) {
      cache.set("carrier", undefined)
      cache.set("speed", undefined)
    }
    const virtual = isVirtual(name, parseInteger(read("ifindex")))
    const known = counters.get(name)
    return known === undefined ? parseLink(name, read, virtual) : parseLink(name, read, virtual, known)
  }
  return NetLinks.of({
    sample: Effect.gen(function*() {
      const nanos = yield* Clock.monotonicTimeNanos
      const names = yield* Effect.try({
        try: () => readdirSync(classNet),
        catch: (cause) =>
          new NetLinksError({
            source: classNet,
            reason: `cannot list: ${codeOf(cause) ?? (cause instanceof Error ? cause.message : String(cause))}`
          })
      })
      const netDev = readOptional(view.netDev)
      const counters = netDev === undefined ? new Map() : parseNetDev(netDev)
      const links = names.sort().flatMap((name) => readLink(name, counters) ?? [])
      // Forget links that are gone, so the cache stays as small as the list.
      if (virtualByLink.size > links.length * 2) {
        const present = new Set(links.map((link) => `${link.name}/${link.ifindex}`))
        for (const key of virtualByLink.keys()) if (!present.has(key)) virtualByLink.delete(key)
      }
      return { monotonicMs: Number(nanos / 1_000_000n), links }
    })
  })
}

export const layerAt = (view: View): Layer.Layer<NetLinks> => Layer.succeed(NetLinks, make(view))

export const layer: Layer.Layer<NetLinks> = layerAt(host)
