/**
 * What travels in a mailbox: a told message as it is, or an ask (the message
 * and the handle its answer goes to), and the system lane's items.
 */
import { Effect, Exit } from "effect"
import type { AgentMessage } from "../Agent.ts"
import { type Caller, DAEMON } from "../Caller.ts"
import type { AskError } from "../Errors.ts"

/**
 * A pending answer to an ask. It calls back at most once; once the asker has
 * given up (`expired`), a late answer is refused so it can be a dead letter.
 * No fiber or Deferred is needed to ask: callers either await it as an
 * Effect or register a callback (the control socket's hot path).
 */
export class ReplyHandle {
  private exit: Exit.Exit<unknown, AskError> | undefined = undefined
  private listener: ((exit: Exit.Exit<unknown, AskError>) => void) | undefined = undefined
  private abandonListener: (() => void) | undefined = undefined
  expired = false

  /**
   * The asker gives up (its timeout passed, its connection closed): a late
   * answer is a dead letter, and the agent handling the ask, if any, is told
   * to stop the work it started for it.
   */
  abandon(): void {
    if (this.exit !== undefined || this.expired) return
    this.expired = true
    const listener = this.abandonListener
    this.abandonListener = undefined
    listener?.()
  }

  /** Called once if the asker gives up before an answer; undefined removes the listener. */
  onAbandon(listener: (() => void) | undefined): void {
    this.abandonListener = listener
  }

  /** False when already answered, or when the asker gave up (a late reply). */
  complete(exit: Exit.Exit<unknown, AskError>): boolean {
    if (this.expired || this.exit !== undefined) return false
    this.exit = exit
    const listener = this.listener
    this.listener = undefined
    listener?.(exit)
    return true
  }

  /** Calls back once with the answer, at once if it is already here. */
  onComplete(listener: (exit: Exit.Exit<unknown, AskError>) => void): void {
    if (this.exit !== undefined) listener(this.exit)
    else this.listener = listener
  }

  /** The answer as an Effect; made on demand: the control socket's asks, most of all, never need it. */
  get await(): Effect.Effect<unknown, AskError> {
    return Effect.callback<unknown, AskError>((resume) => {
      this.onComplete(resume)
      return Effect.sync(() => {
        this.listener = undefined
      })
    })
  }
}

/** An ask: the message, where its answer goes, and who asked. */
export class Ask {
  constructor(readonly message: AgentMessage, readonly reply: ReplyHandle, readonly caller: Caller = DAEMON) {}
}

/** A message told on someone's behalf: from outside the daemon, or by a schedule its creator set up. */
export class Told {
  constructor(readonly message: AgentMessage, readonly caller: Caller) {}
}

/**
 * What the user lane holds: a message the daemon told (as it is: nothing to
 * allocate on the hot path), one told on someone's behalf, or an ask.
 */
export type Envelope = AgentMessage | Ask | Told
export const messageOf = (envelope: Envelope): AgentMessage =>
  envelope instanceof Ask || envelope instanceof Told ? envelope.message : envelope
export const callerOf = (envelope: Envelope): Caller =>
  envelope instanceof Ask || envelope instanceof Told ? envelope.caller : DAEMON

export type SystemItem =
  | { readonly kind: "ping" | "status" | "describe"; readonly reply: ReplyHandle | undefined }
  /** Meant for one incarnation: a stop request its supervisor gave up waiting on must not stop the next one. */
  | { readonly kind: "stop"; readonly incarnation: number; readonly drainUntil: number }
  /** The machine failed while idle: meant for the incarnation whose machine it was. */
  | { readonly kind: "crash"; readonly incarnation: number; readonly error: unknown }
  /**
   * Test faults (`run --test-faults`), handled as a message is: by whichever incarnation takes
   * them, so one told while the agent restarts reaches the next incarnation. `fault` crashes
   * it as a defect would; `stall` keeps it busy (unresponsive) for `ms`.
   */
  | { readonly kind: "fault"; readonly envelope: Envelope }
  | { readonly kind: "stall"; readonly ms: number; readonly envelope: Envelope }
