/**
 * The client commands: connect to the daemon's socket, send one request (or
 * subscribe), print the result, and exit with a code that says what happened.
 */
import { Result } from "effect"
import { Quantum } from "../actors/quantum/messages.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, flag, flagAll, hasFlag, integerFlag, type Parsed } from "./args.ts"
import { type Client, connect, NotRunning, RequestFailed } from "./Client.ts"
import { fail, out, parseJson } from "./output.ts"
import { renderAnswer, renderEvent, renderKeys, renderStatus, renderTree } from "./render.ts"

export const DEFAULT_SOCKET = "/run/sigmavault/control.sock"

export const clientSocket = (parsed: Parsed, env: Readonly<Record<string, string | undefined>>): string =>
  flag(parsed, "--socket") ?? (env.SIGMAVAULT_SOCKET || DEFAULT_SOCKET)

const TIMEOUT_CODES = new Set(["AskTimeout"])


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

  /** Runs one step of a command; a failure (refused, timed out, a reply that does not decode) comes back as a value. */
  const attempt = async <A>(run: (client: Client) => Promise<A>) =>
    run(client).then(
      (value) => ({ ok: true as const, value }),
      (error: Error) => ({ ok: false as const, error })
    )
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
  const printed = (value: unknown, human: string) => {
    out(json ? JSON.stringify(value) + "\n" : human)
    return finish(EXIT.ok)
  }
  type QuantumReply<T extends string> = Protocol.Reply<Protocol.Typed<typeof Quantum, T>>

  switch (parsed.command) {
    case "agents": {
      const r = await attempt((c) => c.call("agents"))
      return r.ok ? printed(r.value, renderTree(r.value)) : failed(r.error)
    }
    case "status": {
      const r = await attempt((c) => c.call("status"))
      return r.ok ? printed(r.value, renderStatus(r.value)) : failed(r.error)
    }
    case "restart":
    case "stop":
    case "start": {
      const op = parsed.command
      const r = await attempt((c) => c.call(op, { agent: parsed.positional[0] }))
      const done = { restart: "restarted", stop: "stopped", start: "started" }[op]
      return r.ok ? printed(r.value, `${parsed.positional[0]} ${done}\n`) : failed(r.error)
    }
    case "tell": {
      const r = await attempt((c) => c.call("tell", { agent: parsed.positional[0], message }))
      return r.ok ? printed(r.value, "") : failed(r.error)
    }
    case "ask": {
      const r = await attempt((c) => c.ask(parsed.positional[0]!, message as { readonly type: string }, timeout.value))
      return r.ok ? printed(r.value, renderAnswer(r.value)) : failed(r.error)
    }
    case "keys": {
      const action = parsed.positional[0]
      const id = flag(parsed, "--id")
      switch (action) {
        case "list": {
          const r = await attempt((c) => c.ask("QUANTUM", { type: "keys" }) as Promise<QuantumReply<"keys">>)
          return r.ok ? printed(r.value, renderKeys(r.value)) : failed(r.error)
        }
        case "rotate": {
          const r = await attempt((c) => c.ask("QUANTUM", { type: "rotate" }) as Promise<QuantumReply<"rotate">>)
          return r.ok ? printed(r.value, `new default key ${r.value.id}; older keys still decrypt\n`) : failed(r.error)
        }
        case "export": {
          const request = { type: "export", ...(id === undefined ? {} : { id }) }
          const r = await attempt((c) => c.ask("QUANTUM", request) as Promise<QuantumReply<"export">>)
          return r.ok ? printed(r.value, `${r.value.publicKey}\n`) : failed(r.error)
        }
        default:
          return finish(fail(`keys needs list, rotate or export, got '${action}'`, EXIT.usage))
      }
    }
    case "events": {
      const agents = flagAll(parsed, "--agent")
      const types = flagAll(parsed, "--type")
      client.onPush((push) => {
        if ("lost" in push) {
          process.stderr.write(`sigmavault: ${push.lost} events lost (this terminal read too slowly)\n`)
          return
        }
        out(json ? JSON.stringify(push.event) + "\n" : renderEvent(push.event) + "\n")
      })
      const r = await attempt((c) =>
        c.call("subscribe", {
          ...(agents.length > 0 ? { agents } : {}),
          ...(types.length > 0 ? { types } : {})
        }))
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
