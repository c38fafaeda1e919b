/**
 * FORGE's WireGuard part: a pure render of a typed spec into a wg(8) config
 * (or a wg-quick one, when it has an address, DNS or MTU) **without** its
 * private key — the caller adds `PrivateKey = …` after `[Interface]` itself,
 * so keys never travel between agents — and the checks that refuse, field by
 * field, what `wg` would refuse or what could smuggle a line into the file.
 * The validation of finished text (`validate`, kind "wireguard") runs the
 * real tools through the WireGuard adapter.
 */
import { Effect } from "effect"
import { WireGuard } from "../../adapters/wireguard/WireGuard.ts"
import { ConfigRejected, InvalidSpec, type Rendered, type Validated, ValidatorUnavailable } from "./messages.ts"

export interface WireguardPeerSpec {
  /** Written as a comment above the peer; a Name (letters, digits, _ . -). */
  readonly name?: string | undefined
  readonly publicKey: string
  readonly allowedIps: ReadonlyArray<string>
  /** host:port, [IPv6]:port or an IPv4 address:port. */
  readonly endpoint?: string | undefined
  /** Seconds, 0 (off) to 65535. */
  readonly persistentKeepalive?: number | undefined
}

export interface WireguardSpec {
  /** The interface the config is for: names the target file. */
  readonly interface: string
  readonly listenPort?: number | undefined
  /** wg-quick keys: a client config has them, a config for `wg syncconf` does not. */
  readonly address?: ReadonlyArray<string> | undefined
  readonly dns?: ReadonlyArray<string> | undefined
  readonly mtu?: number | undefined
  readonly peers: ReadonlyArray<WireguardPeerSpec>
}

/** 32 bytes in standard base64 with its padding, as `wg genkey`/`wg pubkey` print them. */
export const KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const INTERFACE = /^[a-zA-Z0-9_=+.-]{1,15}$/
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** A DNS host name, as an endpoint may name the server. */
export const isHostName = (text: string): boolean => HOSTNAME.test(text)

export const isIPv4 = (text: string): boolean => {
  const parts = text.split(".")
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)
}

export const isIPv6 = (text: string): boolean => {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return false
  const halves = text.split("::")
  if (halves.length > 2) return false
  const groupsOf = (half: string) => (half === "" ? [] : half.split(":"))
  const groups = halves.flatMap(groupsOf)
  let count = 0
  for (const [index, group] of groups.entries()) {
    if (index === groups.length - 1 && group.includes(".")) {
      if (!isIPv4(group)) return false
      count += 2
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) count += 1
    else return false
  }
  return halves.length === 2 ? count <= 7 : count === 8
}

/** An address with an optional prefix: 10.8.0.2/32, fd00::/64, 10.8.0.2. */
export const isCidr = (text: string): boolean => {
  const [address, prefix, ...rest] = text.split("/")
  if (rest.length > 0 || address === undefined) return false
  const v4 = isIPv4(address)
  if (!v4 && !isIPv6(address)) return false
  return prefix === undefined || (/^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128))
}

const isPort = (text: string) => /^(0|[1-9][0-9]{0,4})$/.test(text) && Number(text) <= 65_535

export const isEndpoint = (text: string): boolean => {
  const bracketed = /^\[([^\]]+)\]:([0-9]+)$/.exec(text)
  if (bracketed !== null) return isIPv6(bracketed[1]!) && isPort(bracketed[2]!) && bracketed[2] !== "0"
  const at = text.lastIndexOf(":")
  if (at <= 0) return false
  const host = text.slice(0, at)
  const port = text.slice(at + 1)
  return (isIPv4(host) || HOSTNAME.test(host)) && isPort(port) && port !== "0"
}

const invalid = (field: string, reason: string) => new InvalidSpec({ kind: "wireguard", field, reason })

const wholeIn = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max

/** Every field checked, the first problem refused with its field's path. */
export const checkWireguardSpec = (spec: WireguardSpec): Effect.Effect<WireguardSpec, InvalidSpec> =>
  Effect.suspend(() => {
    if (!INTERFACE.test(spec.interface) || spec.interface === "." || spec.interface === "..") {
      return Effect.fail(invalid("interface", "up to 15 letters, digits or _=+.- (an interface name)"))
    }
    if (spec.listenPort !== undefined && !wholeIn(spec.listenPort, 0, 65_535)) return Effect.fail(invalid("listenPort", "a port from 0 to 65535"))
    if (spec.mtu !== undefined && !wholeIn(spec.mtu, 576, 65_535)) return Effect.fail(invalid("mtu", "a whole number from 576 to 65535"))
    for (const [i, address] of (spec.address ?? []).entries()) {
      if (!isCidr(address)) return Effect.fail(invalid(`address[${i}]`, "an IPv4 or IPv6 address with an optional /prefix"))
    }
    for (const [i, dns] of (spec.dns ?? []).entries()) {
      if (!isIPv4(dns) && !isIPv6(dns) && !HOSTNAME.test(dns)) return Effect.fail(invalid(`dns[${i}]`, "an IP address or a search domain"))
    }
    for (const [p, peer] of spec.peers.entries()) {
      const at = `peers[${p}]`
      if (peer.name !== undefined && !NAME.test(peer.name)) return Effect.fail(invalid(`${at}.name`, "up to 64 letters, digits, '_', '.' or '-'"))
      if (!KEY.test(peer.publicKey)) return Effect.fail(invalid(`${at}.publicKey`, "a WireGuard key: 44 characters of base64 (32 bytes)"))
      for (const [i, range] of peer.allowedIps.entries()) {
        if (!isCidr(range)) return Effect.fail(invalid(`${at}.allowedIps[${i}]`, "an IPv4 or IPv6 address with an optional /prefix"))
      }
      if (peer.endpoint !== undefined && !isEndpoint(peer.endpoint)) {
        return Effect.fail(invalid(`${at}.endpoint`, "host:port, IPv4:port or [IPv6]:port with a port from 1 to 65535"))
      }
      if (peer.persistentKeepalive !== undefined && !wholeIn(peer.persistentKeepalive, 0, 65_535)) {
        return Effect.fail(invalid(`${at}.persistentKeepalive`, "seconds from 0 (off) to 65535"))
      }
    }
    return Effect.succeed(spec)
  })

/** The config text, without a private key: `[Interface]` is its first line, for the caller to add `PrivateKey = …` after it. */
export const renderWireguardText = (spec: WireguardSpec): string => {
  const lines = ["[Interface]"]
  if (spec.listenPort !== undefined) lines.push(`ListenPort = ${spec.listenPort}`)
  if (spec.address !== undefined && spec.address.length > 0) lines.push(`Address = ${spec.address.join(", ")}`)
  if (spec.dns !== undefined && spec.dns.length > 0) lines.push(`DNS = ${spec.dns.join(", ")}`)
  if (spec.mtu !== undefined) lines.push(`MTU = ${spec.mtu}`)
  for (const peer of spec.peers) {
    lines.push("", "[Peer]")
    if (peer.name !== undefined) lines.push(`# ${peer.name}`)
    lines.push(`PublicKey = ${peer.publicKey}`)
    if (peer.allowedIps.length > 0) lines.push(`AllowedIPs = ${peer.allowedIps.join(", ")}`)
    if (peer.endpoint !== undefined) lines.push(`Endpoint = ${peer.endpoint}`)
    if (peer.persistentKeepalive !== undefined && peer.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`)
  }
  return `${lines.join("\n")}\n`
}

/** FORGE's `render-wireguard`: checked, then rendered; the target is where wg-quick looks for it. */
export const renderWireguard = (spec: WireguardSpec): Effect.Effect<Rendered, InvalidSpec> =>
  Effect.map(checkWireguardSpec(spec), (checked) => ({
    kind: "wireguard" as const,
    files: [{ target: `/etc/wireguard/${checked.interface}.conf`, text: renderWireguardText(checked) }]
  }))

/** FORGE's `validate` for kind "wireguard": `wg-quick strip`, then `wg setconf` on a scratch interface where one can be made. */
export const validateWireguard = (text: string): Effect.Effect<Validated, ConfigRejected | ValidatorUnavailable, WireGuard> =>
  Effect.gen(function*() {
    const wg = yield* WireGuard
    const checked = yield* wg.check(text).pipe(
      Effect.catchTags({
        WireguardRejected: (e) =>
          Effect.fail(new ConfigRejected({ kind: "wireguard", tool: e.tool, reason: e.reason, ...(e.line === undefined ? {} : { line: e.line }) })),
        ToolMissing: (e) => Effect.fail(new ValidatorUnavailable({ kind: "wireguard", tool: e.tool, reason: e.message }))
      }),
      Effect.catch((e) =>
        e._tag === "ConfigRejected" || e._tag === "ValidatorUnavailable"
          ? Effect.fail(e)
          : Effect.fail(new ValidatorUnavailable({ kind: "wireguard", tool: "wg", reason: e.message })))
    )
    return { kind: "wireguard" as const, tool: checked.tools.join(", "), warnings: [...checked.warnings] }
  })
