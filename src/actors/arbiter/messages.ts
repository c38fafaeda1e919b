/** ARBITER's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Name, PositiveInt, Text } from "../shared/fields.ts"

export const Arbiter = Protocol.make("ARBITER", [
  Protocol.planned("acquire", {
    doc: "takes a time-limited lease on a resource for a job; refused while a conflicting job holds one",
    access: "admin",
    capability: "leases",
    fields: {
      resource: Text,
      job: Schema.Literals(["scrub", "resilver", "benchmark", "replication", "migration", "compression"]),
      holder: AgentName,
      ttlSeconds: Schema.optionalKey(PositiveInt)
    }
  }),
  Protocol.planned("release", {
    doc: "releases a lease",
    access: "admin",
    capability: "leases",
    fields: {
      lease: Name
    }
  }),
  Protocol.planned("leases", {
    doc: "the leases held now",
    access: "read",
    capability: "leases"
  })
])
