import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as fc from "fast-check"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import { make as runnerLive } from "../../../src/adapters/command/CommandRunnerLive.ts"
import { decodeExitStatus, parseScan, parseSmartReport, rawCountersOf } from "../../../src/adapters/smart/parse.ts"
import { make } from "../../../src/adapters/smart/SmartLive.ts"
import { existsSync } from "node:fs"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/smart", name), "utf8")
const exitOf = (text: string) => (JSON.parse(text).smartctl?.exit_status as number | undefined) ?? 0
const report = (name: string) => {
  const text = fixture(name)
  const result = parseSmartReport(text, exitOf(text), "/dev/x")
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}
const attribute = (r: ReturnType<typeof report>, id: number) => r.attributes!.find((a) => a.id === id)!

describe("smartctl --json -x", () => {
  it("a healthy ATA disk", () => {
    const r = report("ata-hdd-healthy.json")
    assert.deepStrictEqual([r.protocol, r.model, r.serial, r.passed, r.temperatureC, r.rotationRateRpm], ["ATA", "WDC WD40EFRX-68N32N0", "WD-WCC7K1ABCDEF", true, 34, 5400])
    assert.strictEqual(attribute(r, 5).rawCount, 0)
    assert.deepStrictEqual(attribute(r, 194).rawCounters, [34])
    assert.deepStrictEqual([r.selfTests!.total, r.selfTests!.failed, r.selfTests!.mostRecentFailed], [1, 0, false])
    assert.isFalse(r.exitStatus.diskFailing)
  })

  it("a failing ATA disk: counters, attribute at threshold now, failed self-test, exit bits", () => {
    const r = report("ata-hdd-failing.json")
    assert.strictEqual(r.passed, false)
    const realloc = attribute(r, 5)
    assert.deepStrictEqual([realloc.rawCount, realloc.value, realloc.threshold, realloc.prefailure, realloc.whenFailed], [1832, 140, 140, true, "now"])
    assert.deepStrictEqual([attribute(r, 197).rawCount, attribute(r, 198).rawCount, attribute(r, 187).rawCount], [24, 24, 17])
    assert.deepStrictEqual([r.selfTests!.failed, r.selfTests!.mostRecentFailed, r.selfTests!.mostRecent!.status], [1, true, "Completed: read failure"])
    assert.deepStrictEqual([r.exitStatus.code, r.exitStatus.diskFailing, r.exitStatus.prefailAtThreshold, r.exitStatus.selfTestErrors], [152, true, true, true])
  })

  it("attribute 188 packing three counters reads as counts, not 4 billion", () => {
    const timeout = attribute(report("ata-seagate-packed-188.json"), 188)
    assert.strictEqual(timeout.rawValue, 4295032833)
    assert.deepStrictEqual([timeout.rawCounters, timeout.rawCount], [[1, 1, 1], 1])
    assert.deepStrictEqual(rawCountersOf("12345h+06m+07.123s", 12345), [12345])
  })

  it("an SSD, NVMe healthy and failing, SCSI", () => {
    const ssd = report("ata-ssd.json")
    assert.deepStrictEqual([ssd.rotationRateRpm, ssd.attributes!.some((a) => a.id === 197)], [0, false])
    const good = report("nvme-healthy.json")
    assert.deepStrictEqual([good.protocol, good.nvme!.criticalWarning, good.nvme!.availableSpare, good.nvme!.percentageUsed], ["NVMe", 0, 100, 2])
    const bad = report("nvme-failing.json")
    assert.deepStrictEqual(
      [bad.nvme!.criticalWarning, bad.nvme!.availableSpare, bad.nvme!.availableSpareThreshold, bad.nvme!.percentageUsed, bad.nvme!.mediaErrors, bad.passed],
      [5, 5, 10, 103, 12, false]
    )
    const sas = report("scsi-sas-grown-defects.json")
    assert.deepStrictEqual([sas.protocol, sas.model, sas.scsi!.grownDefectList, sas.scsi!.uncorrectedReadErrors, sas.temperatureC], ["SCSI", "SEAGATE ST4000NM0023", 56, 3, 41])
  })

  it("a device smartctl cannot read is SmartUnreadable with smartctl's own words", () => {
    for (const [name, words] of [
      ["real-open-failed", "Smartctl open device: /dev/sda failed: No such device"],
      ["real-dev-null", "/dev/null: Unable to detect device type"],
      ["real-bad-option", "=======> UNRECOGNIZED OPTION: bogus-option"]
    ] as const) {
      const result = parseSmartReport(fixture(`${name}.json`), Number(fixture(`${name}.exit`)), "/dev/x")
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) assert.strictEqual(result.failure.message, `cannot read SMART data of /dev/x: ${words}`)
    }
    const usb = parseSmartReport(fixture("usb-bridge-unknown.json"), 1, "/dev/sde")
    assert.isTrue(Result.isFailure(usb) && /Unknown USB bridge.*-d option/s.test(usb.failure.message))
  })

  it("exit status bits", () => {
    assert.deepStrictEqual(decodeExitStatus(0x42), { ...decodeExitStatus(0), code: 0x42, deviceOpenFailed: true, errorLogHasErrors: true })
    assert.isTrue(decodeExitStatus(0x80).selfTestErrors && decodeExitStatus(0x20).pastAtThreshold && decodeExitStatus(1).commandLineError)
  })

  it("--scan-open: none found, and devices with an open error", () => {
    assert.deepStrictEqual(Result.getOrThrow(parseScan(fixture("real-scan-open-empty.json"))), [])
    const found = Result.getOrThrow(parseScan(JSON.stringify({ devices: [{ name: "/dev/sda", type: "sat", protocol: "ATA" }, { name: "/dev/sdb", type: "scsi", protocol: "SCSI", open_error: "/dev/sdb: Permission denied" }] })))
    assert.deepStrictEqual(found.map((d) => [d.name, d.openError]), [["/dev/sda", undefined], ["/dev/sdb", "/dev/sdb: Permission denied"]])
  })

  it("never throws; a bad field is named", () => {
    const doc = JSON.parse(fixture("ata-hdd-failing.json"))
    doc.ata_smart_attributes.table[1].raw.value = "lots"
    const bad = parseSmartReport(JSON.stringify(doc), 0, "/dev/sdb")
    assert.strictEqual(Result.isFailure(bad) && bad.failure.message, "cannot read smartctl --json -x output: at ata_smart_attributes.table.1.raw.value: expected a number, got \"lots\"")
    const texts = ["ata-hdd-failing.json", "nvme-failing.json", "scsi-sas-grown-defects.json"].map(fixture)
    for (const text of texts) for (let cut = 0; cut < text.length; cut += 13) assert.doesNotThrow(() => parseSmartReport(text.slice(0, cut), 0, "/dev/x"))
    fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 255 }), (value, code) => {
      const result = parseSmartReport(JSON.stringify(value), code, "/dev/x")
      if (Result.isFailure(result)) assert.include(["DecodeError", "SmartUnreadable"], result.failure._tag)
      const scan = parseScan(JSON.stringify(value))
      if (Result.isFailure(scan)) assert.strictEqual(scan.failure._tag, "DecodeError")
    }))
  })
})

describe("the live SMART adapter", () => {
  it.effect("runs smartctl --json -x on a validated device; hostile devices never reach it", () =>
    Effect.gen(function*() {
      const runner = CommandRunnerTest.make({ "smartctl --json -x /dev/sdb": { stdout: fixture("ata-hdd-failing.json"), exitCode: 152 } })
      const smart = make(runner.service)
      assert.strictEqual((yield* smart.read("sdb")).passed, false)
      for (const device of ["-a", "/dev/../etc/passwd", "sda;reboot", "$(id)", "/etc/shadow"]) {
        assert.strictEqual((yield* Effect.flip(smart.read(device)))._tag, "InvalidName")
      }
      assert.deepStrictEqual(runner.calls, ["smartctl --json -x /dev/sdb"])
      assert.strictEqual((yield* Effect.flip(make(CommandRunnerTest.make({}).service).scan)).message, "smartmontools is not installed (smartctl is not on PATH)")
    }))

  it.effect.skipIf(!existsSync("/usr/sbin/smartctl"))("the real smartctl on a device it cannot open", () =>
    Effect.gen(function*() {
      const smart = make(runnerLive({ path: `/usr/sbin:${process.env.PATH}` }))
      const error = yield* Effect.flip(smart.read("/dev/sigmavault-no-such-disk"))
      assert.strictEqual(error._tag, "SmartUnreadable")
      assert.match(error.message, /sigmavault-no-such-disk/)
    }))
})
