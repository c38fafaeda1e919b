/**
 * `wireguardPeer`: how long a new WireGuard peer takes to be usable — from
 * PHANTOM's add-peer (confirmed) and apply, through its peer-config on the
 * client, to the first handshake the server sees — against the anchor of
 * doing the same by hand (`wg genkey`/`wg pubkey`, `wg set` on the server,
 * the client's config with `wg setconf`). Real wireguard-go interfaces in two
 * network namespaces (test/support/wgnet.ts); the client sends a keepalive as
 * soon as it is configured, which starts the handshake. Goal: ≤ 2 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import * as ConfigCheckLive from "../../src/adapters/configcheck/ConfigCheckLive.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as StateStoreLive from "../../src/adapters/state/StateStoreLive.ts"
import * as WireGuardLive from "../../src/adapters/wireguard/WireGuardLive.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import { defaultPhantomConfig, PhantomConfig } from "../../src/actors/phantom/config.ts"
import { phantomAgent } from "../../src/actors/phantom/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { AgentDefinition } from "../../src/runtime/Agent.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { ConfigCheck } from "../../src/adapters/configcheck/ConfigCheck.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import type { WireGuard } from "../../src/adapters/wireguard/WireGuard.ts"
import { makeWgNet, requireTools, sh, type WgNet } from "../../test/support/wgnet.ts"
import { now, round } from "../support.ts"

const ROUNDS = Number(process.env.BENCH_WG_ROUNDS ?? 5)
const ROOT: Caller = { uid: 0, gid: 0, groups: [], via: "socket" }
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the server has had a handshake with `publicKey`; ms from `t0`. */
const handshakeAfter = async (net: WgNet, publicKey: string, t0: number): Promise<number> => {
  const deadline = t0 + 10_000
  while (now() < deadline) {
    const line = sh("wg", ["show", net.serverIf, "latest-handshakes"]).split("\n").find((l) => l.startsWith(publicKey))
    if (line !== undefined && Number(line.split("\t")[1]) > 0) return now() - t0
    await sleep(5)
  }
  throw new Error(`no handshake with ${publicKey} within 10 s`)
}

export const wireguardPeer = async () => {
  requireTools("wg", "wg-quick", "wireguard-go", "ip")
  const net = await makeWgNet("b")
  const dir = mkdtempSync(join(tmpdir(), `sv-bench-wg-${process.pid}-`))
  try {
    const port = 22_000 + (process.pid % 20_000)
    const layer = Layer.mergeAll(
      Layer.mergeAll(WireGuardLive.layer, ConfigCheckLive.layer).pipe(Layer.provide(CommandRunnerLive.layer())),
      StateStoreLive.layer(join(dir, "state")).pipe(Layer.provide(FilesLive.layer)),
      Layer.succeed(PhantomConfig, {
        ...defaultPhantomConfig,
        interface: net.serverIf,
        listenPort: port,
        subnet: "10.203.0.0/24",
        endpointHost: net.serverUnderlay,
        persistentKeepalive: 25
      })
    )
    const root = { name: "BENCH", strategy: "one_for_one" as const, intensity: { maxRestarts: 3, withinMs: 5_000 }, backoff: { initialMs: 100, maxMs: 1_000, jitter: 0, resetAfterMs: 5_000 }, children: [forgeAgent, phantomAgent] as ReadonlyArray<AgentDefinition<ConfigCheck | WireGuard | StateStore>> }
    return await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root }).pipe(Effect.provide(layer))
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "PHANTOM", message, { timeoutMs: 20_000 }) as Effect.Effect<any, unknown>
      // The server's keys, port and interface state: once, before either side is timed.
      yield* ask({ type: "apply", confirm: true })
      net.up(net.serverNs, net.serverIf, "10.203.0.1/24")
      net.up(net.clientNs, net.clientIf, "10.203.0.250/24")
      const serverKey = (yield* ask({ type: "server" })).publicKey as string

      const phantom: Array<number> = []
      const byHand: Array<number> = []
      const client = join(dir, `${net.clientIf}.conf`)
      const stripped = join(dir, "client.conf")
      for (let i = 0; i < ROUNDS; i++) {
        // PHANTOM: add-peer, apply, peer-config onto the client.
        let t0 = now()
        const added = yield* ask({ type: "add-peer", name: `bench-${i}`, confirm: true })
        yield* ask({ type: "apply", confirm: true })
        const { config } = yield* ask({ type: "peer-config", name: `bench-${i}` })
        writeFileSync(client, config, { mode: 0o600 })
        writeFileSync(stripped, sh("wg-quick", ["strip", client]), { mode: 0o600 })
        sh("wg", ["setconf", net.clientIf, stripped])
        phantom.push(yield* Effect.promise(() => handshakeAfter(net, added.peer.publicKey, t0)))

        // By hand: keys with wg, the server with wg set, the client's config with wg setconf.
        t0 = now()
        const secret = sh("wg", ["genkey"]).trim()
        const pub = sh("wg", ["pubkey"], `${secret}\n`).trim()
        sh("wg", ["set", net.serverIf, "peer", pub, "allowed-ips", `10.203.0.${100 + i}/32`])
        writeFileSync(stripped, [
          "[Interface]",
          `PrivateKey = ${secret}`,
          "[Peer]",
          `PublicKey = ${serverKey}`,
          `Endpoint = ${net.serverUnderlay}:${port}`,
          "AllowedIPs = 10.203.0.0/24",
          "PersistentKeepalive = 25",
          ""
        ].join("\n"), { mode: 0o600 })
        sh("wg", ["setconf", net.clientIf, stripped])
        byHand.push(yield* Effect.promise(() => handshakeAfter(net, pub, t0)))
      }
      const phantomMs = round(median(phantom))
      const byHandMs = round(median(byHand))
      process.stderr.write(`wireguardPeer: PHANTOM ${phantomMs} ms vs by hand ${byHandMs} ms (median of ${ROUNDS}), ratio ${round(phantomMs / byHandMs)}; goal ≤ 2000 ms\n`)
      return {
        rounds: ROUNDS,
        phantomMs,
        byHandMs,
        ratio: round(phantomMs / byHandMs),
        worstPhantomMs: round(Math.max(...phantom)),
        goalMs: 2_000,
        metGoal: Math.max(...phantom) <= 2_000
      }
    })))
  } finally {
    net.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
