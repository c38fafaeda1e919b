/**
 * FORGE's WireGuard render: pure, without a private key, and refusing
 * hostile or malformed specs field by field. The differential holds it to
 * the real tools: a spec FORGE renders passes `wg-quick strip` and `wg
 * setconf` on a scratch wireguard-go interface, and a spec FORGE refuses,
 * rendered anyway, is refused by them too — with one documented exception:
 * wg takes a port above 65535 (ListenPort, or an endpoint's) and silently
 * uses it modulo 65536 (70000 listens on 4464); FORGE refuses it.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as fc from "fast-check"
import * as CommandRunnerLive from "../../../src/adapters/command/CommandRunnerLive.ts"
import * as WireGuardLive from "../../../src/adapters/wireguard/WireGuardLive.ts"
import { renderWireguard, renderWireguardText, validateWireguard, type WireguardSpec } from "../../../src/actors/forge/wireguard.ts"
import { WireGuard } from "../../../src/adapters/wireguard/WireGuard.ts"
import { requireTools } from "../../support/wgnet.ts"
import { wireguardSpec, wraps } from "../../support/wireguardSpecs.ts"

const KEY_A = "Hfszse6nFmK04Yy/3gCN4xpWb5mKa4UVKfDTFtiMYUk="
const KEY_B = "jY+usT1vLC5NhU1LxK+KaK1YGVXdvy1LBNWdr2kd2Ak="

const refusedField = (spec: WireguardSpec) => {
  const exit = Effect.runSyncExit(renderWireguard(spec))
  if (Exit.isSuccess(exit)) return "rendered"
  const error = (exit.cause as any).reasons?.[0]?.error ?? (exit.cause as any).failures?.[0]
  return Effect.runSync(Effect.flip(renderWireguard(spec))).field ?? String(error)
}

describe("FORGE render-wireguard", () => {
  it.effect("renders a wg(8) config, [Interface] first and no private key", () =>
    Effect.gen(function*() {
      const rendered = yield* renderWireguard({
        interface: "wg0",
        listenPort: 51820,
        peers: [
          { name: "phone", publicKey: KEY_A, allowedIps: ["10.8.0.2/32"] },
          { publicKey: KEY_B, allowedIps: ["10.8.0.3/32", "fd00::3/128"], endpoint: "[2001:db8::1]:51820", persistentKeepalive: 25 }
        ]
      })
      assert.strictEqual(rendered.files[0]!.target, "/etc/wireguard/wg0.conf")
      assert.strictEqual(rendered.files[0]!.text, [
        "[Interface]",
        "ListenPort = 51820",
        "",
        "[Peer]",
        "# phone",
        `PublicKey = ${KEY_A}`,
        "AllowedIPs = 10.8.0.2/32",
        "",
        "[Peer]",
        `PublicKey = ${KEY_B}`,
        "AllowedIPs = 10.8.0.3/32, fd00::3/128",
        "Endpoint = [2001:db8::1]:51820",
        "PersistentKeepalive = 25",
        ""
      ].join("\n"))
      assert.notInclude(rendered.files[0]!.text, "PrivateKey")
    }))

  it("refuses hostile input, naming the field, before anything is rendered", () => {
    const peer = { publicKey: KEY_A, allowedIps: ["10.8.0.2/32"] }
    const base: WireguardSpec = { interface: "wg0", peers: [peer] }
    const cases: ReadonlyArray<readonly [Partial<WireguardSpec> | { peer: Record<string, unknown> }, string]> = [
      [{ interface: "../../etc/x" }, "interface"],
      [{ interface: "wg0\nPostUp = id" }, "interface"],
      [{ listenPort: 70_000 }, "listenPort"],
      [{ listenPort: 1.5 }, "listenPort"],
      [{ address: ["10.8.0.1/24\nPostUp = rm -rf /"] }, "address[0]"],
      [{ dns: ["1.1.1.1; rm -rf /"] }, "dns[0]"],
      [{ mtu: 10 }, "mtu"],
      [{ peer: { publicKey: `${KEY_A}\nPostUp = id` } }, "peers[0].publicKey"],
      [{ peer: { publicKey: "short=" } }, "peers[0].publicKey"],
      [{ peer: { name: "x\nPrivateKey = stolen" } }, "peers[0].name"],
      [{ peer: { allowedIps: ["10.8.0.2/33"] } }, "peers[0].allowedIps[0]"],
      [{ peer: { allowedIps: ["10.8.0.256/32"] } }, "peers[0].allowedIps[0]"],
      [{ peer: { allowedIps: ["fd00::/129"] } }, "peers[0].allowedIps[0]"],
      [{ peer: { allowedIps: ["10.8.0.2/32, 0.0.0.0/0"] } }, "peers[0].allowedIps[0]"],
      [{ peer: { endpoint: "203.0.113.1:51820\n[Peer]" } }, "peers[0].endpoint"],
      [{ peer: { endpoint: "203.0.113.1:70000" } }, "peers[0].endpoint"],
      [{ peer: { endpoint: "-oProxyCommand=x:1" } }, "peers[0].endpoint"],
      [{ peer: { persistentKeepalive: -1 } }, "peers[0].persistentKeepalive"]
    ]
    for (const [change, field] of cases) {
      const spec = "peer" in change ? { ...base, peers: [{ ...peer, ...change.peer }] } : { ...base, ...change }
      assert.strictEqual(refusedField(spec as WireguardSpec), field, JSON.stringify(change))
    }
  })
})

// ---- the differential, against the real tools --------------------------------

describe("FORGE render-wireguard against wg", () => {
  it.live("differential: rendered specs pass wg-quick strip and wg setconf; refused ones, rendered anyway, fail them", () =>
    Effect.gen(function*() {
      requireTools("wg", "wg-quick", "wireguard-go", "ip")
      const wg = WireGuardLive.make(CommandRunnerLive.make())
      const outcomes = { bothAccept: 0, bothRefuse: 0, portWrapped: 0 }
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(wireguardSpec, (s) =>
          run(Effect.gen(function*() {
            const forge = yield* Effect.exit(renderWireguard(s as WireguardSpec))
            const text = Exit.isSuccess(forge) ? forge.value.files[0]!.text : renderWireguardText(s as WireguardSpec)
            const real = yield* Effect.exit(Effect.provideService(validateWireguard(text), WireGuard, wg))
            if (Exit.isSuccess(real)) assert.include(real.value.tool, "wg setconf", "checked on a scratch interface")
            if (Exit.isFailure(forge) && Exit.isSuccess(real) && wraps(text)) return void outcomes.portWrapped++
            assert.strictEqual(Exit.isSuccess(real), Exit.isSuccess(forge), `FORGE ${Exit.isSuccess(forge) ? "accepted" : "refused"}, wg ${Exit.isSuccess(real) ? "accepted" : "refused"}:\n${text}`)
            outcomes[Exit.isSuccess(forge) ? "bothAccept" : "bothRefuse"]++
          }))), { numRuns: 30 })
      )
      assert.isAbove(outcomes.bothAccept, 3)
      assert.isAbove(outcomes.bothRefuse, 3)
    }).pipe(Effect.ensuring(Effect.sync(() => spawnSync("ip", ["link", "del", `svchk${process.pid}`], { stdio: "ignore" })))), 300_000)

  it.live("a scratch interface left by a killed checker is deleted by the next check", () => {
    // A pid that has exited: the checker that would have made it is gone.
    const leftover = `svchk${spawnSync("true").pid!}`
    return Effect.gen(function*() {
      requireTools("wg", "wg-quick", "wireguard-go", "ip")
      spawnSync("wireguard-go", [leftover], { stdio: "ignore" })
      assert.isTrue(existsSync(`/var/run/wireguard/${leftover}.sock`), "the leftover exists")
      const wg = WireGuardLive.make(CommandRunnerLive.make())
      yield* wg.check("[Interface]\nListenPort = 51820\n")
      assert.isFalse(existsSync(`/var/run/wireguard/${leftover}.sock`), "and is gone")
    }).pipe(Effect.ensuring(Effect.sync(() => spawnSync("ip", ["link", "del", leftover], { stdio: "ignore" }))))
  }, 60_000)
})
