/**
 * VANGUARD over the test Apt (a model of upgradable packages, holds, index,
 * reboot flag and kernels): updates honest about a never-refreshed index,
 * the security filter and holds; refresh; upgrade planned without confirm
 * (nothing runs) and run with it; busy and missing apt as typed rejections;
 * the periodic check's alerts (with their codes), their clearing, the state
 * it keeps, and a start that costs nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as AptTest from "../../src/adapters/apt/AptTest.ts"
import type { Apt } from "../../src/adapters/apt/Apt.ts"
import { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { codes, REBOOT_REQUIRED, SECURITY_UPDATES } from "../../src/actors/vanguard/codes.ts"
import { defaultVanguardConfig, VanguardConfig } from "../../src/actors/vanguard/config.ts"
import { vanguardAgent } from "../../src/actors/vanguard/index.ts"
import { STATE_KEY } from "../../src/actors/vanguard/machine.ts"
import { Vanguard } from "../../src/actors/vanguard/messages.ts"
import { FindingCodeText } from "../../src/actors/shared/findings.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type * as Protocol from "../../src/runtime/Protocol.ts"
import { Schema } from "effect"
import { decodedReply, ROOT, tree, watch } from "../support/agents.ts"

const OPENSSL = AptTest.change("sv-openssl", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "Debian-Security:12/stable-security")
const LIBFOO = AptTest.change("sv-libfoo", "1.0-1", "1.0-2", "Debian:12.4/stable, Debian-Security:12/stable-security")
const DOCS = AptTest.change("sv-docs", "1.0-1", "1.1-1", "Debian:12.4/stable")

const seeded = () =>
  AptTest.makeModel({
    index: { lists: 2, refreshedAt: "2026-12-07T03:00:00.000Z" },
    upgrades: [DOCS, LIBFOO, OPENSSL],
    installs: [AptTest.change("sv-newdep", null, "1.0-1", "Debian:12.4/stable")],
    removals: [{ name: "sv-legacy", version: "1.0-1" }],
    keptBack: [{ name: "sv-held", from: "1.0-1", to: "1.1-1" }, { name: "sv-tool", from: "1.0-1", to: "2.0-1" }],
    holds: ["sv-held"]
  })

const start = (model: AptTest.AptModel, config = { ...defaultVanguardConfig, intervalMs: 0 }) =>
  Effect.gen(function*() {
    const store = yield* StateStoreTest.make()
    const system = yield* ActorSystem.make({ root: tree<Apt | StateStore>("root", "one_for_one", [vanguardAgent]) }).pipe(
      Effect.provideService(StateStore, store),
      Effect.provide(AptTest.layer(model)),
      Effect.provideService(VanguardConfig, config)
    )
    return { system, store }
  })

const ask = <const R extends Protocol.RequestOf<typeof Vanguard>>(system: ActorSystem.ActorSystem, request: R) =>
  Effect.map(
    system.injectAsk(ROOT, "VANGUARD", request),
    (wire) => decodedReply(Vanguard.get(request.type)!, wire) as Protocol.Reply<Protocol.Typed<typeof Vanguard, R["type"]>>
  )

/** The tag of the typed rejection an ask ended with, and its text. */
const refusal = (system: ActorSystem.ActorSystem, request: Protocol.RequestOf<typeof Vanguard>) =>
  Effect.map(Effect.flip(system.injectAsk(ROOT, "VANGUARD", request)), (error) =>
    error._tag === "Rejected" ? { tag: error.rejection._tag, text: error.reason } : { tag: error._tag, text: error.message })

describe("VANGUARD's codes", () => {
  it("are finding codes, each with a title", () => {
    for (const code of codes) {
      assert.isTrue(Schema.is(FindingCodeText)(code.code), code.code)
      assert.strictEqual(code.source, "vanguard")
      assert.isNotEmpty(code.title)
    }
  })
})

describe("VANGUARD, the agent", () => {
  it.effect("updates: never refreshed is said plainly; upgradable with security flagged; kept back with holds told apart; reboot", () =>
    Effect.gen(function*() {
      const fresh = AptTest.makeModel()
      const { system } = yield* start(fresh)
      const never = yield* ask(system, { type: "updates" })
      assert.deepStrictEqual([never.index.refreshed, never.index.refreshedAt, never.upgradable], [false, null, []])
      assert.match(never.index.note!, /never refreshed/)

      Object.assign(fresh, seeded())
      const all = yield* ask(system, { type: "updates" })
      assert.deepStrictEqual(all.index, { refreshed: true, refreshedAt: "2026-12-07T03:00:00.000Z", lists: 2 })
      assert.deepStrictEqual(all.upgradable.map((p) => [p.name, p.security]), [["sv-docs", false], ["sv-libfoo", true], ["sv-openssl", true]])
      assert.deepStrictEqual(all.upgradable[2]!.suites, ["stable-security"])
      assert.strictEqual(all.securityCount, 2)
      assert.deepStrictEqual(all.newPackages.map((p) => p.name), ["sv-newdep"])
      assert.deepStrictEqual(all.removals, [{ name: "sv-legacy", version: "1.0-1" }])
      assert.deepStrictEqual(all.keptBack.map((k) => [k.name, k.held]), [["sv-held", true], ["sv-tool", false]])
      assert.deepStrictEqual([all.reboot.required, all.reboot.flag], [false, false])

      const security = yield* ask(system, { type: "updates", security: true })
      assert.deepStrictEqual(security.upgradable.map((p) => p.name), ["sv-libfoo", "sv-openssl"])

      fresh.rebootFlag = { required: true, since: "2026-12-07T04:00:00.000Z", packages: ["dbus"] }
      const reboot = yield* ask(system, { type: "updates" })
      assert.deepStrictEqual([reboot.reboot.required, reboot.reboot.flag, reboot.reboot.packages], [true, true, ["dbus"]])
      fresh.rebootFlag = { required: false, since: null, packages: [] }
      fresh.kernel = { ...fresh.kernel, newestInstalled: "6.1.0-30-amd64", rebootRequired: true, reason: "kernel 6.1.0-30-amd64 is installed; 6.1.0-28-amd64 is running" }
      const kernel = yield* ask(system, { type: "updates" })
      assert.deepStrictEqual([kernel.reboot.required, kernel.reboot.flag, kernel.reboot.kernel.rebootRequired], [true, false, true])
    }).pipe(Effect.scoped))

  it.effect("updates reuses the last simulation while the index and the dpkg status are unchanged, and reads afresh when either changes", () =>
    Effect.gen(function*() {
      const model = seeded()
      model.statusStamp = "1000@1"
      const { system } = yield* start(model)
      const simulations = () => model.executed.filter((argv) => argv.includes("-s")).length
      yield* ask(system, { type: "updates" })
      yield* ask(system, { type: "updates", security: true })
      assert.strictEqual(simulations(), 1)
      model.statusStamp = "1200@2"
      yield* ask(system, { type: "updates" })
      assert.strictEqual(simulations(), 2)
      model.index = { lists: 2, refreshedAt: "2026-12-08T03:00:00.000Z" }
      yield* ask(system, { type: "updates" })
      assert.strictEqual(simulations(), 3)
      // An hour at most.
      yield* TestClock.adjust(3_600_000)
      yield* ask(system, { type: "updates" })
      assert.strictEqual(simulations(), 4)
    }).pipe(Effect.scoped))

  it.effect("refresh runs apt-get update and reports what the new index offers", () =>
    Effect.gen(function*() {
      const model = AptTest.makeModel({ pending: [OPENSSL, DOCS] })
      const { system } = yield* start(model)
      const refreshed = yield* ask(system, { type: "refresh" })
      assert.deepStrictEqual([refreshed.upgradable, refreshed.securityCount, refreshed.warnings], [2, 1, []])
      assert.isNotNull(refreshed.refreshedAt)
      assert.deepStrictEqual(model.executed[0], ["apt-get", "update"])
    }).pipe(Effect.scoped))

  it.effect("upgrade without confirm is a plan — apt's simulation of the exact command — and nothing runs", () =>
    Effect.gen(function*() {
      const model = seeded()
      const { system } = yield* start(model)
      const plan = yield* ask(system, { type: "upgrade" })
      assert.deepStrictEqual(plan.command, ["apt-get", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "dist-upgrade"])
      assert.strictEqual(plan.env["DEBIAN_FRONTEND"], "noninteractive")
      assert.match(plan.display, /^LC_ALL=C LANG=C DEBIAN_FRONTEND=noninteractive APT_LISTCHANGES_FRONTEND=none apt-get -y .* dist-upgrade$/)
      assert.deepStrictEqual([plan.scope, plan.executed, plan.upgrades.length, plan.installs.length, plan.removals.length, plan.keptBack], ["all", false, 3, 1, 1, ["sv-held", "sv-tool"]])

      const security = yield* ask(system, { type: "upgrade", security: true })
      assert.deepStrictEqual(security.command.slice(-4), ["install", "--only-upgrade", "sv-libfoo", "sv-openssl"])
      assert.deepStrictEqual(security.upgrades.map((p) => p.name), ["sv-libfoo", "sv-openssl"])
      assert.isFalse(security.executed)
      // Only simulations ran.
      assert.isTrue(model.executed.every((argv) => argv.includes("-s")))
      assert.strictEqual(model.upgrades.length, 3)
    }).pipe(Effect.scoped))

  it.effect("upgrade with confirm runs it; then nothing is left to do, refused as such", () =>
    Effect.gen(function*() {
      const model = seeded()
      const { system } = yield* start(model)
      const done = yield* ask(system, { type: "upgrade", security: true, confirm: true })
      assert.isTrue(done.executed)
      assert.deepStrictEqual(model.executed.at(-1), ["apt-get", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "install", "--only-upgrade", "sv-libfoo", "sv-openssl"])
      assert.deepStrictEqual(model.upgrades.map((p) => p.name), ["sv-docs"])
      const nothing = yield* refusal(system, { type: "upgrade", security: true, confirm: true })
      assert.deepStrictEqual(nothing, { tag: "NothingToUpgrade", text: "no security update is pending: nothing was run" })
      const all = yield* ask(system, { type: "upgrade", confirm: true })
      assert.deepStrictEqual([all.executed, all.command.at(-1), model.upgrades], [true, "dist-upgrade", []])
    }).pipe(Effect.scoped))

  it.effect("an asker who leaves does not cut a running upgrade short: it finishes, and the agent answers again after", () =>
    Effect.gen(function*() {
      const model = seeded()
      model.upgradeMs = 60_000
      const { system } = yield* start(model)
      const asked = yield* Effect.forkChild(Effect.flip(system.injectAsk(ROOT, "VANGUARD", { type: "upgrade", confirm: true }, { timeoutMs: 1_000 })))
      yield* TestClock.adjust(1_000)
      const gone = yield* Fiber.join(asked)
      assert.strictEqual(gone._tag, "AskTimeout")
      assert.strictEqual(model.upgrades.length, 3)
      yield* TestClock.adjust(60_000)
      const after = yield* ask(system, { type: "updates" })
      assert.deepStrictEqual(after.upgradable, [])
      assert.deepStrictEqual(model.executed.at(-1)?.at(-1), "dist-upgrade")
    }).pipe(Effect.scoped))

  it.effect("a busy package manager and a system without apt are typed rejections that say so", () =>
    Effect.gen(function*() {
      const model = seeded()
      model.busy = "/var/lib/dpkg/lock-frontend"
      const { system } = yield* start(model)
      for (const request of [{ type: "refresh" }, { type: "upgrade", confirm: true }, { type: "updates" }] as const) {
        const busy = yield* refusal(system, request)
        assert.strictEqual(busy.tag, "PackageManagerBusy")
        assert.match(busy.text, /lock-frontend is locked by process 4242 \(apt-get\)/)
      }
      assert.strictEqual(model.upgrades.length, 3)
      model.busy = undefined
      model.installed = false
      const missing = yield* refusal(system, { type: "updates" })
      assert.deepStrictEqual(missing, { tag: "AptNotInstalled", text: "apt-get is not installed: updates are managed with apt, which this system does not have" })
    }).pipe(Effect.scoped))

  it.effect("the daily check: refreshes, alerts on new security updates and a required reboot (with codes), announces their clearing, keeps its result", () =>
    Effect.gen(function*() {
      const model = AptTest.makeModel({ index: { lists: 2, refreshedAt: "2026-12-07T03:00:00.000Z" }, pending: [OPENSSL] })
      const day = 24 * 3_600_000
      const { store, system } = yield* start(model, { intervalMs: day, refresh: true, firstCheckDelayMs: 1000 })
      const events = yield* watch(system)
      // The tick at start is within the delay; the next one, an hour later, checks.
      yield* TestClock.adjust(3_600_000)
      const alert = (yield* events.until((e) => e._tag === "Alert")) as { severity: string; code?: string; text: string; subject: string }
      assert.deepStrictEqual([alert.severity, alert.code, alert.subject], ["warning", SECURITY_UPDATES, "updates"])
      assert.match(alert.text, /^1 security update\(s\) pending: sv-openssl=3\.0\.11-1~deb12u2; plan them with VANGUARD upgrade/)
      assert.deepStrictEqual(model.executed[0], ["apt-get", "update"])
      assert.include(store.documents.get(STATE_KEY)!, "sv-openssl=3.0.11-1~deb12u2")

      // A day later: upgraded by hand, and a reboot is asked for.
      model.upgrades = []
      model.rebootFlag = { required: true, since: "2026-12-08T04:00:00.000Z", packages: ["linux-image-6.1.0-30-amd64"] }
      yield* TestClock.adjust(day)
      const next = [(yield* events.until((e) => e._tag === "Alert")), (yield* events.until((e) => e._tag === "Alert"))] as Array<{ severity: string; code?: string; text: string }>
      assert.sameDeepMembers(next.map((a) => [a.severity, a.code]), [["info", SECURITY_UPDATES], ["warning", REBOOT_REQUIRED]])
      assert.match(next.find((a) => a.code === REBOOT_REQUIRED)!.text, /linux-image-6\.1\.0-30-amd64/)
    }).pipe(Effect.scoped))

  it.effect("a fresh daemon waits before its first check (a start runs no apt), and a restart does not check again at once", () =>
    Effect.gen(function*() {
      const model = seeded()
      const { store } = yield* start(model, { ...defaultVanguardConfig })
      yield* TestClock.adjust(60_000)
      assert.deepStrictEqual(model.executed, [])
      // The first hourly tick after the delay checks.
      yield* TestClock.adjust(3_600_000)
      yield* Effect.yieldNow
      assert.deepStrictEqual(model.executed[0], ["apt-get", "update"])
      const kept = store.documents.get(STATE_KEY)
      assert.isDefined(kept)
      // A second VANGUARD on the same state: its kept check is fresh, so nothing runs.
      const again = seeded()
      yield* ActorSystem.make({ root: tree<Apt | StateStore>("root2", "one_for_one", [vanguardAgent]) }).pipe(
        Effect.provideService(StateStore, store),
        Effect.provide(AptTest.layer(again)),
        Effect.provideService(VanguardConfig, { ...defaultVanguardConfig, firstCheckDelayMs: 0 })
      )
      yield* TestClock.adjust(60_000)
      assert.deepStrictEqual(again.executed, [])
    }).pipe(Effect.scoped))
})
