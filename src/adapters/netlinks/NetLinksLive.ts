/**
 * The real /sys/class/net: one directory listing and ~17 small reads per link.
 * The reads are synchronous: sysfs answers from kernel memory in microseconds,
 * and a thread-pool round trip per file would cost more than the read.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Layer } from "effect"
import { type LinkReading, NetLinks, NetLinksError } from "./NetLinks.ts"
import { parseLink } from "./parse.ts"

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

const readLink = (classNet: string, name: string): LinkReading | undefined => {
  const dir = join(classNet, name)
  // Not a link (bonding_masters is a file there) or deleted since the listing.
  if (readOptional(join(dir, "operstate")) === undefined) return undefined
  let target = ""
  try {
    target = readlinkSync(dir)
  } catch {
    // A real directory rather than the usual symlink: no device path to judge by.
  }
  return parseLink(name, (file) => readOptional(join(dir, file)), target.includes("/devices/virtual/"))
}

/**
 * Reads `<sysfsRoot>/class/net`. The root is "/sys" on the host; a test reads
 * another network namespace's links through a process inside it, at
 * `/proc/PID/root/sys` (`ip netns exec` mounts that namespace's sysfs there).
 */
export const make = (sysfsRoot: string): NetLinks["Service"] => {
  const classNet = join(sysfsRoot, "class", "net")
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
      const links = names.sort().flatMap((name) => readLink(classNet, name) ?? [])
      return { monotonicMs: Number(nanos / 1_000_000n), links }
    })
  })
}

export const layerAt = (sysfsRoot: string): Layer.Layer<NetLinks> => Layer.succeed(NetLinks, make(sysfsRoot))

export const layer: Layer.Layer<NetLinks> = layerAt("/sys")
