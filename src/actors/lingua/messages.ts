/** LINGUA's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import * as Protocol from "../../runtime/Protocol.ts"
import { Text } from "../shared/fields.ts"

export const Lingua = Protocol.make("LINGUA", [
  Protocol.planned("parse", {
    doc: "the agent message a sentence means, without sending it",
    access: "read",
    capability: "grammar",
    fields: {
      text: Text
    }
  }),
  Protocol.planned("phrases", {
    doc: "the phrasings the grammar knows",
    access: "read",
    capability: "grammar"
  })
])
