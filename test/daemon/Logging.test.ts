import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import { fieldValue, formatEntry, isJournalStream, loggerLayer, make, makeWriter } from "../../src/daemon/Logging.ts"

describe("log line format", () => {
  it("prefixes the syslog priority for journald, the level name otherwise", () => {
    const entry = (level: "Error" | "Warn" | "Info" | "Debug" | "Trace" | "Fatal") => ({ level, message: "m", annotations: {} })
    assert.deepStrictEqual(
      (["Fatal", "Error", "Warn", "Info", "Debug", "Trace"] as const).map((level) => formatEntry(entry(level), true)),
      ["<2>m", "<3>m", "<4>m", "<6>m", "<7>m", "<7>m"]
    )
    assert.strictEqual(formatEntry(entry("Warn"), false), "WARN m")
  })

  it("writes annotations as key=value, quoting values with spaces, and keeps one line", () => {
    const line = formatEntry({
      level: "Info",
      message: "pool imported\nsecond line",
      annotations: { agent: "ATLAS", pool: "my tank", n: 3, quote: 'a"b', empty: "" }
    }, false)
    assert.strictEqual(line, 'INFO pool imported\\nsecond line agent=ATLAS pool="my tank" n=3 quote="a\\"b" empty=""')
    assert.strictEqual(fieldValue("x=y"), '"x=y"')
  })

  it("trusts JOURNAL_STREAM only while stderr is the stream it names", () => {
    assert.isTrue(isJournalStream("8:1234", { dev: 8, ino: 1234 }))
    assert.isFalse(isJournalStream("8:1234", { dev: 8, ino: 99 }))
    assert.isFalse(isJournalStream(undefined, { dev: 8, ino: 1234 }))
    assert.isFalse(isJournalStream("garbage", undefined))
  })
})

describe("repeated errors", () => {
  it("writes an error once per window and sums up the repeats after it", () => {
    const lines: Array<string> = []
    const writer = makeWriter({ journal: true, write: (line) => lines.push(line), repeatWindowMs: 10_000 })
    const error = { level: "Error" as const, message: "cannot read /dev/sda", annotations: {} }
    writer.log(error, 0)
    for (let t = 1_000; t <= 4_000; t += 1_000) writer.log(error, t)
    writer.log({ level: "Info", message: "still here", annotations: {} }, 5_000)
    // A different error is not held back by the first.
    writer.log({ ...error, message: "cannot read /dev/sdb" }, 6_000)
    writer.log({ level: "Info", message: "later", annotations: {} }, 10_000)
    writer.log(error, 11_000)
    assert.deepStrictEqual(lines, [
      "<3>cannot read /dev/sda",
      "<6>still here",
      "<3>cannot read /dev/sdb",
      "<3>cannot read /dev/sda (repeated 4 times in 10 s)",
      "<6>later",
      "<3>cannot read /dev/sda"
    ])
  })

  it("never holds back info lines, and flush writes pending summaries", () => {
    const lines: Array<string> = []
    const writer = makeWriter({ journal: false, write: (line) => lines.push(line), repeatWindowMs: 10_000 })
    writer.log({ level: "Info", message: "tick", annotations: {} }, 0)
    writer.log({ level: "Info", message: "tick", annotations: {} }, 1)
    writer.log({ level: "Warn", message: "slow", annotations: {} }, 2)
    writer.log({ level: "Warn", message: "slow", annotations: {} }, 3)
    writer.flush()
    assert.deepStrictEqual(lines, ["INFO tick", "INFO tick", "WARN slow", "WARN slow (repeated 1 time in 10 s)"])
  })

  it.effect("as an Effect logger: annotations, the clock and the level filter all apply", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = make({ journal: true, write: (line) => lines.push(line), repeatWindowMs: 60_000 })
      const program = Effect.gen(function*() {
        yield* Effect.logError("scrub failed").pipe(Effect.annotateLogs({ pool: "tank", disk: "ata-WDC 1" }))
        yield* Effect.logError("scrub failed").pipe(Effect.annotateLogs({ pool: "tank", disk: "ata-WDC 1" }))
        yield* TestClock.adjust(60_000)
        yield* Effect.logInfo("ok")
        yield* Effect.logDebug("hidden by the minimum level")
      })
      yield* program.pipe(Effect.provide(Logger.layer([logger])))
      assert.deepStrictEqual(lines, [
        '<3>scrub failed pool=tank disk="ata-WDC 1"',
        '<3>scrub failed (repeated 1 time in 60 s) pool=tank disk="ata-WDC 1"',
        "<6>ok"
      ])
    }))

  it.effect("loggerLayer replaces the default logger, plain when JOURNAL_STREAM is unset", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      yield* Effect.logWarning("disk hot").pipe(Effect.provide(loggerLayer({}, { write: (line) => lines.push(line) })))
      assert.deepStrictEqual(lines, ["WARN disk hot"])
    }))
})
