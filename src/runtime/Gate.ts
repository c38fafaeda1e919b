/**
 * The door every message from outside the daemon passes, whatever the
 * transport: is this caller allowed to send this message (its access class
 * against the caller's), and is it recorded before it is delivered? The
 * runtime asks; the daemon answers from its policy (src/access/) and its
 * audit ledger. Messages the daemon sends on its own account do not pass it.
 */
import { Effect } from "effect"
import type { AgentMessage } from "./Agent.ts"
import { type Caller, DAEMON } from "./Caller.ts"
import type { AccessDenied, AuditUnavailable } from "./Errors.ts"
import type { Access } from "./Status.ts"

/** A permitted state-changing request, as the audit ledger records it. */
export type AuditedRequest =
  | { readonly _tag: "Message"; readonly agent: string; readonly message: AgentMessage; readonly access: Access }
  | { readonly _tag: "Operator"; readonly agent: string; readonly op: "restart" | "stop" | "start" }

export interface Gate {
  /** Undefined when `caller` may send `what` (a message of class `access`); else the refusal. */
  readonly check: (caller: Caller, what: string, access: Access) => AccessDenied | undefined
  /**
   * Records a permitted state-changing request before it is carried out;
   * failing to record refuses it. Read-class requests are not recorded.
   */
  readonly record: (caller: Caller, request: AuditedRequest) => Effect.Effect<void, AuditUnavailable>
  /** A refusal, for the audit ledger (which rate-limits them); never slows the caller down. */
  readonly refused: (denied: AccessDenied) => void
}

/** State-changing classes: their requests are recorded with who asked. */
export const isRecorded = (access: Access): boolean => access === "operate" || access === "admin"

/** No checks and no records: the runtime's default, for tests and tools that run agents in process. */
export const open: Gate = { check: () => undefined, record: () => Effect.void, refused: () => {} }

export const isDaemon = (caller: Caller): boolean => caller === DAEMON || caller.via === "daemon"
