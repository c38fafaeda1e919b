import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Crypto } from "./messages.ts"

const hashing = plannedCapability("content-hashing", "hashes files and writes a manifest of a tree's contents")
const verification = plannedCapability(
  "bit-rot-verification",
  "re-hashes files against a manifest, reports changed, missing and unreadable files, and checks the manifest's signature"
)

export const cryptoAgent = define({
  protocol: Crypto,
  tier: "2",
  description: "Integrity: content hashes, dataset manifests, bit-rot verification, signature checks",
  capabilities: [hashing, verification]
})
