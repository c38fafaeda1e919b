/**
 * BRIDGE over the test Shares adapter, with the real FORGE, a real directory
 * tree (paths are resolved through the live Files port) and the in-memory
 * state store: plan-then-confirm, path confinement, undo on failure, drift;
 * and VERTEX placing BRIDGE's shares in the graph so `impact` names them.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { readFileSync } from "node:fs"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import type { Disks } from "../../src/adapters/disks/Disks.ts"
import type { Files } from "../../src/adapters/fs/Files.ts"
import type { Shares } from "../../src/adapters/shares/Shares.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import type { Zfs } from "../../src/adapters/zfs/Zfs.ts"
import type { ConfigCheck } from "../../src/adapters/configcheck/ConfigCheck.ts"
import type { WireGuard } from "../../src/adapters/wireguard/WireGuard.ts"
import * as WireGuardTest from "../../src/adapters/wireguard/WireGuardTest.ts"
import * as ConfigCheckTest from "../../src/adapters/configcheck/ConfigCheckTest.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import { parseLsblk } from "../../src/adapters/disks/parse.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as SharesTest from "../../src/adapters/shares/SharesTest.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { parseDatasetList, parsePoolStatus } from "../../src/adapters/zfs/parse.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import { BridgeConfig } from "../../src/actors/bridge/config.ts"
import { bridgeAgent } from "../../src/actors/bridge/index.ts"
import { DATABASE_KEY } from "../../src/actors/bridge/machine.ts"
import { pathProblem } from "../../src/actors/bridge/paths.ts"
import { forgeAgent } from "../../src/actors/forge/index.ts"
import { vertexAgent } from "../../src/actors/vertex/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { ROOT, tree } from "../support/agents.ts"

const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-bridge-${process.pid}-`)))
const photos = join(dir, "photos")
mkdirSync(photos)
writeFileSync(join(dir, "a-file"), "x")
symlinkSync("/etc", join(dir, "etc-link"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const fixture = (d: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", d, name), "utf8")

type Rejected = { readonly _tag: string; readonly rejection?: { readonly _tag: string; readonly [k: string]: unknown }; readonly message: string }

const withBridge = (shares: SharesTest.SharesModel, seed: Record<string, unknown> = {}) => <A, E>(body: (ask: (message: Record<string, unknown>) => Effect.Effect<any, any>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: tree<WireGuard | ConfigCheck | Files | Shares | StateStore>("root", "one_for_one", [forgeAgent, bridgeAgent]) })
    return yield* body((message) => system.injectAsk(ROOT, "BRIDGE", message))
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(SharesTest.layer(shares), FilesLive.layer, StateStoreTest.layer(seed), ConfigCheckTest.make().layer, WireGuardTest.make().layer)),
    Effect.provideService(BridgeConfig, { shareRoots: [dir], forbidden: [] })
  )

const refusal = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.map(Effect.flip(effect), (error) => {
    const e = error as Rejected
    return e._tag === "Rejected" ? e.rejection! : { _tag: e._tag, message: e.message }
  })

describe("BRIDGE", () => {
  it.effect("plans an SMB share with the exact commands; with confirm adds it to the registry, reloads, records it; shares is in sync", () => {
    const shares = SharesTest.model()
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const plan = yield* ask({ type: "add-share", protocol: "smb", name: "photos", path: photos, comment: "family photos", readOnly: true })
        assert.isFalse(plan.executed)
        const staged = "/run/sigmavault/shares/smb-photos.conf"
        assert.deepStrictEqual(plan.steps, [
          { kind: "write", path: staged, text: plan.rendered.files[0].text },
          { kind: "run", command: ["net", "conf", "import", staged, "photos"], display: `net conf import ${staged} photos` },
          { kind: "remove", path: staged },
          { kind: "run", command: ["smbcontrol", "smbd", "reload-config"], display: "smbcontrol smbd reload-config" }
        ])
        assert.match(plan.steps[0].text, /^\[photos\]\n(.|\n)*\tread only = yes\n/)
        assert.strictEqual(plan.rendered.kind, "smb")
        assert.deepStrictEqual(shares.applied, [], "nothing runs without confirm")
        assert.strictEqual(shares.registry.size, 0)

        const done = yield* ask({ type: "add-share", protocol: "smb", name: "photos", path: photos, comment: "family photos", readOnly: true, confirm: true })
        assert.isTrue(done.executed)
        assert.deepStrictEqual(done.steps, plan.steps)
        assert.strictEqual(done.undo, JSON.stringify({ type: "remove-share", protocol: "smb", name: "photos", confirm: true }))
        assert.deepInclude(shares.registry.get("photos")!, ["read only", "yes"])
        assert.deepStrictEqual(shares.applied.at(-1), { kind: "run", command: ["smbcontrol", "smbd", "reload-config"], display: "smbcontrol smbd reload-config" })

        const listed = yield* ask({ type: "shares" })
        assert.isTrue(listed.inSync)
        assert.deepStrictEqual(listed.shares.map((s: { spec: { name: string }; live: string; createdBy: string }) => [s.spec.name, s.live, s.createdBy]), [["photos", "in-sync", "uid 0 (socket)"]])

        const again = yield* refusal(ask({ type: "add-share", protocol: "smb", name: "PHOTOS", path: photos }))
        assert.deepInclude(again, { _tag: "ShareExists", where: "database" })
      }))
  })

  it.effect("reports drift: a parameter changed by hand, a share removed by hand, a registry share BRIDGE did not make", () => {
    const shares = SharesTest.model()
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        yield* ask({ type: "add-share", protocol: "smb", name: "photos", path: photos, confirm: true })
        yield* ask({ type: "add-share", protocol: "nfs", name: "backup", path: photos, hosts: ["192.168.1.0/24"], confirm: true })
        assert.isTrue((yield* ask({ type: "shares" })).inSync)
        shares.registry.set("photos", shares.registry.get("photos")!.map(([k, v]) => (k === "read only" ? [k, "yes"] as const : [k, v] as const)))
        shares.registry.set("bytheway", [["path", "/srv/x"]])
        shares.exportFiles.delete("sigmavault-backup.exports")
        const listed = yield* ask({ type: "shares" })
        assert.isFalse(listed.inSync)
        assert.deepStrictEqual(listed.drift.map((d: { protocol: string; name: string; problem: string }) => `${d.protocol} ${d.name} ${d.problem}`), [
          "smb photos differs",
          "nfs backup missing",
          "smb bytheway unmanaged"
        ])
        assert.match(listed.drift[0].detail, /read only is 'yes', not 'no'/)
        const smbOnly = yield* ask({ type: "shares", protocol: "smb" })
        assert.deepStrictEqual(smbOnly.shares.map((s: { spec: { name: string } }) => s.spec.name), ["photos"])
        const handMade = yield* refusal(ask({ type: "add-share", protocol: "smb", name: "bytheway", path: photos }))
        assert.deepInclude(handMade, { _tag: "ShareExists", where: "registry, made outside BRIDGE" })
      }))
  })

  it.effect("refuses system paths, paths outside the roots, links into /etc, files and missing paths, before anything runs", () => {
    const shares = SharesTest.model()
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const tag = (path: string) => Effect.map(refusal(ask({ type: "add-share", protocol: "smb", name: "x", path, confirm: true })), (r) => r._tag)
        assert.strictEqual(yield* tag("/etc"), "PathNotAllowed")
        assert.strictEqual(yield* tag("/"), "PathNotAllowed")
        assert.strictEqual(yield* tag(join(dir, "etc-link")), "PathNotAllowed")
        assert.strictEqual(yield* tag(join(dir, "etc-link", "samba")), "PathNotAllowed")
        assert.strictEqual(yield* tag(join(photos, "..", "..")), "PathNotAllowed")
        assert.strictEqual(yield* tag(join(dir, "missing")), "PathMissing")
        assert.strictEqual(yield* tag(join(dir, "a-file")), "PathMissing")
        const link = yield* refusal(ask({ type: "add-share", protocol: "smb", name: "x", path: join(dir, "etc-link") }))
        assert.match(String(link["reason"]), /inside \/etc/)
        // Hostile names and paths never reach the agent.
        for (const name of ["-rf", "a b", "x;reboot", "../etc", ""]) {
          assert.strictEqual((yield* refusal(ask({ type: "add-share", protocol: "smb", name, path: photos, confirm: true })))._tag, "InvalidMessage", name)
        }
        assert.strictEqual((yield* refusal(ask({ type: "add-share", protocol: "smb", name: "x", path: "relative", confirm: true })))._tag, "InvalidMessage")
        // What FORGE refuses is refused before anything is written.
        const bad = yield* refusal(ask({ type: "add-share", protocol: "nfs", name: "x", path: photos, hosts: ["*"], nfsOptions: ["bogus_opt"], confirm: true }))
        assert.deepInclude(bad, { _tag: "InvalidSpec", kind: "nfs" })
        assert.deepStrictEqual(shares.applied, [])
      }))
  })

  it.effect("a failing step is undone and nothing is recorded", () => {
    // The import went through, the reload failed: the share is deleted again (the undo's own reload fails too, and says so).
    const shares = SharesTest.model({ failOn: { match: /smbcontrol smbd reload-config/, stderr: "ERROR: reload failed" } })
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const failed = yield* refusal(ask({ type: "add-share", protocol: "smb", name: "photos", path: photos, confirm: true }))
        assert.deepInclude(failed, { _tag: "ShareApplyFailed", undone: false })
        assert.strictEqual(shares.registry.size, 0)
        assert.deepStrictEqual((yield* ask({ type: "shares" })).shares, [])
      }))
  })

  it.effect("a parameter net refuses leaves the registry as it was: nothing to undo, nothing recorded", () => {
    const shares = SharesTest.model({ failOn: { match: /conf import/, stderr: "error importing service photos: SBC_ERR_INVALID_PARAM" } })
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const failed = yield* refusal(ask({ type: "add-share", protocol: "smb", name: "photos", path: photos, confirm: true }))
        assert.deepInclude(failed, { _tag: "ShareApplyFailed", undone: true })
        assert.match(String(failed["reason"]), /SBC_ERR_INVALID_PARAM/)
        assert.strictEqual(shares.registry.size, 0)
        assert.deepStrictEqual((yield* ask({ type: "shares" })).shares, [])
      }))
  })

  it.effect("NFS: writes the exports file and runs exportfs -ra; update rewrites it; remove deletes it", () => {
    const shares = SharesTest.model()
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const added = yield* ask({ type: "add-share", protocol: "nfs", name: "backup", path: photos, hosts: ["192.168.1.0/24"], readOnly: true, confirm: true })
        assert.deepStrictEqual(added.steps.map((s: { kind: string; path?: string; display?: string }) => s.kind === "run" ? s.display : `${s.kind} ${s.path}`), [
          "write /etc/exports.d/sigmavault-backup.exports",
          "exportfs -ra"
        ])
        assert.match(shares.exportFiles.get("sigmavault-backup.exports")!, new RegExp(`^${photos} 192\\.168\\.1\\.0/24\\(ro`, "m"))
        assert.strictEqual(shares.exports[0]!.path, photos)
        yield* ask({ type: "update-share", protocol: "nfs", name: "backup", path: photos, hosts: ["192.168.1.0/24"], confirm: true })
        assert.match(shares.exportFiles.get("sigmavault-backup.exports")!, /\(rw/)
        const listed = yield* ask({ type: "shares" })
        assert.isTrue(listed.inSync)
        assert.isDefined(listed.shares[0].updated)
        const plan = yield* ask({ type: "remove-share", protocol: "nfs", name: "backup" })
        assert.deepStrictEqual([plan.executed, plan.steps[0]], [false, { kind: "remove", path: "/etc/exports.d/sigmavault-backup.exports" }])
        yield* ask({ type: "remove-share", protocol: "nfs", name: "backup", confirm: true })
        assert.strictEqual(shares.exportFiles.size, 0)
        assert.deepStrictEqual(shares.exports, [])
        assert.deepInclude(yield* refusal(ask({ type: "remove-share", protocol: "nfs", name: "backup", confirm: true })), { _tag: "NoSuchShare" })
      }))
  })

  it.effect("reload is planned, then run; smbd not running is said, not failed", () => {
    const shares = SharesTest.model({ smbdRunning: false })
    return withBridge(shares)((ask) =>
      Effect.gen(function*() {
        const plan = yield* ask({ type: "reload" })
        assert.deepStrictEqual(plan.steps.map((s: { display: string }) => s.display), ["smbcontrol smbd reload-config", "exportfs -ra"])
        assert.deepStrictEqual(shares.applied, [])
        const done = yield* ask({ type: "reload", protocol: "smb", confirm: true })
        assert.match(done.notes[0], /smbd is not running/)
      }))
  })
})

describe("BRIDGE paths", () => {
  it("system trees and the daemon's directories are never shared, whatever the roots say", () => {
    assert.match(pathProblem("/etc/samba", ["/"], [])!, /inside \/etc/)
    assert.match(pathProblem("/var/lib/sigmavault/x", ["/var"], [])!, /inside \/var/)
    assert.match(pathProblem("/srv/state", ["/srv"], ["/srv/state"])!, /inside \/srv\/state/)
    assert.match(pathProblem("/home/x", ["/srv"], [])!, /outside the share roots/)
    assert.isUndefined(pathProblem("/srv", ["/srv"], []))
    assert.isUndefined(pathProblem("/tank/photos", ["/srv", "/tank"], []))
    assert.match(pathProblem("/srvx", ["/srv"], [])!, /outside/)
  })
})

describe("VERTEX shares", () => {
  const devices = Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))
  const datasets = [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
  const stored = (protocol: string, name: string, path: string) => ({ spec: { protocol, name, path }, created: "2026-01-01T00:00:00.000Z", createdBy: "the daemon" })

  it.effect("places BRIDGE's shares under their mountpoints; impact names the shares that go dark", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<WireGuard | ConfigCheck | Files | Shares | StateStore | Disks | Zfs>("root", "one_for_one", [forgeAgent, bridgeAgent, vertexAgent]) })
      const placed = (yield* system.injectAsk(ROOT, "VERTEX", { type: "shares" })) as { shares: Array<Record<string, string>> }
      assert.deepStrictEqual(placed.shares[0], { protocol: "smb", name: "photos", path: "/srv/photos/2024", mountpoint: "/srv/photos", dataset: "tank/photos", pool: "tank" })
      const topology = (yield* system.injectAsk(ROOT, "VERTEX", { type: "topology" })) as { nodes: Array<{ id: string; kind: string; label: string }>; edges: Array<{ from: string; to: string }> }
      assert.deepInclude(topology.nodes, { id: "share:smb/photos", kind: "share", label: "photos (smb)" })
      assert.deepInclude(topology.edges, { from: "share:smb/photos", to: "mount:/srv/photos" })
      const hit = (yield* system.injectAsk(ROOT, "VERTEX", { type: "impact", disk: "sdc" })) as { shares: Array<{ name: string; outcome: string }>; text: string }
      assert.deepStrictEqual(hit.shares.map((s) => [s.name, s.outcome]), [["photos", "faulted"], ["backup", "faulted"]])
      assert.match(hit.text, /shares that go dark: photos \(smb\), backup \(nfs\)$/)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        SharesTest.layer(),
        ConfigCheckTest.make().layer, WireGuardTest.make().layer,
        FilesLive.layer,
        StateStoreTest.layer({ [DATABASE_KEY]: { shares: [stored("smb", "photos", "/srv/photos/2024"), stored("nfs", "backup", "/srv/photos")] } }),
        DisksTest.layer({ devices }),
        ZfsTest.layer(ZfsTest.model({ statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.int.json")))], datasets }))
      ))
    ))
})

describe("BRIDGE paths, property", () => {
  it("whatever the path and roots, an allowed real path is inside a root and outside every system tree", async () => {
    const fc = await import("fast-check")
    const { normalise, SYSTEM_TREES, isWithin } = await import("../../src/actors/bridge/paths.ts")
    const segment = fc.constantFrom("etc", "srv", "tank", "..", ".", "", "var", "photos", "lib", "run", "x y", "-rf")
    const path = fc.array(segment, { maxLength: 8 }).map((parts) => `/${parts.join("/")}`)
    fc.assert(fc.property(path, fc.array(path, { maxLength: 3 }), (raw, rawRoots) => {
      const real = normalise(raw)
      const roots = rawRoots.map(normalise)
      assert.isTrue(real.startsWith("/") && !real.split("/").includes(".."), real)
      if (pathProblem(real, roots, ["/srv/state"]) !== undefined) return
      assert.notStrictEqual(real, "/")
      assert.isTrue(roots.some((root) => root !== "/" && isWithin(real, root)), `${real} in ${roots}`)
      assert.isFalse([...SYSTEM_TREES, "/srv/state"].some((tree) => isWithin(real, tree)), real)
    }), { numRuns: 2000 })
  })
})
