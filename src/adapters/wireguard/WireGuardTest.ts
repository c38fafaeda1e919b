/**
 * WireGuard for tests: interfaces in memory. `syncconf` reads the config as
 * `wg` would for what the tests look at (the interface's key, port, peers and
 * their allowed IPs), keeps the last text applied per interface (tests check
 * it held the private key, and that nothing else did), and fails
 * InterfaceDown for an interface that is not there.
 */
import { x25519 } from "@noble/curves/ed25519.js"
import { Effect, Layer } from "effect"
import { checkInterfaceName, InterfaceDown, type LiveInterface, type LivePeer, WireGuard, WireguardRejected } from "./WireGuard.ts"

export interface WireGuardTest {
  readonly service: WireGuard["Service"]
  readonly layer: Layer.Layer<WireGuard>
  readonly interfaces: Map<string, LiveInterface>
  /** Every config handed to syncconf, in order. */
  readonly synced: Array<{ readonly iface: string; readonly config: string }>
  /** Every config handed to check or strip. */
  readonly checked: Array<string>
}

const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))

/** The sections of a wg config, as key/value lists; a line that is neither is refused like wg does. */
const sections = (config: string) => {
  const out: Array<{ name: string; entries: Array<[string, string]> }> = []
  for (const raw of config.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim()
    if (line === "") continue
    const header = /^\[(\w+)\]$/.exec(line)
    if (header !== null) {
      out.push({ name: header[1]!, entries: [] })
      continue
    }
    const entry = /^(\w+)\s*=\s*(.*)$/.exec(line)
    if (entry === null || out.length === 0) return undefined
    out[out.length - 1]!.entries.push([entry[1]!, entry[2]!])
  }
  return out
}

export const make = (initial: Readonly<Record<string, LiveInterface>> = {}): WireGuardTest => {
  const interfaces = new Map(Object.entries(initial))
  const synced: Array<{ iface: string; config: string }> = []
  const checked: Array<string> = []
  const service = WireGuard.of({
    show: (iface) =>
      Effect.flatMap(checkInterfaceName(iface), () => {
        const found = interfaces.get(iface)
        return found === undefined ? Effect.fail(new InterfaceDown({ interface: iface, reason: "Unable to access interface: No such device" })) : Effect.succeed(found)
      }),
    syncconf: (iface, config) =>
      Effect.flatMap(checkInterfaceName(iface), () =>
        Effect.suspend((): Effect.Effect<void, InterfaceDown | WireguardRejected> => {
          const before = interfaces.get(iface)
          if (before === undefined) return Effect.fail(new InterfaceDown({ interface: iface, reason: "No such device" }))
          const parsed = sections(config)
          if (parsed === undefined) return Effect.fail(new WireguardRejected({ tool: "wg syncconf", reason: "Configuration parsing error" }))
          synced.push({ iface, config })
          let publicKey = before.publicKey
          let listenPort = before.listenPort
          const peers: Array<LivePeer> = []
          for (const section of parsed) {
            const get = (key: string) => section.entries.find(([k]) => k === key)?.[1]
            if (section.name === "Interface") {
              const secret = get("PrivateKey")
              if (secret !== undefined) publicKey = toBase64(x25519.getPublicKey(fromBase64(secret)))
              const port = get("ListenPort")
              if (port !== undefined) listenPort = Number(port)
            } else {
              const key = get("PublicKey")!
              const old = before.peers.find((p) => p.publicKey === key)
              peers.push({
                publicKey: key,
                hasPresharedKey: false,
                endpoint: get("Endpoint") ?? old?.endpoint ?? null,
                allowedIps: (get("AllowedIPs") ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""),
                latestHandshake: old?.latestHandshake ?? null,
                transferRx: old?.transferRx ?? 0,
                transferTx: old?.transferTx ?? 0,
                persistentKeepalive: get("PersistentKeepalive") === undefined ? null : Number(get("PersistentKeepalive"))
              })
            }
          }
          interfaces.set(iface, { interface: iface, publicKey, listenPort, peers })
          return Effect.void
        })),
    strip: (config) => Effect.sync(() => (checked.push(config), config.split("\n").filter((l) => !/^\s*(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)\s*=/i.test(l)).join("\n"))),
    qr: (text) => Effect.succeed(`[test QR code of ${text.length} characters]\n`),
    check: (config) =>
      Effect.suspend(() => {
        checked.push(config)
        return sections(config) === undefined
          ? Effect.fail(new WireguardRejected({ tool: "wg setconf", reason: "Configuration parsing error" }))
          : Effect.succeed({ tools: ["wg-quick strip", "wg setconf"], warnings: [] })
      })
  })
  return { service, layer: Layer.succeed(WireGuard, service), interfaces, synced, checked }
}

/** An interface as `wg` shows it right after it was created: no key, no peers. */
export const freshInterface = (iface: string): LiveInterface => ({ interface: iface, publicKey: null, listenPort: null, peers: [] })
