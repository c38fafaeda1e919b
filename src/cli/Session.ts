/**
 * A client command's conversation with the daemon: find its socket, connect,
 * run the command, and end with the exit code that says what happened — 0
 * ok, 3 no daemon, 4 refused, 5 timed out, 1 anything else (a reply that does
 * not decode, a lost connection). With --json a failure is printed as JSON too.
 */
import { EXIT, flag, hasFlag, type Parsed } from "./args.ts"
import { type Client, connect, NotRunning, RequestFailed } from "./Client.ts"
import { fail, out } from "./output.ts"

export type Env = Readonly<Record<string, string | undefined>>

export const DEFAULT_SOCKET = "/run/sigmavault/control.sock"

export const clientSocket = (parsed: Parsed, env: Env): string =>
  flag(parsed, "--socket") ?? (env.SIGMAVAULT_SOCKET || DEFAULT_SOCKET)

export interface Session {
  readonly client: Client
  readonly json: boolean
  /** Runs one request; prints its value (as JSON with --json, else `human(value)`) and exits 0, or reports its failure. */
  readonly print: <A>(run: (client: Client) => Promise<A>, human: (value: A) => string) => Promise<number>
  /** Reports a failure with its exit code. */
  readonly failed: (error: Error) => number
}

export const withSession = async (parsed: Parsed, env: Env, run: (session: Session) => Promise<number>): Promise<number> => {
  const connected = await connect(clientSocket(parsed, env)).catch((error: unknown) => error as Error)
  if (connected instanceof Error) return fail(connected.message, connected instanceof NotRunning ? EXIT.notRunning : EXIT.failure)
  const client = connected
  const json = hasFlag(parsed, "--json")
  const failed = (error: Error) => {
    if (!(error instanceof RequestFailed)) return fail(error.message, EXIT.failure)
    if (json) out(JSON.stringify({ ok: false, error: error.body }) + "\n")
    return fail(error.message, error.body.code === "AskTimeout" ? EXIT.timeout : EXIT.refused)
  }
  const session: Session = {
    client,
    json,
    failed,
    print: (request, human) =>
      request(client).then(
        (value) => {
          out(json ? JSON.stringify(value) + "\n" : human(value))
          return EXIT.ok
        },
        (error: Error) => failed(error)
      )
  }
  const code = await run(session)
  client.close()
  return code
}
