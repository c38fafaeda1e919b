/** VANGUARD's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

export const Vanguard = Protocol.make("VANGUARD", [
  Protocol.planned("updates", {
    doc: "upgradable packages, security updates flagged",
    access: "read",
    capability: "update-check",
    fields: {
      security: Schema.optionalKey(Schema.Boolean)
    }
  }),
  Protocol.planned("refresh", {
    doc: "refreshes the apt package index",
    access: "operate",
    capability: "index-refresh"
  })
])
