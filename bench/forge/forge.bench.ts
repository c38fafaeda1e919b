/**
 * FORGE's differential on 1,000+ random specs (BENCH_FORGE_SPECS; two thirds
 * shares, one third timers), as in test/actors/forge-differential.test.ts:
 * how many FORGE accepted and refused, how many refusals the tool confirms (it
 * refuses or misreads the naive render) and how many rest on a named rule no
 * tool here can show, and the agreement both ways (goal: 100 %).
 *
 * Time per spec, against the anchor of running the tool alone on FORGE's
 * render (testparm, exportfs in its namespace, systemd-analyze verify): FORGE's
 * own work is the request's decoding and the render (plus, for a timer, the
 * `systemd-analyze calendar` call that render-timer makes).
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { Forge } from "../../src/actors/forge/messages.ts"
import { renderShare } from "../../src/actors/forge/share.ts"
import { calendarProblem, renderTimer } from "../../src/actors/forge/timer.ts"
import type { ShareSpec } from "../../src/actors/shared/fields.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { makeDifferential, type Outcome, shareInput, tally, timerInput } from "../../test/support/forgeDifferential.ts"
import { requireTools } from "../../test/support/tools.ts"
import { now, round } from "../support.ts"

const median = (xs: ReadonlyArray<number>) => xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mean = (xs: ReadonlyArray<number>) => xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length

export const forgeDifferential = async () => {
  requireTools("testparm", "exportfs", "unshare", "nsenter", "mount", "umount", "systemd-analyze")
  const total = Math.max(1_000, Number(process.env.BENCH_FORGE_SPECS ?? 1_000))
  const d = makeDifferential()
  try {
    const shareOutcomes: Array<Outcome> = []
    const timerOutcomes: Array<Outcome> = []
    const forgeShareMs: Array<number> = []
    const toolShareMs: Array<number> = []
    const forgeTimerMs: Array<number> = []
    const toolTimerMs: Array<number> = []
    const started = now()
    for (const input of fc.sample(shareInput(d.root), { numRuns: Math.ceil((total * 2) / 3), seed: 17 })) {
      const t0 = now()
      const decoded = Protocol.checkRequest(Forge, { type: "render-share", ...input })
      const rendered = Result.isSuccess(decoded) ? renderShare(decoded.success as unknown as ShareSpec) : undefined
      forgeShareMs.push(now() - t0)
      const outcome = await d.share(input)
      shareOutcomes.push(outcome)
      if (rendered !== undefined && Result.isSuccess(rendered) && outcome.kind === "accepted") {
        const text = rendered.success.files[0]!.text
        const t1 = now()
        await (input.protocol === "smb" ? d.smbTool(text) : d.nfsTool(text))
        toolShareMs.push(now() - t1)
      }
    }
    for (const input of fc.sample(timerInput, { numRuns: Math.floor(total / 3), seed: 17 })) {
      const t0 = now()
      const decoded = Protocol.checkRequest(Forge, { type: "render-timer", ...input })
      let files: ReadonlyArray<{ name: string; text: string }> | undefined
      if (Result.isSuccess(decoded)) {
        const spec = decoded.success as unknown as Parameters<typeof renderTimer>[0]
        if (calendarProblem(spec.onCalendar) === undefined) {
          const calendar = await d.calendarTool(spec.onCalendar)
          if (calendar.accepted) {
            const rendered = renderTimer(spec, calendar.reading)
            if (Result.isSuccess(rendered)) files = rendered.success.files.map((f) => ({ name: f.target, text: f.text }))
          }
        }
      }
      forgeTimerMs.push(now() - t0)
      const outcome = await d.timer(input)
      timerOutcomes.push(outcome)
      if (files !== undefined && outcome.kind === "accepted") {
        const t1 = now()
        await d.unitsTool(files)
        toolTimerMs.push(now() - t1)
      }
    }
    const all = tally([...shareOutcomes, ...timerOutcomes])
    const perSpecMs = (now() - started) / (shareOutcomes.length + timerOutcomes.length)
    return {
      what: `${all.specs} random specs (shares and timers) through FORGE and the real testparm, exportfs and systemd-analyze`,
      ...all,
      shares: tally(shareOutcomes),
      timers: tally(timerOutcomes),
      differentialMsPerSpec: round(perSpecMs),
      shareForgeUsMedian: round(median(forgeShareMs) * 1000),
      shareToolMsMedian: round(median(toolShareMs)),
      shareRatioForgeVsTool: round(mean(forgeShareMs) / mean(toolShareMs), 5),
      timerForgeMsMedian: round(median(forgeTimerMs)),
      timerToolMsMedian: round(median(toolTimerMs)),
      timerRatioForgeVsTool: round(mean(forgeTimerMs) / mean(toolTimerMs), 3)
    }
  } finally {
    d.close()
  }
}
