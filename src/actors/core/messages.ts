/** CORE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Facts, SystemFactsError } from "../../adapters/system/SystemFacts.ts"
import * as Protocol from "../../runtime/Protocol.ts"

export const Core = Protocol.make("CORE", [
  Protocol.message("facts", {
    doc: "hostname, OS release, kernel, CPU, memory, uptime and load, read afresh",
    access: "read",
    reply: Facts,
    rejections: [SystemFactsError]
  })
])
