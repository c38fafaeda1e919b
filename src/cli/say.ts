/**
 * `say`: a sentence to LINGUA. Prints the agent message it means; a message
 * that changes the NAS is sent only after the person says y on a terminal (or
 * with --yes; without a terminal and without --yes nothing is sent), and only
 * if the sentence still means what was shown. The daemon sends it with the
 * caller's own rights.
 */
import { createInterface } from "node:readline/promises"
import { EXIT, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { fail, out } from "./output.ts"
import { renderAnswer } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

interface Meaning {
  readonly agent: string
  readonly message: { readonly type: string }
  readonly confidence: number
  readonly changesState: boolean
  readonly alternatives?: ReadonlyArray<{ readonly agent: string; readonly message: unknown; readonly confidence: number }>
  readonly unread?: ReadonlyArray<{ readonly list: string; readonly note: string }>
}

interface Ran extends Meaning {
  readonly sent: boolean
  readonly answer?: unknown
  readonly note?: string
}

const DEFAULT_TIMEOUT_MS = 120_000

const ask = async (question: string): Promise<boolean> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await rl.question(question)
    return /^\s*y(es)?\s*$/i.test(answer)
  } finally {
    rl.close()
  }
}

export const runSayCommand = async (parsed: Parsed, env: Env): Promise<number> => {
  const text = parsed.positional.join(" ").trim()
  if (text === "") return fail("say what? e.g. sigmavault say \"check the health of pool tank\"", EXIT.usage)
  const timeout = integerFlag(parsed, "--timeout", 1, 3_600_000)
  if (!timeout.ok) return fail(timeout.message, EXIT.usage)
  const timeoutMs = timeout.value ?? DEFAULT_TIMEOUT_MS
  const yes = hasFlag(parsed, "--yes")
  return withSession(parsed, env, async (session) => {
    const { client, json } = session
    let meaning: Meaning
    try {
      meaning = (await client.ask("LINGUA", { type: "parse", text } as { readonly type: string }, timeoutMs)) as Meaning
    } catch (error) {
      return session.failed(error as Error)
    }
    const shown = `${meaning.agent} ${JSON.stringify(meaning.message)}`
    if (!json) {
      out(`→ ${shown}  (confidence ${meaning.confidence.toFixed(2)}${meaning.changesState ? "; changes the NAS" : ""})\n`)
      for (const alternative of meaning.alternatives?.slice(0, 2) ?? []) {
        out(`  or ${alternative.agent} ${JSON.stringify(alternative.message)}  (confidence ${alternative.confidence.toFixed(2)})\n`)
      }
    }
    let confirm = false
    if (meaning.changesState) {
      if (yes) confirm = true
      else if (process.stdin.isTTY && process.stderr.isTTY) {
        confirm = await ask(`Send ${shown}? [y/N] `)
        if (!confirm) {
          out(json ? JSON.stringify({ ...meaning, sent: false }) + "\n" : "not sent\n")
          return EXIT.ok
        }
      } else {
        if (json) out(JSON.stringify({ ...meaning, sent: false }) + "\n")
        return fail(`not sent: ${shown} changes the NAS; say it on a terminal to be asked, or add --yes`, EXIT.refused)
      }
    }
    const expected = { agent: meaning.agent, message: meaning.message }
    return session.print(
      (c) => c.ask("LINGUA", { type: "run", text, expected, ...(confirm ? { confirm: true } : {}) } as { readonly type: string }, timeoutMs) as Promise<Ran>,
      (ran) => (ran.sent ? renderAnswer(ran.answer) : `not sent: ${ran.note ?? ""}\n`)
    )
  })
}
