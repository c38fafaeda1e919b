/**
 * `plan list|show|run|cancel|resume`: APEX's plans. `run FILE` (or - for
 * stdin) prints the dry run first and starts the plan only with --yes or a
 * "y" typed at a terminal; then it follows the plan until it ends (progress
 * on a terminal) unless --detach.
 */
import { readFileSync } from "node:fs"
import { createInterface } from "node:readline/promises"
import { Result } from "effect"
import { type Apex, MAX_TASKS_SHOWN } from "../actors/apex/messages.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, hasFlag, type Parsed } from "./args.ts"
import type { Client } from "./Client.ts"
import { fail, out, parseJson } from "./output.ts"
import { type Env, type Session, withSession } from "./Session.ts"

type Reply<T extends string> = Protocol.Reply<Protocol.Typed<typeof Apex, T>>
type DryRun = Extract<Reply<"run">, { readonly dryRun: true }>
type Started = Exclude<Reply<"run">, { readonly dryRun: true }>
type PlanView = Reply<"plan">

/** How often a followed plan is read again. */
const FOLLOW_INTERVAL_MS = 250

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - text.length))

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  if (rows.length === 0) return ""
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]! + 2))).join("").trimEnd()).join("\n") + "\n"
}

export const renderDryRun = (dry: DryRun): string =>
  `plan: ${dry.goal}\n` +
  `${dry.taskCount} task${dry.taskCount === 1 ? "" : "s"} in ${dry.levels.length} level${dry.levels.length === 1 ? "" : "s"}, at most ${dry.concurrency} at once` +
  `${dry.changesState ? "; it changes state" : "; read-only"}\n\n` +
  table([
    ["LEVEL", "TASK", "AGENT", "MESSAGE", "ACCESS", "AFTER"],
    ...dry.tasks
      .slice()
      .sort((a, b) => a.level - b.level)
      .map((t) => [String(t.level), t.id, t.agent, JSON.stringify(t.message), t.access, t.after.join(",") || "-"])
  ]) +
  (dry.taskCount > dry.tasks.length ? `… and ${dry.taskCount - dry.tasks.length} more tasks (--json shows the order of all)\n` : "")

const counted = (counts: PlanView["counts"]) =>
  Object.entries(counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(", ")

export const renderPlan = (plan: PlanView): string =>
  `plan ${plan.id}: ${plan.goal}\n` +
  `state ${plan.state}, run by ${plan.owner}, created ${plan.createdAt}${plan.endedAt === null ? "" : `, ended ${plan.endedAt}`}\n` +
  `${plan.tasks} tasks: ${counted(plan.counts)}\n` +
  (plan.reason === null ? "" : `${plan.reason}\n`) +
  "\n" +
  table([
    ["TASK", "AGENT", "MESSAGE", "STATE", "TRIES", "MS", "RESULT"],
    ...plan.taskPage.map((t) => [
      t.id,
      t.agent,
      t.type,
      t.state,
      String(t.attempts),
      t.durationMs === null ? "-" : String(t.durationMs),
      t.error !== undefined ? `${t.error.tag}: ${t.error.message}` : "reply" in t ? JSON.stringify(t.reply).slice(0, 60) : "-"
    ])
  ])

const renderList = (reply: Reply<"plans">): string =>
  reply.plans.length === 0
    ? "no plans\n"
    : table([
      ["ID", "STATE", "TASKS", "OWNER", "CREATED", "GOAL"],
      ...reply.plans.map((p) => [p.id, p.state, `${p.counts.succeeded}/${p.tasks}`, p.owner, p.createdAt, p.goal])
    ])

/** Every task of a plan, a page at a time (one answer holds at most MAX_TASKS_SHOWN). */
const wholePlan = async (client: Client, id: string): Promise<PlanView> => {
  const first = (await client.ask("APEX", { type: "plan", id, offset: 0, limit: MAX_TASKS_SHOWN } as { type: string })) as PlanView
  const pages = [...first.taskPage]
  while (pages.length < first.tasks) {
    const next = (await client.ask("APEX", { type: "plan", id, offset: pages.length, limit: MAX_TASKS_SHOWN } as { type: string })) as PlanView
    if (next.taskPage.length === 0) break
    pages.push(...next.taskPage)
  }
  return { ...first, taskPage: pages }
}

/** Writes and waits until it is out: a large answer is not cut short by the exit. */
const write = (text: string) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve()))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Reads the plan until it ends, showing progress on a terminal; exit 0 only if it succeeded. */
const follow = async (session: Session, client: Client, id: string): Promise<number> => {
  const tty = process.stderr.isTTY === true && !session.json
  let plan: PlanView
  try {
    for (;;) {
      plan = (await client.ask("APEX", { type: "plan", id, limit: 0 } as { type: string })) as PlanView
      if (plan.state !== "running" && plan.state !== "validating") break
      if (tty) {
        const done = plan.tasks - plan.counts.pending - plan.counts.running
        process.stderr.write(`\r${id}: ${done}/${plan.tasks} tasks done, ${plan.counts.running} running\u001b[K`)
      }
      await sleep(FOLLOW_INTERVAL_MS)
    }
  } catch (error) {
    if (tty) process.stderr.write("\r\u001b[K")
    return session.failed(error as Error)
  }
  if (tty) process.stderr.write("\r\u001b[K")
  try {
    plan = await wholePlan(client, id)
  } catch (error) {
    return session.failed(error as Error)
  }
  await write(session.json ? JSON.stringify(plan) + "\n" : renderPlan(plan))
  return plan.state === "succeeded" ? EXIT.ok : EXIT.failure
}

const confirmAtTerminal = async (): Promise<boolean> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question("Run this plan? [y/N] ")
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

const readPlan = (source: string): Result.Result<Record<string, unknown>, string> => {
  const text = Result.try({
    try: () => readFileSync(source === "-" ? 0 : source, "utf8"),
    catch: (e) => (e instanceof Error ? e.message : String(e))
  })
  if (Result.isFailure(text)) return Result.fail(`cannot read the plan: ${text.failure}`)
  const parsed = parseJson(text.success)
  if (Result.isFailure(parsed)) return Result.fail(`the plan is not valid JSON (${parsed.failure})`)
  const value = parsed.success
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Result.fail(`the plan must be a JSON object {"goal": "...", "tasks": [...]}`)
  }
  const { type: _, confirm: __, ...plan } = value as Record<string, unknown>
  return Result.succeed(plan)
}

const ACTIONS = ["list", "show", "run", "cancel", "resume"] as const

export const runPlanCommand = (parsed: Parsed, env: Env): Promise<number> => {
  const [action, target] = parsed.positional
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    return Promise.resolve(fail(`plan needs ${ACTIONS.join(", ")}, got '${action}'`, EXIT.usage))
  }
  if (action !== "list" && target === undefined) {
    return Promise.resolve(fail(`plan ${action} needs ${action === "run" ? "a FILE (or - for stdin)" : "a plan ID"}`, EXIT.usage))
  }
  if (action === "list" && target !== undefined) return Promise.resolve(fail("plan list takes no argument", EXIT.usage))
  const yes = hasFlag(parsed, "--yes")
  const detach = hasFlag(parsed, "--detach")
  const id = target!

  // Asks for the plan's start: --yes, or a "y" at a terminal (not when the plan came from stdin).
  const startIt = async (session: Session, dry: DryRun, interactive: boolean, start: () => Promise<Started>): Promise<number> => {
    if (!session.json || !yes) out(session.json ? JSON.stringify(dry) + "\n" : renderDryRun(dry))
    const go = yes || (interactive && process.stdin.isTTY === true && process.stderr.isTTY === true && (await confirmAtTerminal()))
    if (!go) {
      if (!session.json) out("\nnot started: this was the dry run; add --yes to run it\n")
      return EXIT.ok
    }
    let started: Started
    try {
      started = await start()
    } catch (error) {
      return session.failed(error as Error)
    }
    if (detach) {
      out(session.json ? JSON.stringify(started) + "\n" : `plan ${started.id} started; 'sigmavault plan show ${started.id}' shows its tasks\n`)
      return EXIT.ok
    }
    if (!session.json) out(`plan ${started.id} started\n`)
    return follow(session, session.client, started.id)
  }

  if (action === "run") {
    const plan = readPlan(id)
    if (Result.isFailure(plan)) return Promise.resolve(fail(plan.failure, EXIT.usage))
    return withSession(parsed, env, async (session) => {
      let dry: DryRun
      try {
        dry = (await session.client.ask("APEX", { type: "run", ...plan.success } as { type: string })) as DryRun
      } catch (error) {
        return session.failed(error as Error)
      }
      return startIt(session, dry, id !== "-", () => session.client.ask("APEX", { type: "run", ...plan.success, confirm: true } as { type: string }) as Promise<Started>)
    })
  }
  return withSession(parsed, env, async (session) => {
    switch (action) {
      case "list":
        return session.print((c) => c.ask("APEX", { type: "plans" }) as Promise<Reply<"plans">>, renderList)
      case "show": {
        let plan: PlanView
        try {
          plan = await wholePlan(session.client, id)
        } catch (error) {
          return session.failed(error as Error)
        }
        await write(session.json ? JSON.stringify(plan) + "\n" : renderPlan(plan))
        return EXIT.ok
      }
      case "cancel":
        return session.print(
          (c) => c.ask("APEX", { type: "cancel", id } as { type: string }) as Promise<Reply<"cancel">>,
          (r) => `plan ${r.id} ${r.state}: ${r.cancelled} task${r.cancelled === 1 ? "" : "s"} cancelled\n`
        )
      default: {
        let dry: DryRun
        try {
          dry = (await session.client.ask("APEX", { type: "resume", id } as { type: string })) as DryRun
        } catch (error) {
          return session.failed(error as Error)
        }
        return startIt(session, dry, true, () => session.client.ask("APEX", { type: "resume", id, confirm: true } as { type: string }) as Promise<Started>)
      }
    }
  })
}
