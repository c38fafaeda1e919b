/**
 * The daemon's gate (runtime/Gate.ts): the policy decides, the audit ledger
 * remembers. A permitted state-changing request is appended to the ledger
 * with who asked before it is carried out; if the ledger cannot take it, the
 * request is refused (an unrecorded change is worse than a refused one).
 * Refusals are recorded too, at most `refusalsPerMinute` per caller; the rest
 * are counted and the count rides on the next refusal recorded.
 */
import { Effect } from "effect"
import type { Ledger } from "../ledger/index.ts"
import { type Caller, describeCaller, ledgerActor } from "../runtime/Caller.ts"
import { type AccessDenied, AuditUnavailable } from "../runtime/Errors.ts"
import type { AuditedRequest, Gate } from "../runtime/Gate.ts"
import type { Policy } from "./Policy.ts"

/** A message's fields go into the ledger whole up to this size; beyond it, their names only. */
const MAX_DETAIL_CHARS = 4096

const fieldsOf = (message: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const whole = JSON.stringify(message)
  return whole.length <= MAX_DETAIL_CHARS ? message : { type: message.type, fields: Object.keys(message).filter((k) => k !== "type") }
}

const whoDetail = (caller: Caller) => ({
  uid: caller.uid,
  gid: caller.gid,
  via: caller.via,
  ...(caller.pid === undefined ? {} : { pid: caller.pid }),
  ...(caller.sender === undefined ? {} : { sender: caller.sender })
})

export interface GateOptions {
  readonly refusalsPerMinute?: number
  readonly now?: () => number
  /** Where a refusal that could not be recorded is reported. */
  readonly warn?: (text: string) => void
}

export const makeGate = (policy: Policy, ledger: Ledger, options: GateOptions = {}): Gate => {
  const perMinute = options.refusalsPerMinute ?? 10
  const now = options.now ?? Date.now
  const windows = new Map<number, { start: number; recorded: number; suppressed: number }>()

  const record = (caller: Caller, request: AuditedRequest) => {
    const what = request._tag === "Message" ? `${request.agent} '${request.message.type}'` : `${request.op} ${request.agent}`
    return ledger.append(
      request._tag === "Message"
        ? {
          actor: ledgerActor(caller),
          action: "request.admitted",
          detail: { caller: whoDetail(caller), agent: request.agent, access: request.access, message: fieldsOf(request.message) }
        }
        : { actor: ledgerActor(caller), action: `operator.${request.op}`, detail: { caller: whoDetail(caller), agent: request.agent } }
    ).pipe(
      Effect.asVoid,
      Effect.mapError((error) => new AuditUnavailable({ what: `${what} from ${describeCaller(caller)}`, reason: error.message }))
    )
  }

  const refused = (denied: AccessDenied) => {
    const at = now()
    const uid = denied.caller.uid
    let window = windows.get(uid)
    if (window === undefined || at - window.start >= 60_000) {
      window = { start: at, recorded: 0, suppressed: window?.suppressed ?? 0 }
      windows.set(uid, window)
      // A caller's window is kept only while it is refused; a hostile stream of uids cannot grow this without bound.
      if (windows.size > 1024) for (const [key, w] of windows) if (at - w.start >= 60_000) windows.delete(key)
    }
    if (window.recorded >= perMinute) {
      window.suppressed++
      return
    }
    window.recorded++
    const suppressed = window.suppressed
    window.suppressed = 0
    Effect.runFork(
      ledger.append({
        actor: `uid:${uid}`,
        action: "access.denied",
        detail: { caller: denied.caller, what: denied.what, needed: denied.needed, class: denied.class, ...(suppressed > 0 ? { alsoRefusedUnrecorded: suppressed } : {}) }
      }).pipe(Effect.catch((error) => Effect.sync(() => options.warn?.(`audit ledger: could not record a refusal: ${error.message}`))))
    )
  }

  return { check: policy.check, record, refused }
}
