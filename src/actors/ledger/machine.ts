/** LEDGER: the audit ledger through the AuditLedger port; verification uses the keyring's signing key. */
import { Effect } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { Keyring } from "../../keys/Keyring.ts"
import { keyIdOf } from "../../keys/PublicKey.ts"
import { AuditLedger, describeReport, tailLedger, verifyLedger } from "../../ledger/index.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Ledger } from "./messages.ts"

export const ledgerCapabilities: ReadonlyArray<Capability> = [
  {
    name: "audit-log",
    available: true,
    detail: "appends each state-changing action (agent failures and restarts, escalations, key rotations, daemon start and stop) to a hash-chained, fdatasynced log and lists its entries"
  },
  { name: "chain-verification", available: true, detail: "re-walks the hash chain and every checkpoint signature and reports the first bad entry" },
  { name: "signed-checkpoints", available: true, detail: "signs the chain head with QUANTUM's ML-DSA-65 key every 64 entries and at shutdown" }
]

const MAX_ENTRIES = 1000

export const ledgerMachine = Effect.gen(function*() {
  const ledger = yield* AuditLedger
  const keyring = yield* Keyring
  const files = yield* Files
  const publicKeys = Effect.map(
    Effect.option(keyring.signingPublicKey),
    (key) => (id: string) => (key._tag === "Some" && keyIdOf(key.value) === id ? key.value : undefined)
  )
  return yield* serviceMachine(Ledger, {
    handlers: {
      append: (message) =>
        ledger.append({ actor: message.actor, action: message.action, ...(message.detail === undefined ? {} : { detail: message.detail }) }),
      entries: (message) => tailLedger(ledger.file, Math.min(message.limit ?? 20, MAX_ENTRIES)).pipe(Effect.provideService(Files, files)),
      verify: () =>
        Effect.gen(function*() {
          const report = yield* verifyLedger(ledger.file, yield* publicKeys).pipe(Effect.provideService(Files, files))
          return { ...report, summary: describeReport(report) }
        }),
      checkpoint: () => Effect.map(ledger.checkpoint, (entry) => (entry._tag === "Some" ? entry.value : { unchanged: "the head is already signed" }))
    }
  })
})
