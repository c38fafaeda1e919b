/**
 * MENTOR as an agent: explain and remediation by code, by another name, by an
 * alert's text (with its code, or an older alert's words), by a NEXUS
 * incident (its alerts' codes, NEXUS running on the test clock); placeholders
 * filled from the subject and only with values a tool could take; an unknown
 * code refused naming the near ones; hostile input refused at the boundary.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"
import * as DisksTest from "../../../src/adapters/disks/DisksTest.ts"
import type { Disks } from "../../../src/adapters/disks/Disks.ts"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { parseDatasetList, parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import type { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { CATALOGUE } from "../../../src/actors/mentor/catalogue.ts"
import { mentorAgent } from "../../../src/actors/mentor/index.ts"
import { distance, fill, find, INDEX, nearMatches, scanFind, valuesOf } from "../../../src/actors/mentor/lookup.ts"
import { Mentor } from "../../../src/actors/mentor/messages.ts"
import { nexusAgent } from "../../../src/actors/nexus/index.ts"
import { vertexAgent } from "../../../src/actors/vertex/index.ts"
import type { MetricHistory } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { decodedReply, fastBackoff, generous, ROOT } from "../../support/agents.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../../fixtures", dir, name), "utf8")

const adapters = Layer.mergeAll(
  HistoryTest.layer(),
  StateStoreTest.layer(),
  DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))] }),
  ZfsTest.layer(ZfsTest.model({
    statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-mirror-missing.int.json")))],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
  }))
)

const boot = Effect.gen(function*() {
  const root: ActorSystem.SupervisorNode<StateStore | Disks | Zfs | MetricHistory> = {
    name: "root",
    strategy: "one_for_one",
    intensity: generous,
    backoff: fastBackoff,
    children: [vertexAgent, nexusAgent, mentorAgent]
  }
  const system = yield* ActorSystem.make({ root })
  const ask = (type: "explain" | "remediation" | "codes", fields: Record<string, unknown> = {}) =>
    Effect.map(system.injectAsk(ROOT, "MENTOR", { type, ...fields }), (wire) => decodedReply(Mentor.get(type)!, wire) as any)
  return { system, ask }
})

const run = <A, E>(effect: Effect.Effect<A, E, StateStore | Disks | Zfs | MetricHistory | import("effect").Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(adapters))

describe("MENTOR", () => {
  it.effect("explains a code: meaning, urgency, the upstream page, steps with commands marked safe/confirm/destructive; placeholders filled from the subject", () =>
    run(Effect.gen(function*() {
      const { ask } = yield* boot
      const bare = yield* ask("explain", { finding: "ZFS-8000-9P" })
      assert.strictEqual(bare.matched, "code")
      const [e] = bare.explanations
      assert.deepStrictEqual([e.code, e.source, e.urgency, e.actWithin, e.see], ["ZFS-8000-9P", "zfs", "warning", "this week", "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P"])
      assert.match(e.meaning, /repaired them from the other copies/)
      assert.deepStrictEqual(e.steps[0], { text: "see what zpool says about the pool, device by device", class: "safe", command: ["zpool", "status", "-v", "{pool}"], unfilled: ["pool"] })
      assert.deepStrictEqual(e.steps.map((s: any) => s.class), ["safe", "safe", "safe", "confirm", "confirm"])

      const filled = yield* ask("explain", { finding: "zfs-8000-9p", subject: "pool tank" })
      assert.deepStrictEqual(filled.explanations[0].steps[0].command, ["zpool", "status", "-v", "tank"])
      assert.strictEqual(filled.explanations[0].subject, "pool tank")
      // {device} is not in "pool tank", {new-device} is never known: both left for the administrator, and said so.
      assert.deepStrictEqual(filled.explanations[0].steps[4], {
        text: "replace the device with a new disk ({new-device}): ZFS resilvers onto it",
        class: "confirm",
        command: ["zpool", "replace", "tank", "{device}", "{new-device}"],
        unfilled: ["device", "new-device"]
      })
    })))

  it.effect("explains an alert's text: its code as `sigmavault events` prints it, an older alert's words, another name (ORACLE's evidence, FORTRESS's own code)", () =>
    run(Effect.gen(function*() {
      const { ask } = yield* boot
      const printed = yield* ask("explain", { finding: "[ZFS-8000-2Q] LATTICE pool tank: pool tank is DEGRADED (was ONLINE): One or more devices could not be opened." })
      assert.deepStrictEqual([printed.matched, printed.explanations[0].code], ["text", "ZFS-8000-2Q"])
      assert.deepStrictEqual(printed.explanations[0].steps[0].command, ["zpool", "status", "-v", "tank"])

      const words = yield* ask("explain", { finding: "tank: mirror-0/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL is FAULTED", agent: "LATTICE" })
      assert.strictEqual(words.explanations[0].code, "LATTICE-VDEV-FAULTED")
      assert.deepStrictEqual(words.explanations[0].steps.find((s: any) => s.command?.[1] === "clear").command,
        ["zpool", "clear", "tank", "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL"])

      const evidence = yield* ask("explain", { finding: "pending-growth", subject: "/dev/sdb" })
      assert.deepStrictEqual([evidence.matched, evidence.explanations[0].code, evidence.explanations[0].urgency], ["alias", "SMART-197-RISING", "critical"])
      const fortress = yield* ask("explain", { finding: "SSH_PASSWORD_AUTH: sshd accepts passwords (sshd -T: passwordauthentication yes)" })
      assert.strictEqual(fortress.explanations[0].code, "FORTRESS-SSH-PASSWORD-AUTH")
      const smart = yield* ask("explain", { finding: "SMART 197" })
      assert.strictEqual(smart.explanations[0].code, "SMART-197")
    })))

  it.effect("an unknown code is refused naming the nearest codes; the codes list is filterable by source", () =>
    run(Effect.gen(function*() {
      const { system, ask } = yield* boot
      const refused = yield* Effect.flip(system.ask("MENTOR", { type: "explain", finding: "ZFS-8000-9Q" }))
      assert.match(refused.message, /^MENTOR 'explain': no finding code matches 'ZFS-8000-9Q'; did you mean ZFS-8000-2Q, ZFS-8000-9P, ZFS-8000-JQ\?$/)
      const nothing = yield* Effect.flip(system.ask("MENTOR", { type: "remediation", finding: "the weather is nice" }))
      assert.match(nothing.message, /no finding code matches 'the weather is nice'; MENTOR `codes` lists every code it knows/)
      const zfs = yield* ask("codes", { source: "zfs" })
      assert.strictEqual(zfs.codes.length, 16)
      assert.isTrue(zfs.codes.every((c: any) => c.source === "zfs" && /^ZFS-8000-[0-9A-Z]{2}$/.test(c.code)))
      assert.strictEqual((yield* ask("codes")).codes.length, CATALOGUE.length)
    })))

  it.effect("remediation of a NEXUS incident: the steps for each of its alerts' codes, filled from each alert's subject", () =>
    run(Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 5, 3, 0, 0))
      const { system, ask } = yield* boot
      yield* system.inspection.publish({ _tag: "Alert", agent: "LATTICE", severity: "warning", subject: "pool tank", text: "pool tank is DEGRADED: One or more devices could not be opened.", code: "ZFS-8000-2Q" })
      yield* system.inspection.publish({ _tag: "Alert", agent: "ORACLE", severity: "critical", subject: "/dev/sdb", text: "/dev/sdb (WDC, serial X): critical, score 90: sectors pending reallocation (SMART 197) rose from 2 to 40", code: "SMART-197-RISING" })
      const waitOpen = (): Effect.Effect<any, unknown> =>
        Effect.flatMap(system.injectAsk(ROOT, "NEXUS", { type: "incidents" }), (reply: any) =>
          reply.feed.received >= 2 ? Effect.succeed(reply) : Effect.andThen(Effect.yieldNow, waitOpen()))
      yield* waitOpen()
      yield* TestClock.adjust(31_000)
      const listed: any = yield* system.injectAsk(ROOT, "NEXUS", { type: "incidents" })
      const ids = listed.incidents.map((i: any) => i.id).sort()
      assert.isAbove(ids.length, 0)
      const codes: Array<string> = []
      for (const id of ids) {
        const answer = yield* ask("remediation", { finding: id })
        assert.strictEqual(answer.matched, "incident")
        assert.strictEqual(answer.incident, id)
        for (const r of answer.remediations) codes.push(r.code)
        const pool = answer.remediations.find((r: any) => r.code === "ZFS-8000-2Q")
        if (pool !== undefined) assert.deepStrictEqual(pool.steps[0].command, ["zpool", "status", "-v", "tank"])
        const disk = answer.remediations.find((r: any) => r.code === "SMART-197-RISING")
        if (disk !== undefined) assert.isTrue(disk.steps.some((s: any) => s.command?.join(" ") === "sigmavault ask LATTICE {\"type\":\"scrub\",\"pool\":\"{pool}\",\"action\":\"start\"}"))
      }
      assert.deepStrictEqual(codes.sort(), ["SMART-197-RISING", "ZFS-8000-2Q"])
      const missing = yield* Effect.flip(system.ask("MENTOR", { type: "explain", finding: "inc-999" }))
      assert.match(missing.message, /inc-999/)
    })))

  it.effect("hostile input never reaches a command: an over-long finding is refused at the boundary; a subject's odd characters fill nothing", () =>
    run(Effect.gen(function*() {
      const { system, ask } = yield* boot
      const invalid = yield* Effect.flip(system.injectAsk(ROOT, "MENTOR", { type: "explain", finding: "x".repeat(4_001) }))
      assert.strictEqual((invalid as { _tag: string })._tag, "InvalidMessage")
      const blank = yield* Effect.flip(system.injectAsk(ROOT, "MENTOR", { type: "explain", finding: "   " }))
      assert.strictEqual((blank as { _tag: string })._tag, "InvalidMessage")
      const odd = yield* ask("remediation", { finding: "ZFS-8000-2Q", subject: "pool $(reboot)" })
      assert.deepStrictEqual(odd.remediations[0].steps[0].command, ["zpool", "status", "-v", "{pool}"])
    })))
})

describe("MENTOR's lookup", () => {
  it("subjects as the agents write them", () => {
    assert.deepStrictEqual(valuesOf("pool tank"), { pool: "tank" })
    assert.deepStrictEqual(valuesOf("/dev/nvme0"), { device: "/dev/nvme0" })
    assert.deepStrictEqual(valuesOf("link eth0"), { interface: "eth0" })
    assert.deepStrictEqual(valuesOf("snapshots of tank/photos"), { dataset: "tank/photos", pool: "tank" })
    assert.deepStrictEqual(valuesOf("migration m-20261207"), { migration: "m-20261207" })
    assert.deepStrictEqual(valuesOf("disk:sda"), { device: "/dev/sda" })
    assert.deepStrictEqual(valuesOf("smb share [public]"), { share: "public" })
    assert.deepStrictEqual(valuesOf("/srv/public"), { path: "/srv/public" })
    assert.deepStrictEqual(valuesOf("tank: mirror-0 is DEGRADED"), { pool: "tank" })
  })

  it("property: filled commands are argument vectors whose values come only from the safe alphabet; any text finds at most one entry without throwing", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.constantFrom(...CATALOGUE), (subject, entry) => {
      const values = valuesOf(subject)
      for (const value of Object.values(values)) assert.match(value, /^[A-Za-z0-9\/][A-Za-z0-9_.:\/@+-]*$/)
      for (const step of fill(entry.steps, values)) for (const arg of step.command ?? []) assert.notMatch(arg, /[;`$|&<>\n]/)
      find(INDEX, subject)
      nearMatches(INDEX, subject)
    }))
  })

  it("the hashed lookup finds what the catalogue scan (the bench's anchor) finds for each code in a line of text", () => {
    for (const entry of CATALOGUE) {
      const line = `[${entry.code}] SOMEONE subject: something happened`
      assert.strictEqual(find(INDEX, line)?.entry.code, entry.code)
      assert.strictEqual(scanFind(CATALOGUE, line)?.code !== undefined, true)
    }
    assert.strictEqual(distance("ZFS-8000-9Q", "ZFS-8000-9P", 3), 1)
    assert.strictEqual(distance("ABC", "XYZW", 1), 2)
  })
})
