/** BRIDGE's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name, ShareProtocol, ShareSpec } from "../shared/fields.ts"

export const Bridge = Protocol.make("BRIDGE", [
  Protocol.planned("shares", {
    doc: "the SMB and NFS shares",
    access: "read",
    capability: "share-management"
  }),
  Protocol.planned("add-share", {
    doc: "adds a share and reloads its server",
    access: "admin",
    capability: "share-management",
    fields: {
      ...ShareSpec.fields
    }
  }),
  Protocol.planned("remove-share", {
    doc: "removes a share and reloads its server",
    access: "admin",
    capability: "share-management",
    fields: {
      protocol: ShareProtocol,
      name: Name
    }
  }),
  Protocol.planned("reload", {
    doc: "reloads Samba and/or the NFS exports",
    access: "operate",
    capability: "service-reload",
    fields: {
      protocol: Schema.optionalKey(ShareProtocol)
    }
  })
])
