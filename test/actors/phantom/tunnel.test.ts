/**
 * The real thing: a WireGuard server configured by PHANTOM (`apply` runs the
 * real `wg syncconf`) and a client configured with PHANTOM's `peer-config`
 * (through the real `wg-quick strip` and `wg`), each a wireguard-go interface
 * in its own network namespace, joined by a veth pair. The handshake happens,
 * a ping passes the tunnel, and PHANTOM's `peers` sees it; a disabled peer,
 * once applied, is off the interface and its traffic stops.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as CommandRunnerLive from "../../../src/adapters/command/CommandRunnerLive.ts"
import type { ConfigCheck } from "../../../src/adapters/configcheck/ConfigCheck.ts"
import * as ConfigCheckLive from "../../../src/adapters/configcheck/ConfigCheckLive.ts"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import type { WireGuard } from "../../../src/adapters/wireguard/WireGuard.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as StateStoreLive from "../../../src/adapters/state/StateStoreLive.ts"
import * as WireGuardLive from "../../../src/adapters/wireguard/WireGuardLive.ts"
import { forgeAgent } from "../../../src/actors/forge/index.ts"
import { defaultPhantomConfig, PhantomConfig } from "../../../src/actors/phantom/config.ts"
import { phantomAgent } from "../../../src/actors/phantom/index.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { ROOT, tree } from "../../support/agents.ts"
import { makeWgNet, requireTools } from "../../support/wgnet.ts"

describe("PHANTOM over real WireGuard (wireguard-go in two namespaces)", () => {
  it.live("the server applied by PHANTOM and the client from peer-config handshake, and traffic passes the tunnel", () =>
    Effect.gen(function*() {
      requireTools("wg-quick", "qrencode")
      const net = yield* Effect.acquireRelease(Effect.promise(() => makeWgNet("t")), (n) => Effect.sync(n.close))
      const state = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), `sigmavault-phantom-${process.pid}-`))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )
      const port = 20_000 + (process.pid % 20_000)
      const live = Layer.mergeAll(WireGuardLive.layer, ConfigCheckLive.layer).pipe(Layer.provide(CommandRunnerLive.layer()))
      const layer = Layer.mergeAll(
        live,
        StateStoreLive.layer(state).pipe(Layer.provide(FilesLive.layer)),
        Layer.succeed(PhantomConfig, {
          ...defaultPhantomConfig,
          interface: net.serverIf,
          listenPort: port,
          subnet: "10.201.0.0/24",
          endpointHost: net.serverUnderlay,
          persistentKeepalive: 0
        })
      )
      const system = yield* ActorSystem.make({ root: tree<ConfigCheck | WireGuard | StateStore>("T", "one_for_one", [forgeAgent, phantomAgent]) }).pipe(Effect.provide(layer))
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "PHANTOM", message, { timeoutMs: 20_000 }) as Effect.Effect<any, unknown>
      const replies: Array<string> = []
      const said = (value: unknown) => (replies.push(JSON.stringify(value)), value as any)

      said(yield* ask({ type: "add-peer", name: "laptop", confirm: true }))
      said(yield* ask({ type: "apply", confirm: true }))
      const server = said(yield* ask({ type: "server" }))
      assert.isTrue(server.up)
      assert.isTrue(server.keyApplied, "the interface runs with the server key PHANTOM made")
      assert.strictEqual(server.address, "10.201.0.1/24")
      net.up(net.serverNs, net.serverIf, server.address)

      // The client: PHANTOM's peer-config, through wg-quick strip, onto the client's interface.
      const { config, qr } = yield* ask({ type: "peer-config", name: "laptop", qr: true })
      assert.include(qr, "█", "qrencode drew a code")
      const wg = WireGuardLive.make(CommandRunnerLive.make())
      const stripped = yield* wg.strip(config)
      assert.notInclude(stripped, "Address")
      yield* wg.syncconf(net.clientIf, stripped)
      const address = /Address = (\S+)/.exec(config)![1]!
      assert.strictEqual(address, "10.201.0.2/24")
      net.up(net.clientNs, net.clientIf, address)

      let answered = false
      for (let i = 0; i < 10 && !answered; i++) answered = net.ping("10.201.0.1")
      assert.isTrue(answered, "a ping passes the tunnel")
      const peers = said(yield* ask({ type: "peers" }))
      const laptop = peers.peers[0]
      assert.isTrue(laptop.applied)
      assert.isNotNull(laptop.latestHandshake, "the handshake happened")
      assert.isAbove(laptop.transferRx, 0)
      assert.strictEqual(laptop.endpoint.split(":")[0], "192.168.231.2")

      // Disabled and applied: the peer is off the server's interface, and the tunnel is dead.
      said(yield* ask({ type: "disable-peer", name: "laptop", confirm: true }))
      const removed = said(yield* ask({ type: "apply", confirm: true }))
      assert.deepStrictEqual(removed.removing, [laptop.publicKey])
      assert.isFalse(said(yield* ask({ type: "peers" })).peers[0].applied)
      assert.isFalse(net.ping("10.201.0.1"), "no traffic for a disabled peer")

      // The keys: 0600 in the state directory, and in no reply but peer-config's.
      assert.strictEqual(statSync(join(state, "phantom.json")).mode & 0o777, 0o600)
      const stored = JSON.parse(yield* Effect.promise(() => import("node:fs/promises").then((fs) => fs.readFile(join(state, "phantom.json"), "utf8"))))
      for (const key of [stored.data.server.privateKey, stored.data.peers[0].privateKey]) {
        for (const reply of replies) assert.notInclude(reply, key)
      }
      assert.include(config, stored.data.peers[0].privateKey)
    }).pipe(Effect.scoped), 60_000)
})
