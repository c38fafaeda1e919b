/**
 * `shareApply`: the time from BRIDGE's `add-share` with confirm to
 * `smbclient -L` listing the new share on a real smbd (test/support/samba.ts),
 * against the anchor of doing it by hand in the same run: `net conf
 * addshare` + `smbcontrol smbd reload-config`, then the same listing. Both
 * include one smbclient listing (smbd forks a child per connection, so the
 * listing itself costs a few hundred ms); BRIDGE also has FORGE render and
 * check the stanza with testparm, imports it (net conf import, one
 * transaction), and records the share.
 * Goal (issue 17): listed ≤ 1 s after apply.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import type { ConfigCheck } from "../../src/adapters/configcheck/ConfigCheck.ts"
import type { WireGuard } from "../../src/adapters/wireguard/WireGuard.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ConfigCheckLive from "../../src/adapters/configcheck/ConfigCheckLive.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { Shares } from "../../src/adapters/shares/Shares.ts"
import * as SharesLive from "../../src/adapters/shares/SharesLive.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { BridgeConfig } from "../../src/actors/bridge/config.ts"
import { bridgeAgent } from "../../src/actors/bridge/index.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { DAEMON } from "../../src/runtime/Caller.ts"
import { tree } from "../../test/support/agents.ts"
import { startSamba } from "../../test/support/samba.ts"
import { now, round } from "../support.ts"

const ROUNDS = 8
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const shareApply = async () => {
  const samba = await startSamba("bench-shares", 2)
  try {
    const until = (name: string) => {
      while (!samba.list().includes(name)) { /* poll: each listing is one smbclient run */ }
    }
    const program = Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<WireGuard | ConfigCheck | Files | Shares | StateStore>("root", "one_for_one", [forgeAgent, bridgeAgent]) })
      const ours: Array<number> = []
      const oursApply: Array<number> = []
      const anchor: Array<number> = []
      const anchorApply: Array<number> = []
      for (let i = 0; i < ROUNDS; i++) {
        const path = join(samba.data, `s${i}`)
        mkdirSync(path)
        let t0 = now()
        yield* system.injectAsk(DAEMON, "BRIDGE", { type: "add-share", protocol: "smb", name: `s${i}`, path, guest: true, confirm: true }, { timeoutMs: 30_000 })
        oursApply.push(now() - t0)
        until(`s${i}`)
        ours.push(now() - t0)

        const hand = join(samba.data, `h${i}`)
        mkdirSync(hand)
        t0 = now()
        execFileSync("net", ["-s", samba.conf, "conf", "addshare", `h${i}`, hand, "writeable=n", "guest_ok=y"])
        execFileSync("smbcontrol", ["-s", samba.conf, "smbd", "reload-config"])
        anchorApply.push(now() - t0)
        until(`h${i}`)
        anchor.push(now() - t0)
      }
      if (!samba.alive()) throw new Error("smbd did not survive the reloads")
      const listOnly: Array<number> = []
      for (let i = 0; i < 3; i++) {
        const t0 = now()
        samba.list()
        listOnly.push(now() - t0)
      }
      return {
        what: "add-share (confirm) until smbclient -L lists it, real smbd reloaded (never restarted), vs net conf addshare + smbcontrol reload-config by hand",
        rounds: ROUNDS,
        oursListedMs: round(median(ours)),
        oursListedMaxMs: round(Math.max(...ours)),
        oursApplyMs: round(median(oursApply)),
        anchorListedMs: round(median(anchor)),
        anchorApplyMs: round(median(anchorApply)),
        smbclientListMs: round(median(listOnly)),
        goalMs: 1000,
        meetsGoal: Math.max(...ours) <= 1000,
        ratioVsByHand: round(median(ours) / median(anchor))
      }
    })
    return await Effect.runPromise(program.pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        SharesLive.layer({ smbConf: samba.conf, exportsDir: join(samba.dir, "exports.d"), stagingDir: join(samba.dir, "staging") }).pipe(Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer))),
        ConfigCheckLive.layer.pipe(Layer.provide(CommandRunnerLive.layer())),
      WireGuardTest.make().layer,
        FilesLive.layer,
        StateStoreTest.layer()
      )),
      Effect.provideService(BridgeConfig, { shareRoots: [samba.data], forbidden: [] })
    ))
  } finally {
    await samba.stop()
  }
}
