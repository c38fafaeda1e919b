/** `keys list|rotate|export`: the daemon's keyring, through QUANTUM. */
import type { Quantum } from "../actors/quantum/messages.ts"
import type * as Protocol from "../runtime/Protocol.ts"
import { EXIT, flag, type Parsed } from "./args.ts"
import { fail } from "./output.ts"
import { renderKeys } from "./render.ts"
import { type Env, withSession } from "./Session.ts"

type Reply<T extends string> = Protocol.Reply<Protocol.Typed<typeof Quantum, T>>

export const runKeysCommand = (parsed: Parsed, env: Env): Promise<number> => {
  const action = parsed.positional[0]
  const id = flag(parsed, "--id")
  if (action !== "list" && action !== "rotate" && action !== "export") {
    return Promise.resolve(fail(`keys needs list, rotate or export, got '${action}'`, EXIT.usage))
  }
  return withSession(parsed, env, (session) => {
    switch (action) {
      case "list":
        return session.print((c) => c.ask("QUANTUM", { type: "keys" }) as Promise<Reply<"keys">>, renderKeys)
      case "rotate":
        return session.print(
          (c) => c.ask("QUANTUM", { type: "rotate" }) as Promise<Reply<"rotate">>,
          (key) => `new default key ${key.id}; older keys still decrypt\n`
        )
      case "export":
        return session.print(
          (c) => c.ask("QUANTUM", { type: "export", ...(id === undefined ? {} : { id }) }) as Promise<Reply<"export">>,
          (key) => `${key.publicKey}\n`
        )
    }
  })
}
