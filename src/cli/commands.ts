/**
 * The client commands: connect to the daemon's socket, send one request (or
 * subscribe), print the result, and exit with a code that says what happened.
 */
import { Result } from "effect"
import type { TreeNode } from "../runtime/Status.ts"
import type { InspectionEvent } from "../runtime/Inspection.ts"
import { EXIT, flag, flagAll, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { connect, NotRunning, RequestFailed } from "./Client.ts"
import { type KeyRow, renderAnswer, renderEvent, renderKeys, renderStatus, renderTree } from "./render.ts"

export const DEFAULT_SOCKET = "/run/sigmavault/control.sock"

export const clientSocket = (parsed: Parsed, env: Readonly<Record<string, string | undefined>>): string =>
  flag(parsed, "--socket") ?? (env.SIGMAVAULT_SOCKET || DEFAULT_SOCKET)

const TIMEOUT_CODES = new Set(["AskTimeout"])

const out = (text: string) => process.stdout.write(text)
const fail = (text: string, code: number) => {
  process.stderr.write(`sigmavault: ${text}\n`)
  return code
}

/** JSON.parse reports bad input by throwing; this is the edge where that becomes a value. */
const parseJson = (text: string) =>
  Result.try({ try: (): unknown => JSON.parse(text), catch: (e) => (e instanceof Error ? e.message : String(e)) })

export const runClientCommand = async (parsed: Parsed, env: Readonly<Record<string, string | undefined>>): Promise<number> => {
  const json = hasFlag(parsed, "--json")
  const socketPath = clientSocket(parsed, env)

  let message: unknown
  if (parsed.command === "tell" || parsed.command === "ask") {
    const decoded = parseJson(parsed.positional[1]!)
    if (Result.isFailure(decoded)) {
      return fail(`the message is not valid JSON (${decoded.failure}); e.g. '{"type":"ping"}'`, EXIT.usage)
    }
    message = decoded.success
  }
  const timeout = integerFlag(parsed, "--timeout", 1, 3_600_000)
  if (!timeout.ok) return fail(timeout.message, EXIT.usage)

  const client = await connect(socketPath).catch((error: unknown) => error as Error)
  if (client instanceof Error) {
    return fail(client.message, client instanceof NotRunning ? EXIT.notRunning : EXIT.failure)
  }

  const request = async (op: string, fields?: Record<string, unknown>) => {
    const result = await client.request(op, fields).then(
      (value) => ({ ok: true as const, value }),
      (error: Error) => ({ ok: false as const, error })
    )
    return result
  }
  const finish = (code: number) => {
    client.close()
    return code
  }
  const failed = (error: Error) => {
    if (error instanceof RequestFailed) {
      if (json) out(JSON.stringify({ ok: false, error: error.body }) + "\n")
      return finish(fail(error.message, TIMEOUT_CODES.has(error.body.code) ? EXIT.timeout : EXIT.refused))
    }
    return finish(fail(error.message, EXIT.failure))
  }

  switch (parsed.command) {
    case "agents": {
      const r = await request("agents")
      if (!r.ok) return failed(r.error)
      out(json ? JSON.stringify(r.value) + "\n" : renderTree(r.value as TreeNode))
      return finish(EXIT.ok)
    }
    case "status": {
      const r = await request("status")
      if (!r.ok) return failed(r.error)
      out(json ? JSON.stringify(r.value) + "\n" : renderStatus(r.value as Parameters<typeof renderStatus>[0]))
      return finish(EXIT.ok)
    }
    case "restart":
    case "stop":
    case "start": {
      const r = await request(parsed.command, { agent: parsed.positional[0] })
      if (!r.ok) return failed(r.error)
      const done = { restart: "restarted", stop: "stopped", start: "started" }[parsed.command]
      out(json ? JSON.stringify(r.value) + "\n" : `${parsed.positional[0]} ${done}\n`)
      return finish(EXIT.ok)
    }
    case "tell": {
      const r = await request("tell", { agent: parsed.positional[0], message })
      if (!r.ok) return failed(r.error)
      if (json) out(JSON.stringify(r.value) + "\n")
      return finish(EXIT.ok)
    }
    case "ask": {
      const fields: Record<string, unknown> = { agent: parsed.positional[0], message }
      if (timeout.value !== undefined) fields.timeoutMs = timeout.value
      const r = await request("ask", fields)
      if (!r.ok) return failed(r.error)
      out(json ? JSON.stringify(r.value) + "\n" : renderAnswer(r.value))
      return finish(EXIT.ok)
    }
    case "keys": {
      const action = parsed.positional[0]
      const messages: Record<string, Record<string, unknown>> = {
        list: { type: "keys" },
        rotate: { type: "rotate" },
        export: { type: "export", ...(flag(parsed, "--id") === undefined ? {} : { id: flag(parsed, "--id") }) }
      }
      const message = action === undefined ? undefined : messages[action]
      if (message === undefined) return finish(fail(`keys needs list, rotate or export, got '${action}'`, EXIT.usage))
      const r = await request("ask", { agent: "QUANTUM", message })
      if (!r.ok) return failed(r.error)
      if (json) out(JSON.stringify(r.value) + "\n")
      else if (action === "export") out(`${(r.value as { publicKey: string }).publicKey}\n`)
      else if (action === "rotate") out(`new default key ${(r.value as KeyRow).id}; older keys still decrypt\n`)
      else out(renderKeys(r.value as ReadonlyArray<KeyRow>))
      return finish(EXIT.ok)
    }
    case "events": {
      const agents = flagAll(parsed, "--agent")
      const types = flagAll(parsed, "--type")
      client.onPush((push) => {
        if ("lost" in push) {
          process.stderr.write(`sigmavault: ${push.lost} events lost (this terminal read too slowly)\n`)
          return
        }
        const event = push.event as InspectionEvent
        out(json ? JSON.stringify(event) + "\n" : renderEvent(event) + "\n")
      })
      const r = await request("subscribe", {
        ...(agents.length > 0 ? { agents } : {}),
        ...(types.length > 0 ? { types } : {})
      })
      if (!r.ok) return failed(r.error)
      const stop = () => client.close()
      process.once("SIGINT", stop)
      process.once("SIGTERM", stop)
      await client.closed
      return EXIT.ok
    }
  }
  return finish(fail(`'${parsed.command}' is not a client command`, EXIT.usage))
}
