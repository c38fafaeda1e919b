/**
 * Storage parsing and ORACLE's judgement, each against an anchor in the same run:
 * - `zpool status -j` of a 100-disk pool and `smartctl --json -x` of an ATA
 *   disk, parsed by our decoders vs `jq` reading the same documents (one jq
 *   process over N concatenated documents, so its start-up is amortised) and
 *   extracting the same kind of fields;
 * - ORACLE assessing 100 disks with a year of daily history each, vs parsing
 *   those 100 disks' smartctl reports (the work the daily run must do anyway).
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Result } from "effect"
import { parseSmartReport } from "../../src/adapters/smart/parse.ts"
import { ataJson } from "../../test/support/smartctlJson.ts"
import { parsePoolStatus } from "../../src/adapters/zfs/parse.ts"
import { syntheticStatusJson } from "../../test/support/zpoolJson.ts"
import { assess, type Observation, observe } from "../../src/actors/oracle/risk.ts"
import { now, round } from "../support.ts"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Our parser over `docs` copies, and jq with `filter` over the same copies in one file; milliseconds, median of 5. */
const versusJq = (doc: string, docs: number, parse: (text: string) => unknown, filter: string) => {
  const dir = mkdtempSync(join(tmpdir(), "sv-bench-jq-"))
  const file = join(dir, "docs.json")
  writeFileSync(file, Array(docs).fill(doc).join("\n"))
  const ours: Array<number> = []
  const jq: Array<number> = []
  for (let round = 0; round < 5; round++) {
    let t0 = now()
    for (let i = 0; i < docs; i++) parse(doc)
    ours.push(now() - t0)
    t0 = now()
    execFileSync("jq", ["-c", filter, file], { stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 30 })
    jq.push(now() - t0)
  }
  const oursMs = median(ours)
  const jqMs = median(jq)
  return {
    documents: docs,
    documentBytes: doc.length,
    oursMs: round(oursMs),
    oursDocsPerSecond: Math.round((docs / oursMs) * 1000),
    oursMBps: round((doc.length * docs) / oursMs / 1000),
    jqMs: round(jqMs),
    jqDocsPerSecond: Math.round((docs / jqMs) * 1000),
    ratioVsJq: round(jqMs / oursMs)
  }
}

export const zpoolParse = async () => {
  const doc = syntheticStatusJson(100)
  const check = parsePoolStatus(doc)
  if (Result.isFailure(check) || check.success[0]!.vdevs.flatMap((v) => v.children).length !== 100) throw new Error("synthetic pool did not parse")
  return {
    what: "zpool status -j --json-int, one pool of 100 disks in 10 raidz2 vdevs",
    ...versusJq(doc, 500, parsePoolStatus, "[.pools[] | .vdevs[] | .. | objects | select(.vdev_type == \"disk\") | {name, state, read_errors, write_errors, checksum_errors}]")
  }
}

export const smartParse = async () => {
  const doc = ataJson({ reallocated: 12, pending: 2, selfTestFailed: true })
  return {
    what: "smartctl --json -x of an ATA disk (attributes, self-test log)",
    ...versusJq(doc, 5000, (text) => parseSmartReport(text, 0, "/dev/sda"), "{passed: .smart_status.passed, attributes: [.ata_smart_attributes.table[] | {id, value, thresh, raw: .raw.value}], tests: [.ata_smart_self_test_log.standard.table[] | .status.passed]}")
  }
}

export const oracle = async () => {
  const DISKS = 100
  const DAYS = 365
  const DAY = 86_400_000
  const start = Date.UTC(2025, 0, 1)
  const reports = Array.from({ length: DISKS }, (_, d) => ataJson({ device: `/dev/sd${d}`, serial: `S${d}`, reallocated: d % 10 === 0 ? d : 0 }))
  const histories: Array<Array<Observation>> = reports.map((json, d) => {
    const report = Result.getOrThrow(parseSmartReport(json, 0, `/dev/sd${d}`))
    return Array.from({ length: DAYS }, (_, day) => ({
      ...observe(report, start + day * DAY),
      counters: { ...observe(report, 0).counters, reallocated: d % 10 === 0 ? Math.floor((d * day) / DAYS) : 0 }
    }))
  })
  const currents = reports.map((json, d) => observe(Result.getOrThrow(parseSmartReport(json, 0, `/dev/sd${d}`)), start + DAYS * DAY))
  const assessRuns: Array<number> = []
  const parseRuns: Array<number> = []
  let levels: Record<string, number> = {}
  for (let r = 0; r < 7; r++) {
    let t0 = now()
    levels = {}
    for (let d = 0; d < DISKS; d++) {
      const level = assess(`/dev/sd${d}`, currents[d]!, histories[d]!).level
      levels[level] = (levels[level] ?? 0) + 1
    }
    assessRuns.push(now() - t0)
    t0 = now()
    for (let d = 0; d < DISKS; d++) parseSmartReport(reports[d]!, 0, `/dev/sd${d}`)
    parseRuns.push(now() - t0)
  }
  const assessMs = median(assessRuns)
  const parseMs = median(parseRuns)
  return {
    what: `ORACLE assessing ${DISKS} disks with ${DAYS} days of daily history each`,
    assessAllMs: round(assessMs, 3),
    perDiskUs: round((assessMs * 1000) / DISKS),
    parseReportsMs: round(parseMs, 3),
    assessVsParse: round(assessMs / parseMs),
    levels
  }
}
