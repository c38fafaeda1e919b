/**
 * Pure, total parsers for the small files under /sys/class/net/IF. Each takes
 * the file's text, or `undefined` when it could not be read (EINVAL for
 * `carrier` and `speed` on a down link), and never throws: anything it does not
 * recognise is `null`, "unknown".
 */
import { COUNTER_FILES, type LinkCounters, type LinkReading, type OperState, OPERSTATES } from "./NetLinks.ts"

const UNSIGNED = /^\d+$/
const SIGNED = /^-?\d+$/

/** A cumulative counter (the kernel prints u64 in decimal); beyond 2^53 it loses precision, not meaning. */
export const parseCounter = (text: string | undefined): number | null => {
  const trimmed = text?.trim()
  return trimmed !== undefined && UNSIGNED.test(trimmed) ? Number(trimmed) : null
}

/** A small non-negative integer: mtu, type, ifindex. */
export const parseInteger = (text: string | undefined): number | null => {
  const value = parseCounter(text)
  return value !== null && Number.isSafeInteger(value) ? value : null
}

export const parseOperstate = (text: string | undefined): OperState => {
  const trimmed = text?.trim()
  return OPERSTATES.find((state) => state === trimmed) ?? "unknown"
}

export const parseCarrier = (text: string | undefined): boolean | null => {
  const trimmed = text?.trim()
  return trimmed === "1" ? true : trimmed === "0" ? false : null
}

/**
 * Mbit/s. Drivers that do not know print -1 (SPEED_UNKNOWN), older kernels
 * its unsigned form 4294967295; both, and 0, are unknown.
 */
export const parseSpeed = (text: string | undefined): number | null => {
  const trimmed = text?.trim()
  if (trimmed === undefined || !SIGNED.test(trimmed)) return null
  const value = Number(trimmed)
  return value > 0 && value < 0xffff_ffff ? value : null
}

/** `flags` is hexadecimal, e.g. 0x1003; IFF_UP is bit 0. */
export const parseAdminUp = (text: string | undefined): boolean | null => {
  const trimmed = text?.trim()
  if (trimmed === undefined || !/^0x[0-9a-fA-F]{1,8}$/.test(trimmed)) return null
  return (Number.parseInt(trimmed.slice(2), 16) & 1) === 1
}

/** Hex octets separated by colons; links without an address (tun, wireguard) print nothing, or all zeros on lo. */
export const parseAddress = (text: string | undefined): string | null => {
  const trimmed = text?.trim().toLowerCase()
  return trimmed !== undefined && /^[0-9a-f]{2}(?::[0-9a-f]{2}){1,31}$/.test(trimmed) ? trimmed : null
}

/** The files of one link, by name relative to its directory: `operstate`, `statistics/rx_bytes`, … */
export type LinkFiles = (file: string) => string | undefined

/** The link's counters from its own `statistics/` files. */
export const countersFromFiles = (read: LinkFiles): LinkCounters =>
  Object.fromEntries(
    Object.entries(COUNTER_FILES).map(([key, file]) => [key, parseCounter(read(`statistics/${file}`))])
  ) as unknown as LinkCounters

/**
 * /proc/net/dev: every link's counters in one read. After the two header
 * lines, `NAME: rx bytes packets errs drop fifo frame compressed multicast
 * tx bytes packets errs drop fifo colls carrier compressed`. The kernel prints
 * rx_errors, rx_dropped + rx_missed_errors, tx_errors and tx_dropped there.
 * Lines it cannot read are skipped; a counter that is not a number is null.
 */
export const parseNetDev = (text: string): ReadonlyMap<string, LinkCounters> => {
  const links = new Map<string, LinkCounters>()
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":")
    if (colon < 0) continue
    const name = line.slice(0, colon).trim()
    const fields = line.slice(colon + 1).trim().split(/\s+/)
    if (name === "" || /\s|\|/.test(name) || fields.length < 16) continue
    const at = (index: number) => parseCounter(fields[index])
    links.set(name, {
      rxBytes: at(0),
      rxPackets: at(1),
      rxErrors: at(2),
      rxDropped: at(3),
      txBytes: at(8),
      txPackets: at(9),
      txErrors: at(10),
      txDropped: at(11)
    })
  }
  return links
}

/** `counters`: from /proc/net/dev when it lists the link, else from the link's `statistics/` files. */
export const parseLink = (name: string, read: LinkFiles, virtual: boolean, counters: LinkCounters = countersFromFiles(read)): LinkReading => {
  return {
    name,
    ifindex: parseInteger(read("ifindex")),
    operstate: parseOperstate(read("operstate")),
    adminUp: parseAdminUp(read("flags")),
    carrier: parseCarrier(read("carrier")),
    speedMbps: parseSpeed(read("speed")),
    mtu: parseInteger(read("mtu")),
    address: parseAddress(read("address")),
    type: parseInteger(read("type")),
    virtual,
    carrierChanges: parseCounter(read("carrier_changes")),
    counters
  }
}
