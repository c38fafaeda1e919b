import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { CryptoMessage } from "./messages.ts"

const hashing = plannedCapability("content-hashing", "hashes files and writes a manifest of a tree's contents")
const verification = plannedCapability(
  "bit-rot-verification",
  "re-hashes files against a manifest, reports changed, missing and unreadable files, and checks the manifest's signature"
)

export const cryptoCapabilities = [hashing, verification]

export const cryptoMachine = plannedMachine<CryptoMessage>({ hash: hashing, manifest: hashing, verify: verification })
