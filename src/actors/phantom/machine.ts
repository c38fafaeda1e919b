/**
 * PHANTOM: WireGuard peers. Its database — the server's key pair and every
 * peer's (name, keys, tunnel address, extra routes, enabled) — is one
 * StateStore document (0600 in the state directory). A config for the
 * interface is rendered by FORGE from public data only; PHANTOM adds the
 * private key itself, right before `wg syncconf` (server) or in the reply to
 * `peer-config` (a peer's own config). Nothing else it says — replies, plans,
 * logs, events, errors — ever holds a private key.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { WireGuard, type LiveInterface } from "../../adapters/wireguard/WireGuard.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Forge } from "../forge/messages.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { PhantomConfig } from "./config.ts"
import { generateKeyPair } from "./keys.ts"
import { BadWireguardSetting, KeyStoreFailed, NoEndpoint, NoSuchPeer, PeerExists, type PeerInfo, Phantom, SubnetFull } from "./messages.ts"
import { nextFree, parseSubnet, serverAddress, type Subnet } from "./subnet.ts"

export const phantomCapabilities: ReadonlyArray<Capability> = [
  {
    name: "peer-management",
    available: true,
    detail: "X25519 keys made in process, the next free tunnel address, enable/disable, applied with `wg syncconf` (plan, then confirm)"
  },
  { name: "client-config", available: true, detail: "a peer's client config, and its QR code through qrencode" },
  { name: "status", available: true, detail: "reads `wg show INTERFACE dump` (its private key dropped in the adapter): endpoint, last handshake and transfer per peer" }
]

const STATE_KEY = "phantom"

const KeyPairSchema = Schema.Struct({ privateKey: Schema.String, publicKey: Schema.String })
const StoredPeer = Schema.Struct({
  name: Schema.String,
  ...KeyPairSchema.fields,
  /** Its tunnel address, without a prefix: 10.8.0.2. */
  address: Schema.String,
  /** Ranges behind it, besides its address. */
  allowedIps: Schema.Array(Schema.String),
  enabled: Schema.Boolean,
  createdAt: Schema.String
})
type StoredPeer = typeof StoredPeer.Type
const Stored = Schema.Struct({ server: Schema.optionalKey(KeyPairSchema), peers: Schema.Array(StoredPeer) })
type Stored = typeof Stored.Type
const decodeStored = Schema.decodeUnknownEffect(Stored)

const PLACEHOLDER = "(hidden)"

/** Adds the private key after `[Interface]`: FORGE renders without one. */
export const withPrivateKey = (text: string, privateKey: string): string =>
  text.replace(/^\[Interface\]\n/, `[Interface]\nPrivateKey = ${privateKey}\n`)

const routesOf = (peer: { readonly address: string; readonly allowedIps: ReadonlyArray<string> }) => [`${peer.address}/32`, ...peer.allowedIps]

const infoOf = (peer: StoredPeer): PeerInfo => ({
  name: peer.name,
  publicKey: peer.publicKey,
  address: `${peer.address}/32`,
  allowedIps: routesOf(peer),
  enabled: peer.enabled
})

export const phantomMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const wg = yield* WireGuard
  const store = yield* StateStore
  const config = yield* PhantomConfig

  const keyStore = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.mapError(effect, (e) => new KeyStoreFailed({ reason: e.message }))

  const load: Effect.Effect<Stored, KeyStoreFailed> = keyStore(Effect.gen(function*() {
    const found = yield* store.read(STATE_KEY)
    if (Option.isNone(found)) return { peers: [] }
    // A schema error names paths, never values: a key cannot leak through it.
    return yield* Effect.mapError(decodeStored(found.value), (e) => ({ message: `${STATE_KEY}.json has an unexpected shape: ${e.message.split("\n")[0]}` }))
  }))
  const save = (stored: Stored) => keyStore(store.write(STATE_KEY, stored))

  const subnet: Effect.Effect<Subnet, BadWireguardSetting> = Effect.suspend(() => {
    const parsed = parseSubnet(config.subnet)
    return typeof parsed === "string" ? Effect.fail(new BadWireguardSetting({ setting: "wireguard_subnet", reason: parsed })) : Effect.succeed(parsed)
  })

  const findPeer = (stored: Stored, name: string) => {
    const peer = stored.peers.find((p) => p.name === name)
    return peer === undefined ? Effect.fail(new NoSuchPeer({ name })) : Effect.succeed(peer)
  }

  /** The running interface, or why it cannot be read. */
  const live: Effect.Effect<LiveInterface | string> = wg.show(config.interface).pipe(
    Effect.catch((e) => Effect.succeed(e.message))
  )

  /** The server's interface config from FORGE, without its private key: the enabled peers. */
  const renderServer = (peers: ReadonlyArray<StoredPeer>) =>
    env.system.call(Forge, {
      type: "render-wireguard",
      interface: config.interface,
      listenPort: config.listenPort,
      peers: peers.filter((p) => p.enabled).map((p) => ({ name: p.name, publicKey: p.publicKey, allowedIps: routesOf(p) }))
    }).pipe(failedDependency("FORGE"), Effect.map((rendered) => rendered.files[0]!.text))

  const ensureServer = (stored: Stored) =>
    stored.server !== undefined
      ? Effect.succeed(stored)
      : Effect.gen(function*() {
        const next: Stored = { ...stored, server: generateKeyPair() }
        yield* save(next)
        yield* Effect.logInfo(`made the WireGuard server's key pair for ${config.interface}`)
        return next
      })

  const setEnabled = (name: string, enabled: boolean, confirm: boolean) =>
    Effect.gen(function*() {
      const stored = yield* load
      const peer = yield* findPeer(stored, name)
      const verb = enabled ? "enable" : "disable"
      const already = peer.enabled === enabled
      const changes = already ? [] : [`${verb} peer ${name} (${peer.publicKey}) in PHANTOM's database`]
      if (confirm && !already) {
        yield* save({ ...stored, peers: stored.peers.map((p) => (p.name === name ? { ...p, enabled } : p)) })
        yield* Effect.logInfo(`${verb}d WireGuard peer ${name}`)
      }
      return {
        executed: confirm && !already,
        changes,
        peer: { ...infoOf(peer), enabled },
        next: already ? `peer ${name} is already ${verb}d` : confirm ? "apply with confirm to update the interface" : `${verb}-peer with confirm: true`
      }
    })

  return yield* serviceMachine(Phantom, {
    handlers: {
      server: () =>
        Effect.gen(function*() {
          const stored = yield* load
          const range = yield* subnet
          const running = yield* live
          const up = typeof running !== "string"
          return {
            interface: config.interface,
            publicKey: stored.server?.publicKey ?? null,
            listenPort: config.listenPort,
            address: `${serverAddress(range)}/${range.prefix}`,
            subnet: config.subnet,
            endpoint: config.endpointHost === undefined ? null : `${config.endpointHost}:${config.listenPort}`,
            up,
            keyApplied: up && stored.server !== undefined && running.publicKey === stored.server.publicKey,
            ...(up ? {} : { reason: running })
          }
        }),
      peers: () =>
        Effect.gen(function*() {
          const stored = yield* load
          const running = yield* live
          const up = typeof running !== "string"
          const livePeers = up ? running.peers : []
          const known = new Set(stored.peers.map((p) => p.publicKey))
          return {
            interface: config.interface,
            up,
            ...(up ? {} : { reason: running }),
            peers: stored.peers.map((peer) => {
              const seen = livePeers.find((l) => l.publicKey === peer.publicKey)
              return {
                ...infoOf(peer),
                applied: seen !== undefined,
                endpoint: seen?.endpoint ?? null,
                latestHandshake: seen?.latestHandshake == null ? null : new Date(seen.latestHandshake * 1000).toISOString(),
                transferRx: seen?.transferRx ?? 0,
                transferTx: seen?.transferTx ?? 0
              }
            }),
            unknown: livePeers.filter((l) => !known.has(l.publicKey)).map((l) => l.publicKey)
          }
        }),
      "add-peer": ({ allowedIps = [], confirm, name }) =>
        Effect.gen(function*() {
          const stored = yield* load
          if (stored.peers.some((p) => p.name === name)) return yield* new PeerExists({ name })
          const range = yield* subnet
          const address = nextFree(range, new Set(stored.peers.map((p) => p.address)))
          if (address === undefined) return yield* new SubnetFull({ subnet: config.subnet, peers: stored.peers.length })
          const keys = confirm === true ? generateKeyPair() : undefined
          const peer: StoredPeer = {
            name,
            privateKey: keys?.privateKey ?? "",
            publicKey: keys?.publicKey ?? "",
            address,
            allowedIps,
            enabled: true,
            createdAt: new Date(yield* Clock.currentTimeMillis).toISOString()
          }
          // FORGE checks the server config with the new peer (a stand-in key while planning): a bad range is refused now, not at apply.
          yield* renderServer([...stored.peers, { ...peer, publicKey: keys?.publicKey ?? generateKeyPair().publicKey }])
          const changes = [
            `make an X25519 key pair for ${name}`,
            `give ${name} the tunnel address ${address}/32` + (allowedIps.length > 0 ? ` and route ${allowedIps.join(", ")} to it` : ""),
            `store both keys in PHANTOM's database (the state directory, mode 0600)`
          ]
          if (keys !== undefined) {
            const withServer = yield* ensureServer(stored)
            yield* save({ ...withServer, peers: [...withServer.peers, peer] })
            yield* Effect.logInfo(`added WireGuard peer ${name} at ${address} (${peer.publicKey})`)
          }
          return {
            executed: keys !== undefined,
            changes,
            peer: { ...infoOf(peer), publicKey: keys?.publicKey ?? null },
            next: keys === undefined ? "add-peer with confirm: true" : "apply with confirm to add it to the interface; peer-config gives its client config"
          }
        }),
      "remove-peer": ({ confirm, name }) =>
        Effect.gen(function*() {
          const stored = yield* load
          const peer = yield* findPeer(stored, name)
          if (confirm === true) {
            yield* save({ ...stored, peers: stored.peers.filter((p) => p.name !== name) })
            yield* Effect.logInfo(`removed WireGuard peer ${name} (${peer.publicKey})`)
          }
          return {
            executed: confirm === true,
            changes: [`remove peer ${name} (${peer.publicKey}, ${peer.address}) and its keys from PHANTOM's database`],
            peer: infoOf(peer),
            next: confirm === true ? "apply with confirm to remove it from the interface" : "remove-peer with confirm: true"
          }
        }),
      "enable-peer": ({ confirm, name }) => setEnabled(name, true, confirm === true),
      "disable-peer": ({ confirm, name }) => setEnabled(name, false, confirm === true),
      "peer-config": ({ name, qr }) =>
        Effect.gen(function*() {
          const stored = yield* load
          const peer = yield* findPeer(stored, name)
          if (config.endpointHost === undefined) return yield* new NoEndpoint()
          // A stored peer implies the server's keys exist: add-peer made them.
          const server = stored.server!
          const range = yield* subnet
          const rendered = yield* env.system.call(Forge, {
            type: "render-wireguard",
            interface: config.interface,
            address: [`${peer.address}/${range.prefix}`],
            ...(config.dns.length > 0 ? { dns: [...config.dns] } : {}),
            peers: [{
              publicKey: server.publicKey,
              allowedIps: [...(config.clientAllowedIps ?? [config.subnet])],
              endpoint: `${config.endpointHost.includes(":") ? `[${config.endpointHost}]` : config.endpointHost}:${config.listenPort}`,
              ...(config.persistentKeepalive > 0 ? { persistentKeepalive: config.persistentKeepalive } : {})
            }]
          }).pipe(failedDependency("FORGE"))
          const text = withPrivateKey(rendered.files[0]!.text, peer.privateKey)
          const code = qr === true ? yield* wg.qr(text) : undefined
          return { name, config: text, ...(code === undefined ? {} : { qr: code }) }
        }),
      apply: ({ confirm }) =>
        Effect.gen(function*() {
          let stored = yield* load
          const text = yield* renderServer(stored.peers)
          const running = yield* live
          const wanted = stored.peers.filter((p) => p.enabled).map((p) => p.publicKey)
          const have = typeof running === "string" ? [] : running.peers.map((p) => p.publicKey)
          if (confirm === true) {
            stored = yield* ensureServer(stored)
            yield* wg.syncconf(config.interface, withPrivateKey(text, stored.server!.privateKey))
            yield* Effect.logInfo(`applied ${wanted.length} WireGuard peers to ${config.interface}`)
          }
          return {
            executed: confirm === true,
            interface: config.interface,
            command: ["wg", "syncconf", config.interface, "(a temporary 0600 file, removed afterwards)"],
            config: withPrivateKey(text, PLACEHOLDER),
            peers: wanted.length,
            adding: wanted.filter((k) => !have.includes(k)),
            removing: have.filter((k) => !wanted.includes(k)),
            ...(typeof running === "string" ? { live: running } : {})
          }
        })
    }
  })
})
