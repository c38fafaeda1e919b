/** MORPH's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AbsolutePath, Name } from "../shared/fields.ts"

export const Morph = Protocol.make("MORPH", [
  Protocol.planned("migrate", {
    doc: "copies or moves a tree with every file verified by hash",
    access: "operate",
    capability: "verified-migration",
    fields: {
      source: AbsolutePath,
      destination: AbsolutePath,
      mode: Schema.Literals(["copy", "move"])
    }
  }),
  Protocol.planned("migrations", {
    doc: "past and running migrations",
    access: "read",
    capability: "verified-migration"
  }),
  Protocol.planned("revert", {
    doc: "reverts a finished migration",
    access: "operate",
    capability: "reversal",
    fields: {
      id: Name
    }
  })
])
