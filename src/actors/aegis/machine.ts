/**
 * AEGIS answers for the access policy the daemon enforces at its door
 * (src/access/Policy.ts, runtime/Gate.ts): the same policy decides here what
 * it decides there, so `explain` says exactly what a request would meet.
 */
import { Effect } from "effect"
import { AccessPolicy, grants } from "../../access/Policy.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeCaller } from "../../runtime/Caller.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Aegis, NoSuchMessage } from "./messages.ts"

export const aegisCapabilities: ReadonlyArray<Capability> = [
  {
    name: "authorization",
    available: true,
    detail: "every request from outside the daemon is checked against the caller's access class (from uid and groups: " +
      "the socket's peer credentials, or the D-Bus sender's) before it reaches an agent; state-changing ones are recorded with who asked"
  },
  { name: "policy", available: true, detail: "shows the roles and their groups, who the caller is, and why a request would be allowed or refused" }
]

export const aegisMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const policy = yield* AccessPolicy
  return yield* serviceMachine(Aegis, {
    handlers: {
      whoami: (_, { caller }) => Effect.succeed({ ...caller, ...policy.standing(caller) }),
      explain: ({ agent, messageType }, { caller }) =>
        Effect.gen(function*() {
          const protocol = env.system.protocolOf(agent)
          if (protocol === undefined) {
            return yield* new NoSuchMessage({ agent, messageType, reason: `there is no agent ${agent}` })
          }
          const message = protocol.get(messageType)
          if (message === undefined) {
            return yield* new NoSuchMessage({
              agent,
              messageType,
              reason: `${agent} has no message '${messageType}'; it accepts ${protocol.types.join(", ")}`
            })
          }
          const standing = policy.standing(caller)
          const allowed = grants(standing.class, message.access)
          const who = describeCaller(caller)
          return {
            allowed,
            needed: message.access,
            ...standing,
            reason: message.access === "runtime"
              ? `${agent} '${messageType}' is sent only by the daemon itself`
              : `${agent} '${messageType}' needs ${message.access} access; ${who} has ${standing.class} (${standing.because})`
          }
        }),
      policy: () => Effect.succeed(policy.view)
    }
  })
})
