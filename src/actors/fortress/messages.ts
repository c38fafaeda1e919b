/** FORTRESS's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Severity } from "../shared/fields.ts"

export const Fortress = Protocol.make("FORTRESS", [
  Protocol.planned("audit", {
    doc: "runs the security audit",
    access: "admin",
    capability: "security-audit",
    fields: {
      checks: Schema.optionalKey(Schema.NonEmptyArray(Schema.Literals(["sockets", "sshd", "shares", "permissions"])))
    }
  }),
  Protocol.planned("findings", {
    doc: "the last audit's findings",
    access: "admin",
    capability: "findings",
    fields: {
      severity: Schema.optionalKey(Severity)
    }
  })
])
