/**
 * BRIDGE against the real exportfs (this kernel has no nfsd, but exportfs
 * keeps its table): a mount namespace held by a sleeping process, with an
 * overlay on /etc, a temp dir bound on /etc/exports.d and another on
 * /var/lib/nfs — the host's /etc and /var/lib/nfs are never touched. BRIDGE
 * writes the exports file into that dir and runs exportfs inside the
 * namespace (nsenter); etab and `exportfs -v` show the export, bad options
 * are refused before anything is written, and removing it unexports it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
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
import { missingTools } from "../support/samba.ts"

const dir = mkdtempSync(join(tmpdir(), `sigmavault-bridge-nfs-${process.pid}-`))
const exportsDir = join(dir, "exports.d")
const lib = join(dir, "lib")
const data = join(dir, "data")
let holder: ChildProcess | undefined
const hostHadExportsD = existsSync("/etc/exports.d")

/** Runs a tool inside the namespace. */
const inside = (...argv: ReadonlyArray<string>) => execFileSync("nsenter", ["-t", String(holder!.pid), "-m", "--", ...argv], { encoding: "utf8" })

beforeAll(async () => {
  const missing = missingTools(["exportfs", "unshare", "nsenter"])
  if (missing.length > 0) throw new Error(`this test needs ${missing.join(", ")} (Debian packages nfs-kernel-server, util-linux): not installed`)
  for (const d of [exportsDir, lib, data, join(dir, "upper"), join(dir, "work")]) mkdirSync(d, { recursive: true })
  holder = spawn("unshare", ["-m", "--propagation", "private", "sleep", "600"], { stdio: "ignore" })
  await new Promise((r) => setTimeout(r, 200))
  inside("mount", "-t", "overlay", "overlay", "-o", `lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work`, "/etc")
  inside("mkdir", "-p", "/etc/exports.d")
  inside("mount", "--bind", exportsDir, "/etc/exports.d")
  inside("mount", "--bind", lib, "/var/lib/nfs")
}, 20_000)

afterAll(() => {
  if (holder?.pid !== undefined && holder.exitCode === null) holder.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
})

const bridge = <A, E>(body: (ask: (message: Record<string, unknown>) => Effect.Effect<any, unknown>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: tree<WireGuard | ConfigCheck | Files | Shares | StateStore>("root", "one_for_one", [forgeAgent, bridgeAgent]) })
    return yield* body((message) => system.injectAsk(ROOT, "BRIDGE", message, { timeoutMs: 30_000 }))
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      SharesLive.layer({ exportsDir, stagingDir: join(dir, "staging"), exportfs: ["nsenter", "-t", String(holder!.pid), "-m", "--", "exportfs"] }).pipe(
        Layer.provide(Layer.mergeAll(CommandRunnerLive.layer(), FilesLive.layer))
      ),
      FilesLive.layer,
      StateStoreTest.layer(),
      ConfigCheckLive.layer.pipe(Layer.provide(CommandRunnerLive.layer())),
      WireGuardTest.make().layer
    )),
    Effect.provideService(BridgeConfig, { shareRoots: [data], forbidden: [] })
  )

const refusal = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.map(Effect.flip(effect), (error) => {
    const e = error as { _tag: string; rejection?: { _tag: string } }
    return e._tag === "Rejected" ? e.rejection! : e
  })

describe("BRIDGE with the real exportfs, in a mount namespace", () => {
  it.live("exports a share (etab, exportfs -v), refuses bad options before writing, unexports on remove", () =>
    bridge((ask) =>
      Effect.gen(function*() {
        const backup = join(data, "backup")
        mkdirSync(backup)

        const bad = yield* refusal(ask({ type: "add-share", protocol: "nfs", name: "backup", path: backup, hosts: ["127.0.0.1"], nfsOptions: ["bogus_opt"], confirm: true }))
        assert.strictEqual(bad._tag, "InvalidSpec")
        assert.deepStrictEqual(readdirSync(exportsDir), [], "nothing is written")

        const added = yield* ask({ type: "add-share", protocol: "nfs", name: "backup", path: backup, hosts: ["127.0.0.1"], readOnly: true, nfsOptions: ["no_subtree_check"], confirm: true })
        assert.deepStrictEqual(added.steps.map((s: { kind: string; path?: string; command?: ReadonlyArray<string> }) => s.kind === "run" ? s.command!.at(-1) : `${s.kind} ${s.path}`), [
          `write ${exportsDir}/sigmavault-backup.exports`,
          "-ra"
        ])
        assert.deepStrictEqual(readdirSync(exportsDir), ["sigmavault-backup.exports"])
        assert.match(added.validated.tool, /^exportfs/, "FORGE checked the line with exportfs on a scratch copy first")
        const etab = readFileSync(join(lib, "etab"), "utf8")
        assert.match(etab, new RegExp(`^${backup}\\t127\\.0\\.0\\.1\\(ro,`, "m"))
        assert.include(inside("exportfs", "-v"), backup)

        const listed = yield* ask({ type: "shares", protocol: "nfs" })
        assert.isTrue(listed.nfs.available)
        assert.deepInclude(listed.nfs.exports.map((e: { path: string; client: string }) => [e.path, e.client]), [backup, "127.0.0.1"])
        assert.isTrue(listed.inSync, JSON.stringify(listed.drift))

        yield* ask({ type: "remove-share", protocol: "nfs", name: "backup", confirm: true })
        assert.deepStrictEqual(readdirSync(exportsDir), [])
        assert.notInclude(readFileSync(join(lib, "etab"), "utf8"), backup)
        assert.notInclude(inside("exportfs", "-v"), backup)
        assert.strictEqual(existsSync("/etc/exports.d"), hostHadExportsD, "the host's /etc is untouched")
      })), 60_000)
})
