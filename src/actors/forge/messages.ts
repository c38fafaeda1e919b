/** FORGE's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentCall, Name, ShareSpec, Text } from "../shared/fields.ts"

export const Forge = Protocol.make("FORGE", [
  Protocol.planned("render-share", {
    doc: "renders a share's smb.conf stanza or exports line",
    access: "read",
    capability: "rendering",
    fields: {
      ...ShareSpec.fields
    }
  }),
  Protocol.planned("render-timer", {
    doc: "renders a systemd timer and service that send a message to an agent",
    access: "read",
    capability: "rendering",
    fields: {
      name: Name,
      onCalendar: Text,
      ...AgentCall.fields
    }
  }),
  Protocol.planned("validate", {
    doc: "checks config text with the tool that will read it",
    access: "read",
    capability: "validation",
    fields: {
      kind: Schema.Literals(["smb", "nfs", "wireguard", "systemd-timer"]),
      text: Text
    }
  })
])
