/**
 * FORGE renders configuration from typed specs and checks config text with
 * the tool that will read it. Renders are pure (share.ts, timer.ts); whatever
 * the real tool would refuse or misread is refused as InvalidSpec, naming the
 * field, before anything runs.
 */
import { Effect } from "effect"
import type { Capability } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Forge } from "./messages.ts"
import { renderShare } from "./share.ts"

export const forgeCapabilities: ReadonlyArray<Capability> = [
  {
    name: "share-rendering",
    available: true,
    detail: "renders an SMB share's smb.conf stanza (and its parameters for `net conf setparm`) or an NFS share's /etc/exports.d file; " +
      "refuses what testparm or exportfs would refuse or misread"
  },
  plannedCapability("rendering", "renders WireGuard configs and systemd timer units"),
  plannedCapability(
    "validation",
    "checks config text with the matching tool (testparm, exportfs, wg, systemd-analyze verify)"
  )
]

export const forgeMachine = serviceMachine(Forge, {
  handlers: {
    "render-share": ({ type: _, ...spec }) => Effect.fromResult(renderShare(spec))
  }
})
