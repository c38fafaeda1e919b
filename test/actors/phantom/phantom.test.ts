/**
 * PHANTOM under the test adapters (FORGE real, WireGuard in memory): plans
 * change nothing, confirms do; addresses are allocated in order; typed
 * rejections; and, as a property over random sequences of messages, no reply
 * but `peer-config` ever holds a private key, while the config handed to
 * `wg syncconf` holds the server's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import * as fc from "fast-check"
import type { ConfigCheck } from "../../../src/adapters/configcheck/ConfigCheck.ts"
import * as ConfigCheckTest from "../../../src/adapters/configcheck/ConfigCheckTest.ts"
import type { WireGuard } from "../../../src/adapters/wireguard/WireGuard.ts"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import * as WireGuardTest from "../../../src/adapters/wireguard/WireGuardTest.ts"
import { forgeAgent } from "../../../src/actors/forge/index.ts"
import { defaultPhantomConfig, PhantomConfig, type PhantomConfigShape } from "../../../src/actors/phantom/config.ts"
import { phantomAgent } from "../../../src/actors/phantom/index.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { ROOT, tree } from "../../support/agents.ts"

const setup = (config: Partial<PhantomConfigShape> = {}) =>
  Effect.gen(function*() {
    const wg = WireGuardTest.make({ wg0: WireGuardTest.freshInterface("wg0") })
    const store = yield* StateStoreTest.make()
    const layer = Layer.mergeAll(
      wg.layer,
      ConfigCheckTest.make().layer,
      Layer.succeed(StateStore, store),
      Layer.succeed(PhantomConfig, { ...defaultPhantomConfig, endpointHost: "vpn.example.org", ...config })
    )
    const system = yield* ActorSystem.make({ root: tree<ConfigCheck | WireGuard | StateStore>("T", "one_for_one", [forgeAgent, phantomAgent]) }).pipe(Effect.provide(layer))
    const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "PHANTOM", message, { timeoutMs: 20_000 }) as Effect.Effect<any, unknown>
    const refusal = (message: Record<string, unknown>) =>
      Effect.map(Effect.exit(ask(message)), (exit) => {
        if (Exit.isSuccess(exit)) return "replied"
        const error = Cause.squash(exit.cause) as { _tag: string; rejection?: { _tag: string } }
        return error.rejection?._tag ?? error._tag
      })
    /** Every private key PHANTOM has stored. */
    const secrets = () => {
      const text = store.documents.get("phantom")
      if (text === undefined) return []
      const data = JSON.parse(text).data as { server?: { privateKey: string }; peers: Array<{ privateKey: string }> }
      return [...(data.server === undefined ? [] : [data.server.privateKey]), ...data.peers.map((p) => p.privateKey)]
    }
    return { wg, store, ask, refusal, secrets }
  })

describe("PHANTOM", () => {
  it.effect("plans change nothing; a confirmed add-peer stores keys and the next free address; apply pushes them with the server's private key", () =>
    Effect.gen(function*() {
      const { ask, secrets, wg } = yield* setup()
      const planned = yield* ask({ type: "add-peer", name: "phone" })
      assert.isFalse(planned.executed)
      assert.isNull(planned.peer.publicKey)
      assert.strictEqual(planned.peer.address, "10.8.0.2/32")
      assert.deepStrictEqual(secrets(), [])
      const added = yield* ask({ type: "add-peer", name: "phone", confirm: true })
      assert.isTrue(added.executed)
      assert.match(added.peer.publicKey, /^[A-Za-z0-9+/]{43}=$/)
      const laptop = yield* ask({ type: "add-peer", name: "laptop", allowedIps: ["192.168.50.0/24"], confirm: true })
      assert.deepStrictEqual(laptop.peer.allowedIps, ["10.8.0.3/32", "192.168.50.0/24"])
      assert.strictEqual(secrets().length, 3, "the server's key pair and two peers'")

      const server = yield* ask({ type: "server" })
      assert.deepInclude(server, { interface: "wg0", listenPort: 51820, address: "10.8.0.1/24", up: true, keyApplied: false, endpoint: "vpn.example.org:51820" })

      const plan = yield* ask({ type: "apply" })
      assert.isFalse(plan.executed)
      assert.include(plan.config, "PrivateKey = (hidden)")
      assert.sameMembers(plan.adding, [added.peer.publicKey, laptop.peer.publicKey])
      assert.lengthOf(wg.synced, 0)
      const applied = yield* ask({ type: "apply", confirm: true })
      assert.isTrue(applied.executed)
      assert.lengthOf(wg.synced, 1)
      assert.include(wg.synced[0]!.config, `PrivateKey = ${secrets()[0]}`)
      assert.include(wg.synced[0]!.config, "AllowedIPs = 10.8.0.3/32, 192.168.50.0/24")
      assert.isTrue((yield* ask({ type: "server" })).keyApplied)

      const peers = yield* ask({ type: "peers" })
      assert.deepStrictEqual(peers.peers.map((p: any) => [p.name, p.applied, p.enabled]), [["phone", true, true], ["laptop", true, true]])

      yield* ask({ type: "disable-peer", name: "laptop", confirm: true })
      const again = yield* ask({ type: "apply", confirm: true })
      assert.deepStrictEqual(again.removing, [laptop.peer.publicKey])
      assert.notInclude(wg.synced[1]!.config, laptop.peer.publicKey)
      const after = yield* ask({ type: "peers" })
      assert.deepStrictEqual(after.peers.map((p: any) => [p.name, p.applied, p.enabled]), [["phone", true, true], ["laptop", false, false]])
    }))

  it.effect("peer-config is the peer's own wg-quick config: its key, its address, the server as its peer", () =>
    Effect.gen(function*() {
      const { ask, secrets } = yield* setup({ dns: ["10.8.0.1"] })
      const added = yield* ask({ type: "add-peer", name: "phone", confirm: true })
      const server = yield* ask({ type: "server" })
      const { config, qr } = yield* ask({ type: "peer-config", name: "phone", qr: true })
      assert.include(config, `PrivateKey = ${secrets()[1]}`)
      assert.include(config, "Address = 10.8.0.2/24")
      assert.include(config, "DNS = 10.8.0.1")
      assert.include(config, `PublicKey = ${server.publicKey}`)
      assert.include(config, "Endpoint = vpn.example.org:51820")
      assert.include(config, "AllowedIPs = 10.8.0.0/24")
      assert.notInclude(config, secrets()[0]!, "never the server's key")
      assert.isString(qr)
      assert.isString(added.peer.publicKey)
    }))

  it.effect("typed rejections", () =>
    Effect.gen(function*() {
      const { ask, refusal } = yield* setup({ subnet: "10.9.0.0/30", endpointHost: undefined })
      assert.strictEqual(yield* refusal({ type: "remove-peer", name: "ghost" }), "NoSuchPeer")
      assert.strictEqual(yield* refusal({ type: "enable-peer", name: "ghost", confirm: true }), "NoSuchPeer")
      assert.strictEqual(yield* refusal({ type: "add-peer", name: "one", allowedIps: ["10.0.0.0/99"] }), "InvalidSpec")
      yield* ask({ type: "add-peer", name: "one", confirm: true })
      assert.strictEqual(yield* refusal({ type: "add-peer", name: "one" }), "PeerExists")
      assert.strictEqual(yield* refusal({ type: "add-peer", name: "two" }), "SubnetFull")
      assert.strictEqual(yield* refusal({ type: "peer-config", name: "one" }), "NoEndpoint")
      // Hostile input never reaches the handler: the name is refused at the boundary, the range by FORGE.
      assert.strictEqual(yield* refusal({ type: "add-peer", name: "a\nb" }), "InvalidMessage")
      assert.strictEqual(yield* refusal({ type: "add-peer", name: "../../etc" }), "InvalidMessage")
      assert.strictEqual(yield* refusal({ type: "remove-peer", name: "one", confirm: true }), "replied")
    }))

  it.effect("an interface that is not up: status says so, apply is refused with InterfaceDown", () =>
    Effect.gen(function*() {
      const { ask, refusal } = yield* setup({ interface: "wg7" })
      const server = yield* ask({ type: "server" })
      assert.isFalse(server.up)
      assert.include(server.reason, "wg7")
      assert.strictEqual(yield* refusal({ type: "apply", confirm: true }), "InterfaceDown")
    }))

  it.live("property: no reply but peer-config ever holds a private key, whatever the sequence of messages", () =>
    Effect.gen(function*() {
      const names = ["a", "b", "c"]
      const message = fc.oneof(
        fc.record({ type: fc.constant("add-peer"), name: fc.constantFrom(...names), confirm: fc.boolean() }),
        fc.record({ type: fc.constantFrom("remove-peer", "enable-peer", "disable-peer"), name: fc.constantFrom(...names), confirm: fc.boolean() }),
        fc.record({ type: fc.constant("apply"), confirm: fc.boolean() }),
        fc.record({ type: fc.constantFrom("peers", "server") }),
        fc.record({ type: fc.constant("peer-config"), name: fc.constantFrom(...names) })
      )
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(fc.array(message, { maxLength: 25 }), (messages) =>
          run(Effect.gen(function*() {
            const { ask, secrets } = yield* setup()
            const seen: Array<[string, string]> = []
            for (const m of messages) {
              const exit = yield* Effect.exit(ask(m))
              seen.push([m.type as string, JSON.stringify(Exit.isSuccess(exit) ? exit.value : Cause.squash(exit.cause))])
            }
            const keys = secrets()
            for (const [type, text] of seen) {
              if (type === "peer-config") continue
              for (const key of keys) assert.notInclude(text, key, `${type} leaked a private key`)
            }
          }).pipe(Effect.scoped))), { numRuns: 60 })
      )
    }))
})
