/**
 * `chart SERIES`: a metric's history through CANVAS. Without -o, one
 * sparkline per series on the terminal with its min, max and last; with -o,
 * an SVG chart written atomically (an existing file is replaced only with
 * --force). SERIES is parsed here, strictly, before the daemon is asked.
 */
import { Effect, Exit } from "effect"
import type { Canvas } from "../actors/canvas/messages.ts"
import { parseSelector, type Selector } from "../actors/canvas/selector.ts"
import { labelText } from "../actors/canvas/series.ts"
import { parseDuration } from "../actors/canvas/time.ts"
import { Files } from "../adapters/fs/Files.ts"
import { runFileCommand } from "../adapters/fs/StdioLive.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, flag, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, failureOf, out } from "./output.ts"
import { type Env, withSession } from "./Session.ts"

type Reply<T extends string> = Protocol.Reply<Protocol.Typed<typeof Canvas, T>>

export interface ChartPlan {
  readonly selector: Selector
  readonly since: string
  /** undefined: sparklines on the terminal */
  readonly output: string | undefined
  readonly force: boolean
  readonly width: number | undefined
  readonly height: number | undefined
  readonly limit: number | undefined
}

/** The command line as a plan, or a usage error naming what is wrong. */
export const planChart = (parsed: Parsed): { readonly ok: true; readonly plan: ChartPlan } | { readonly ok: false; readonly message: string } => {
  const series = parsed.positional[0] ?? ""
  const selected = parseSelector(series)
  if (!selected.ok) return { ok: false, message: `SERIES '${series.slice(0, 120)}': ${selected.message}` }
  const since = flag(parsed, "--since") ?? "24h"
  const window = parseDuration(since)
  if (typeof window === "string") return { ok: false, message: `--since: ${window}` }
  const output = flag(parsed, "--output")
  if (output === "") return { ok: false, message: "-o needs a file name" }
  const svg = output !== undefined
  if (!svg && hasFlag(parsed, "--force")) return { ok: false, message: "--force only goes with -o FILE (it allows replacing FILE)" }
  if (!svg && hasFlag(parsed, "--height")) return { ok: false, message: "--height only goes with -o FILE (an SVG's height)" }
  const width = svg ? integerFlag(parsed, "--width", 320, 4000) : integerFlag(parsed, "--width", 8, 240)
  if (!width.ok) return { ok: false, message: `${width.message}${svg ? " (SVG pixels, with -o)" : " (sparkline characters)"}` }
  const height = integerFlag(parsed, "--height", 200, 3000)
  if (!height.ok) return { ok: false, message: height.message }
  const limit = svg ? integerFlag(parsed, "--limit", 1, 12) : integerFlag(parsed, "--limit", 1, 100)
  if (!limit.ok) return { ok: false, message: `${limit.message}${svg ? " (lines in one SVG chart)" : ""}` }
  return {
    ok: true,
    plan: { selector: selected.selector, since, output, force: hasFlag(parsed, "--force"), width: width.value, height: height.value, limit: limit.value }
  }
}

const selection = (plan: ChartPlan) => ({
  metric: plan.selector.metric,
  ...(plan.selector.matchers.length === 0 ? {} : { matchers: plan.selector.matchers }),
  since: plan.since,
  ...(plan.limit === undefined ? {} : { limit: plan.limit })
})

/** The sparklines as the terminal shows them: a heading, then per series its labels, its line and its figures. */
export const renderSparklines = (reply: Reply<"sparkline">): string => {
  const lines = [`${reply.selector} — ${reply.rate ? "rate per second, " : ""}${reply.unit === "" ? "" : `${reply.unit}, `}step ${reply.step / 1000} s`]
  for (const s of reply.series) {
    const labels = labelText(s.labels)
    lines.push(labels === "" ? reply.metric : labels)
    lines.push(`  ${s.line}  ${s.text}`)
  }
  if (reply.omitted > 0) lines.push(`${reply.omitted} more series not shown (--limit, or narrow SERIES with label matchers)`)
  return lines.join("\n") + "\n"
}

const nothingMatched = (selector: string) =>
  fail(`no series match ${selector} in the metric history (nothing recorded under that name and those labels yet)`)

export const runChartCommand = (parsed: Parsed, env: Env): Promise<number> => {
  const planned = planChart(parsed)
  if (!planned.ok) return Promise.resolve(fail(planned.message, EXIT.usage))
  const plan = planned.plan
  const output = plan.output
  return withSession(parsed, env, async (session) => {
    if (output === undefined) {
      const columns = process.stdout.isTTY ? process.stdout.columns : undefined
      const width = plan.width ?? (columns === undefined ? 60 : Math.max(8, Math.min(240, columns - 40)))
      const message = { type: "sparkline", ...selection(plan), width }
      const reply = await session.client.ask("CANVAS", message).then(
        (value) => value as Reply<"sparkline">,
        (error: Error) => error
      )
      if (reply instanceof Error) return session.failed(reply)
      if (reply.matched === 0) return nothingMatched(reply.selector)
      out(session.json ? JSON.stringify(reply) + "\n" : renderSparklines(reply))
      return EXIT.ok
    }
    const message = {
      type: "chart",
      ...selection(plan),
      ...(plan.width === undefined ? {} : { width: plan.width }),
      ...(plan.height === undefined ? {} : { height: plan.height }),
      utcOffsetMinutes: -new Date().getTimezoneOffset()
    }
    const reply = await session.client.ask("CANVAS", message).then((value) => value as Reply<"chart">, (error: Error) => error)
    if (reply instanceof Error) return session.failed(reply)
    if (reply.matched === 0) return nothingMatched(reply.selector)
    const written = await runFileCommand(Effect.gen(function*() {
      const files = yield* Files
      yield* files.writeAtomic(output, new TextEncoder().encode(reply.svg), { replace: plan.force, mode: 0o644 })
    }))
    if (Exit.isFailure(written)) {
      const message = failureOf(written)
      return fail(/exist/i.test(message) && !plan.force ? `${message}; pass --force to replace it` : message)
    }
    const { svg: _svg, ...about } = reply
    const drawn = reply.matched - reply.omitted
    out(session.json
      ? JSON.stringify({ ...about, output }) + "\n"
      : `wrote ${output}: ${drawn} series${reply.omitted > 0 ? ` (${reply.omitted} more not drawn)` : ""} of ${reply.selector}\n`)
    return EXIT.ok
  })
}
