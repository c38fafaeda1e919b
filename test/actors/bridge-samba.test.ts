/**
 * BRIDGE against a real smbd (test/support/samba.ts): a share added through
 * the registry is listed by `smbclient -L` after reload-config, without a
 * restart (the same smbd pid); a session open across the reload keeps
 * working; a read-only share refuses a write; removing it unlists it; and
 * `shares` reads the registry and smbstatus back, in sync.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import type { ConfigCheck } from "../../src/adapters/configcheck/ConfigCheck.ts"
import type { WireGuard } from "../../src/adapters/wireguard/WireGuard.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ConfigCheckLive from "../../src/adapters/configcheck/ConfigCheckLive.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import type { Shares } from "../../src/adapters/shares/Shares.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as SharesLive from "../../src/adapters/shares/SharesLive.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { BridgeConfig } from "../../src/actors/bridge/config.ts"
import { bridgeAgent } from "../../src/actors/bridge/index.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { ROOT, tree } from "../support/agents.ts"
import { openSession, type Samba, startSamba } from "../support/samba.ts"

let samba: Samba
beforeAll(async () => {
  samba = await startSamba("bridge-smb")
}, 30_000)
afterAll(() => samba?.stop(), 10_000)

const bridge = <A, E>(body: (ask: (message: Record<string, unknown>) => Effect.Effect<any, unknown>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: tree<WireGuard | ConfigCheck | Files | Shares | StateStore>("root", "one_for_one", [forgeAgent, bridgeAgent]) })
    return yield* body((message) => system.injectAsk(ROOT, "BRIDGE", message, { timeoutMs: 30_000 }))
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      SharesLive.layer({ smbConf: samba.conf, exportsDir: join(samba.dir, "exports.d"), stagingDir: join(samba.dir, "staging") }).pipe(
        Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer))
      ),
      FilesLive.layer,
      StateStoreTest.layer(),
      ConfigCheckLive.layer.pipe(Layer.provide(CommandRunnerLive.layer())),
      WireGuardTest.make().layer
    )),
    Effect.provideService(BridgeConfig, { shareRoots: [samba.data], forbidden: [samba.dir + "/state"] })
  )

describe("BRIDGE with a real smbd", () => {
  it.live("adds registry shares that smbclient lists after reload-config, with no restart; an open session survives; read-only refuses writes", () =>
    bridge((ask) =>
      Effect.gen(function*() {
        const rw = join(samba.data, "rw")
        const ro = join(samba.data, "ro")
        for (const d of [rw, ro]) {
          mkdirSync(d)
          chmodSync(d, 0o777)
        }
        writeFileSync(join(ro, "readme.txt"), "hello\n")
        const local = join(samba.dir, "upload.txt")
        writeFileSync(local, "upload\n")

        const added = yield* ask({ type: "add-share", protocol: "smb", name: "rw", path: rw, guest: true, confirm: true })
        assert.isTrue(added.executed)
        assert.match(added.validated.tool, /^testparm/, "FORGE checked the stanza with testparm before anything was written")
        assert.deepStrictEqual(added.steps[1].command, ["net", "-s", samba.conf, "conf", "import", join(samba.dir, "staging", "smb-rw.conf"), "rw"])
        assert.deepStrictEqual(added.steps.at(-1).command, ["smbcontrol", "-s", samba.conf, "smbd", "reload-config"])
        assert.include(samba.list(), "rw")

        // A session open on rw, across the next change and its reload.
        const session = openSession(samba, "rw")
        try {
          yield* Effect.promise(() => session.run("ls", /blocks (of size|available)/))
          const plan = yield* ask({ type: "add-share", protocol: "smb", name: "ro", path: ro, guest: true, readOnly: true, comment: "read only" })
          assert.isFalse(plan.executed)
          assert.notInclude(samba.list(), "ro", "a plan changes nothing")
          yield* ask({ type: "add-share", protocol: "smb", name: "ro", path: ro, guest: true, readOnly: true, comment: "read only", confirm: true })
          assert.includeMembers([...samba.list()], ["rw", "ro"])
          assert.isTrue(samba.alive(), "smbd was reloaded, not restarted: the same pid lives")

          const after = yield* Effect.promise(() => session.run(`put ${local} from-session.txt`, /putting file|NT_STATUS/))
          assert.notMatch(after, /NT_STATUS/, "the session opened before the reload still writes")
          const listing = yield* Effect.promise(() => session.run("ls", /blocks (of size|available)/))
          assert.include(listing, "from-session.txt")

          const listed = yield* ask({ type: "shares", protocol: "smb" })
          assert.isTrue(listed.inSync, JSON.stringify(listed.drift))
          assert.deepStrictEqual(listed.shares.map((s: { spec: { name: string }; live: string }) => [s.spec.name, s.live]), [["rw", "in-sync"], ["ro", "in-sync"]])
          assert.isAtLeast(listed.smb.sessions ?? 0, 1, "smbstatus sees the open session")
          assert.isAtLeast(listed.shares[0].connections ?? 0, 1)
        } finally {
          session.close()
        }

        const write = samba.client("ro", `put ${local} nope.txt`)
        assert.match(write.output, /NT_STATUS_(ACCESS_DENIED|MEDIA_WRITE_PROTECTED)/, "a read-only share refuses a write")
        assert.match(samba.client("ro", "get readme.txt /dev/null").output, /getting file/, "and still serves reads")

        yield* ask({ type: "remove-share", protocol: "smb", name: "ro", confirm: true })
        assert.notInclude(samba.list(), "ro")
        assert.include(samba.list(), "rw")
        assert.isTrue(samba.alive())

        // A change by hand is drift.
        const { spawnSync } = yield* Effect.promise(() => import("node:child_process"))
        spawnSync("net", ["-s", samba.conf, "conf", "setparm", "rw", "read only", "yes"])
        const drifted = yield* ask({ type: "shares" })
        assert.deepStrictEqual(drifted.drift.map((d: { name: string; problem: string }) => `${d.name} ${d.problem}`), ["rw differs"])
      })), 60_000)
})
