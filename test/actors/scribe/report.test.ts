/**
 * SCRIBE: reports from fixed agent answers (stand-ins speaking the real
 * protocols) and a fixed clock, compared with the golden files under
 * test/fixtures/scribe/ (<kind>.json and <kind>.md). After a deliberate
 * change of a report's content or layout, regenerate them with
 *
 *   UPDATE_GOLDEN=1 node --import ./test/support/node20.mjs node_modules/vitest/vitest.mjs run test/actors/scribe/report.test.ts
 *
 * and review the diff. Also: missing and planned agents make their sections
 * say so; the archive's bounds; LEDGER's hash catches a modified report; a
 * report needs its strictest source's access; ORBIT writes them on schedule.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { makePolicy } from "../../../src/access/Policy.ts"
import { orbitAgent, OrbitConfig } from "../../../src/actors/orbit/index.ts"
import { defaultScribeConfig, ScribeConfig, type ScribeConfigShape } from "../../../src/actors/scribe/config.ts"
import { scribeAgent } from "../../../src/actors/scribe/index.ts"
import { REPORT_KINDS, type ReportDocument, type ReportEntry, Scribe } from "../../../src/actors/scribe/messages.ts"
import { renderHtml, renderMarkdown } from "../../../src/actors/scribe/render.ts"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { MetricHistory } from "../../../src/history/History.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import type { AgentDefinition } from "../../../src/runtime/Agent.ts"
import type { Caller } from "../../../src/runtime/Caller.ts"
import type { Gate } from "../../../src/runtime/Gate.ts"
import { decodedReply, ROOT, tree, watch } from "../../support/agents.ts"
import {
  axiom,
  fortress,
  LEDGER_WEEK,
  lattice,
  memoryLedger,
  nexus,
  NOW,
  omniscient,
  oracle,
  orbit,
  plannedVanguard,
  seededHistory,
  sentry,
  vanguard
} from "./fixture.ts"

const GOLDEN = join(import.meta.dirname, "../../fixtures/scribe")
const UPDATE = process.env["UPDATE_GOLDEN"] === "1"
const DIR = "/var/lib/sigmavault/reports"

const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "socket" }
const OPERATOR: Caller = { uid: 1000, gid: 500, groups: [], via: "socket" }
const policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [{ name: "ops", gid: 500 }], admin: [] })
const gate: Gate = { check: policy.check, record: () => Effect.void, refused: () => {} }

const message = (type: string) => Scribe.get(type)!

interface World {
  readonly agents?: ReadonlyArray<AgentDefinition>
  readonly config?: Partial<ScribeConfigShape>
  readonly ledger?: ReturnType<typeof memoryLedger>
}

/** SCRIBE among the stand-ins, over an in-memory file system, the clock at NOW. */
const boot = (world: World = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(NOW)
    const history = yield* seededHistory()
    const files = FilesTest.make()
    const ledger = world.ledger ?? memoryLedger(LEDGER_WEEK)
    const agents = world.agents ?? [omniscient, lattice, oracle, sentry, nexus, axiom, fortress, orbit, vanguard]
    const config: ScribeConfigShape = { ...defaultScribeConfig, dir: DIR, schedule: undefined, ...world.config }
    const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [...agents, ledger.agent, scribeAgent]), gate }).pipe(
      Effect.provideService(MetricHistory, history),
      Effect.provide(Layer.mergeAll(files.layer, Layer.succeed(ScribeConfig, config)))
    )
    const ask = (request: Record<string, unknown>, caller: Caller = ROOT) =>
      Effect.map(system.injectAsk(caller, "SCRIBE", request, { timeoutMs: 60_000 }), (wire) =>
        decodedReply(message(request["type"] as string), wire) as any)
    const refusal = (request: Record<string, unknown>, caller: Caller = ROOT) =>
      Effect.map(Effect.exit(system.injectAsk(caller, "SCRIBE", request, { timeoutMs: 60_000 })), (exit) => {
        assert.isTrue(Exit.isFailure(exit), `${JSON.stringify(request)} is refused`)
        const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as { _tag: string; message: string; rejection?: { _tag: string } }
        return { tag: error.rejection?._tag ?? error._tag, message: error.message }
      })
    const read = (path: string) => Effect.map(files.service.readFile(path), (bytes) => new TextDecoder().decode(bytes))
    const write = (path: string, text: string) => files.service.writeAtomic(path, new TextEncoder().encode(text), { replace: true })
    const list = files.service.list(DIR)
    return { system, ask, refusal, read, write, list, ledger }
  })

const golden = (name: string, actual: string) => {
  const file = join(GOLDEN, name)
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`${file} is missing: run with UPDATE_GOLDEN=1 to write it, then review it`)
    mkdirSync(GOLDEN, { recursive: true })
    writeFileSync(file, actual)
    return
  }
  assert.strictEqual(actual, readFileSync(file, "utf8"), `${name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)`)
}

describe("SCRIBE reports", () => {
  for (const kind of REPORT_KINDS) {
    it.effect(`the ${kind} report, JSON and Markdown, matches its golden files`, () =>
      Effect.gen(function*() {
        const { ask, read } = yield* boot()
        const reply = yield* ask({ type: "report", kind, format: "json" })
        const document = reply.document as ReportDocument
        const archived = yield* read(`${DIR}/${document.id}.json`)
        assert.strictEqual(archived, `${JSON.stringify(document, null, 2)}\n`, "the archived file is the JSON document")
        golden(`${kind}.json`, archived)
        golden(`${kind}.md`, renderMarkdown(document))
        if (kind === "health") golden("health.html", renderHtml(document))
        // The Markdown reply is the same rendering of the same document.
        const again = yield* ask({ type: "get-report", id: document.id })
        assert.strictEqual(again.markdown, renderMarkdown(document))
      }))
  }

  it.effect("a missing agent and a planned one make their sections say so, with no figures", () =>
    Effect.gen(function*() {
      // No SENTRY, no NEXUS, no FORTRESS at all; VANGUARD planned.
      const { ask } = yield* boot({ agents: [omniscient, lattice, oracle, axiom, orbit, plannedVanguard] })
      const health = (yield* ask({ type: "report", kind: "health", format: "json" })).document as ReportDocument
      const byTitle = (d: ReportDocument, title: string) => d.sections.find((s) => s.title === title)!
      const resources = byTitle(health, "Resource alerts")
      assert.strictEqual(resources.state, "unavailable")
      assert.deepStrictEqual([resources.facts, resources.table], [[], undefined])
      assert.match(resources.note!, /^SENTRY did not answer: /)
      assert.strictEqual(byTitle(health, "Open incidents").state, "unavailable")
      assert.include(health.summary, "4 of 6 sources answered")
      const security = (yield* ask({ type: "report", kind: "security", format: "json" })).document as ReportDocument
      const updates = byTitle(security, "Updates")
      assert.strictEqual(updates.state, "planned")
      assert.match(updates.note!, /^not built yet: lists upgradable packages/)
      assert.strictEqual(byTitle(security, "Security audit").state, "unavailable")
      // Nothing wrong was seen, but the report cannot say all is well.
      assert.strictEqual(security.status, "incomplete")
      assert.deepStrictEqual(security.findings.filter((f) => f.severity !== "info"), [])
      const markdown = renderMarkdown(security)
      assert.include(markdown, "_Source: VANGUARD updates (not built yet)._")
      assert.include(markdown, "_Source: FORTRESS findings (did not answer)._")
    }))

  it.effect("the archive keeps the newest `keep` reports, and no more bytes than `maxBytes` (the newest always stays)", () =>
    Effect.gen(function*() {
      const { ask, list } = yield* boot({ config: { keep: 3 } })
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push(((yield* ask({ type: "report", kind: "activity" })).entry as ReportEntry).id)
        yield* TestClock.adjust("1 hour")
      }
      const listed = yield* ask({ type: "reports" })
      assert.deepStrictEqual(listed.reports.map((e: ReportEntry) => e.id), ids.slice(2).reverse(), "newest first, the two oldest gone")
      assert.deepStrictEqual([...(yield* list)], [...ids.slice(2).map((id) => `${id}.json`), "index.json"].sort())
      assert.strictEqual(listed.keep, 3)
      assert.strictEqual(listed.bytes, listed.reports.reduce((sum: number, e: ReportEntry) => sum + e.bytes, 0))
      assert.deepStrictEqual((yield* ask({ type: "reports", kind: "health" })).reports, [])
      const gone = yield* (yield* boot({ config: { keep: 3 } })).refusal({ type: "get-report", id: ids[0] })
      assert.strictEqual(gone.tag, "NoSuchReport")
    }))

  it.effect("a byte bound smaller than two reports keeps only the newest", () =>
    Effect.gen(function*() {
      const { ask, list } = yield* boot({ config: { maxBytes: 1_048_576 / 1024 } })
      yield* ask({ type: "report", kind: "health" })
      yield* TestClock.adjust("1 second")
      const newest = (yield* ask({ type: "report", kind: "health" })).entry as ReportEntry
      assert.deepStrictEqual([...(yield* list)], [`${newest.id}.json`, "index.json"])
    }))

  it.effect("two reports of a kind in one second get distinct ids", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot()
      const first = (yield* ask({ type: "report", kind: "health" })).entry as ReportEntry
      const second = (yield* ask({ type: "report", kind: "health" })).entry as ReportEntry
      assert.deepStrictEqual([first.id, second.id], ["health-20261207T070000Z", "health-20261207T070000Z-2"])
    }))

  it.effect("each report's SHA-256 is in LEDGER; verify-report catches a modified or removed file, and alerts", () =>
    Effect.gen(function*() {
      const { ask, write, system, ledger } = yield* boot()
      const events = yield* watch(system)
      const entry = (yield* ask({ type: "report", kind: "capacity" })).entry as ReportEntry
      const recorded = ledger.entries.at(-1)!
      assert.deepStrictEqual([recorded.actor, recorded.action, recorded.detail["id"], recorded.detail["sha256"]], ["SCRIBE", "report.archived", entry.id, entry.sha256])
      assert.deepStrictEqual(entry.ledger, { seq: recorded.seq, hash: recorded.hash })
      const intact = yield* ask({ type: "verify-report", id: entry.id })
      assert.deepStrictEqual([intact.verdict, intact.fileSha256, intact.ledgerSha256, intact.chainOk], ["intact", entry.sha256, entry.sha256, true])

      // One figure changed in the archived file: still a valid report, no longer the one recorded.
      const path = `${DIR}/${entry.id}.json`
      const original = yield* Effect.map(ask({ type: "get-report", id: entry.id, format: "json" }), (r) => r.document as ReportDocument)
      const forged = { ...original, summary: original.summary.replace("critical", "ok"), status: "ok" as const }
      yield* write(path, `${JSON.stringify(forged, null, 2)}\n`)
      const modified = yield* ask({ type: "verify-report", id: entry.id })
      assert.strictEqual(modified.verdict, "modified")
      assert.strictEqual(modified.ledgerSha256, entry.sha256)
      assert.notStrictEqual(modified.fileSha256, entry.sha256)
      assert.match(modified.detail, /the archived report was modified$/)
      const alert = yield* events.until((e) => e._tag === "Alert")
      assert.deepStrictEqual([(alert as any).code, (alert as any).severity, (alert as any).subject], ["SCRIBE-REPORT-MODIFIED", "critical", `report ${entry.id}`])

      // A report LEDGER never heard of is "unrecorded", not "intact".
      const lost = memoryLedger()
      const other = yield* boot({ ledger: lost })
      const second = (yield* other.ask({ type: "report", kind: "health" })).entry as ReportEntry
      lost.entries.length = 0
      assert.strictEqual((yield* other.ask({ type: "verify-report", id: second.id })).verdict, "unrecorded")
    }))

  it.effect("a report needs the access of its strictest source: a reader reads health reports but not one with FORTRESS's findings", () =>
    Effect.gen(function*() {
      const { ask, refusal } = yield* boot()
      // Writing a report changes the archive and LEDGER: operate.
      const denied = yield* refusal({ type: "report", kind: "health" }, READER)
      assert.strictEqual(denied.tag, "AccessDenied")
      const health = (yield* ask({ type: "report", kind: "health" })).entry as ReportEntry
      const security = (yield* ask({ type: "report", kind: "security" })).entry as ReportEntry
      assert.deepStrictEqual([health.access, security.access], ["read", "admin"])
      // The reader lists both, reads the health report, and is refused the security one, naming why.
      assert.sameMembers((yield* ask({ type: "reports" }, READER)).reports.map((e: ReportEntry) => e.id), [health.id, security.id])
      assert.include((yield* ask({ type: "get-report", id: health.id }, READER)).markdown, "# Health report")
      const withheld = yield* refusal({ type: "get-report", id: security.id }, READER)
      assert.strictEqual(withheld.tag, "ReportWithheld")
      assert.isTrue(withheld.message.endsWith(`report '${security.id}' includes FORTRESS findings, which need admin access; uid 1001 (socket) may not read it`), withheld.message)
      // An operator's own security report leaves FORTRESS out, says why, and so is readable to readers.
      const own = (yield* ask({ type: "report", kind: "security", format: "json" }, OPERATOR))
      const audit = (own.document as ReportDocument).sections.find((s) => s.title === "Security audit")!
      assert.deepStrictEqual([audit.state, audit.note], ["withheld", "withheld: FORTRESS 'findings' needs admin access, and uid 1000 (socket) has less"])
      assert.strictEqual((own.entry as ReportEntry).access, "read")
      assert.include((yield* ask({ type: "get-report", id: own.entry.id }, READER)).markdown, "(withheld)")
    }))

  it("text from a source cannot break out of a Markdown table or into HTML markup", () => {
    const document = JSON.parse(readFileSync(join(GOLDEN, "health.json"), "utf8")) as ReportDocument
    const hostile = "<script>alert(1)</script> | new cell\n# heading & \"quote\" 'single'"
    const tampered: ReportDocument = {
      ...document,
      findings: [{ severity: "warning", subject: hostile, text: hostile, source: "NEXUS incidents" }],
      sections: document.sections.map((s) => s.table === undefined ? s : { ...s, table: { ...s.table, rows: s.table.rows.map((r) => [hostile, ...r.slice(1)]) } })
    }
    const markdown = renderMarkdown(tampered)
    const row = markdown.split("\n").find((line) => line.startsWith("| warning |"))!
    // Five cells, as the header has: the pipe is escaped, the line break folded.
    assert.strictEqual(row.split(/(?<!\\)\|/).length - 2, 5, row)
    assert.notInclude(markdown, "\n# heading")
    const html = renderHtml(tampered)
    assert.notInclude(html, "<script>")
    assert.include(html, "&lt;script&gt;alert(1)&lt;/script&gt; | new cell")
    assert.include(html, "&quot;quote&quot; &#39;single&#39;")
  })

  it.effect("get-report renders HTML from the archived JSON", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot()
      const entry = (yield* ask({ type: "report", kind: "activity" })).entry as ReportEntry
      const html = (yield* ask({ type: "get-report", id: entry.id, format: "html" })).html as string
      assert.match(html, /^<!DOCTYPE html>\n/)
      assert.include(html, "<h1>Activity report</h1>")
      assert.notInclude(html, "<script")
    }))

  it.effect("hostile ids are refused at the boundary, naming the field", () =>
    Effect.gen(function*() {
      const { refusal } = yield* boot()
      for (const id of ["../../etc/passwd", "health-20261207T070000Z/../x", "index", "health-20261207T070000Z.json"]) {
        const refused = yield* refusal({ type: "get-report", id })
        assert.strictEqual(refused.tag, "InvalidMessage", id)
        assert.include(refused.message, "id", id)
      }
    }))

  /** ORBIT, OMNISCIENT, LEDGER and SCRIBE over `store` (ORBIT keeps its added schedules there, across "restarts"). */
  const orbitWorld = (store: StateStoreTest.StateStoreTestShape, config: Partial<ScribeConfigShape>) =>
    Effect.gen(function*() {
      const history = yield* seededHistory([])
      const system = yield* ActorSystem.make({
        root: tree<any>("root", "one_for_one", [orbitAgent, omniscient, memoryLedger().agent, scribeAgent])
      }).pipe(
        Effect.provideService(MetricHistory, history),
        Effect.provideService(StateStore, store),
        Effect.provide(Layer.mergeAll(
          FilesTest.make().layer,
          Layer.succeed(ScribeConfig, { ...defaultScribeConfig, dir: DIR, ...config }),
          Layer.succeed(OrbitConfig, { timeZone: "UTC", schedules: [] })
        ))
      )
      type Listed = ReadonlyArray<{ name: string; addedBy: string; cron: string; nextRun: string | null }>
      const list = Effect.map(system.injectAsk(ROOT, "ORBIT", { type: "list" }), (r) => (r as { schedules: Listed }).schedules)
      /** The schedules once SCRIBE's background registration has settled on `expected` names (or after 20 s of test time). */
      const settled = (expected: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          let listed: Listed = []
          for (let i = 0; i < 20; i++) {
            yield* TestClock.adjust("1 second")
            listed = yield* list
            if (JSON.stringify(listed.map((s) => s.name).sort()) === JSON.stringify([...expected].sort())) break
          }
          return listed.map((s) => [s.name, s.cron, s.addedBy] as const).sort()
        })
      return { system, settled }
    })

  it.effect("weekly through ORBIT: one schedule per kind, owned by the daemon; when it fires, the reports are archived", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW - 3_600_000)
      const store = yield* StateStoreTest.make()
      const { system, settled } = yield* orbitWorld(store, { kinds: ["health", "activity"] })
      assert.deepStrictEqual(yield* settled(["scribe-activity", "scribe-health"]), [
        ["scribe-activity", "0 7 * * 1", "the daemon"],
        ["scribe-health", "0 7 * * 1", "the daemon"]
      ])
      yield* TestClock.setTime(NOW + 1000)
      let reports: ReadonlyArray<ReportEntry> = []
      for (let i = 0; i < 50 && reports.length < 2; i++) {
        yield* TestClock.adjust("10 millis")
        reports = ((yield* system.injectAsk(ROOT, "SCRIBE", { type: "reports" })) as { reports: ReadonlyArray<ReportEntry> }).reports
      }
      assert.sameMembers(reports.map((e) => e.id), ["health-20261207T070000Z", "activity-20261207T070000Z"])
      assert.isTrue(reports.every((e) => e.requestedBy === "the daemon" && e.ledger !== null))
    }).pipe(Effect.scoped))

  it.effect("a changed scribe_schedule replaces the daemon's schedules at the next start; none removes them; a hand-made one stays", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW - 86_400_000)
      const store = yield* StateStoreTest.make()
      const HAND: Caller = { uid: 1000, gid: 1000, groups: [], via: "socket" }
      yield* Effect.scoped(Effect.gen(function*() {
        const { system, settled } = yield* orbitWorld(store, { kinds: ["health", "activity"] })
        yield* settled(["scribe-activity", "scribe-health"])
        // Someone's own schedule under one of SCRIBE's names: never SCRIBE's to change.
        yield* system.injectAsk(HAND, "ORBIT", { type: "add", name: "scribe-capacity", cron: "0 9 * * *", target: "SCRIBE", message: { type: "report", kind: "capacity" } })
      }))
      yield* Effect.scoped(Effect.gen(function*() {
        const { settled } = yield* orbitWorld(store, { schedule: "0 6 * * *", kinds: ["health", "capacity"] })
        assert.deepStrictEqual(yield* settled(["scribe-capacity", "scribe-health"]), [
          ["scribe-capacity", "0 9 * * *", "uid 1000"],
          ["scribe-health", "0 6 * * *", "the daemon"]
        ])
      }))
      yield* Effect.scoped(Effect.gen(function*() {
        const { settled } = yield* orbitWorld(store, { schedule: undefined })
        assert.deepStrictEqual(yield* settled(["scribe-capacity"]), [["scribe-capacity", "0 9 * * *", "uid 1000"]])
      }))
    }))
})

