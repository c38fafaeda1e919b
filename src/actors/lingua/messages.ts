/** LINGUA's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AccessDenied, AuditUnavailable } from "../../runtime/Errors.ts"
import { AgentMessageObject, AgentName } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

export const MAX_SENTENCE_CHARS = 1000

/**
 * A sentence as a person types it: not blank, at most 1000 characters, no
 * control characters and no bidirectional overrides (text that reads one way
 * and means another). Refused at the boundary, naming the field.
 */
export const Sentence = Schema.String.check(
  Schema.isPattern(/\S/, { expected: "a sentence that is not blank" }),
  Schema.isMaxLength(MAX_SENTENCE_CHARS),
  Schema.isPattern(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$/u, {
    expected: "a sentence without control characters or bidirectional overrides"
  })
)

/** One meaning of a sentence: the message it stands for. */
export const Meaning = Schema.Struct({
  /** the intent's id in LINGUA's grammar (docs/language.md) */
  intent: Schema.String,
  agent: AgentName,
  message: AgentMessageObject,
  /** 1 for an exact phrasing; lower for typos, open slots, a close runner-up */
  confidence: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  /** it changes the NAS (or reveals a secret): `run` sends it only with confirm */
  changesState: Schema.Boolean
})
export type Meaning = typeof Meaning.Type

/** A slot list LINGUA could not fill from its agent: names of that kind are taken on trust (the agent checks them). */
export const ListNote = Schema.Struct({ list: Schema.String, note: Schema.String })

export const Parsed = Schema.Struct({
  ...Meaning.fields,
  alternatives: Schema.Array(Meaning),
  unread: Schema.optionalKey(Schema.Array(ListNote))
})
export type Parsed = typeof Parsed.Type

export class NotUnderstood extends Schema.TaggedError<NotUnderstood>()("NotUnderstood", {
  text: Schema.String,
  reason: Schema.String,
  closest: Schema.optionalKey(Schema.String)
}) {
  override get message() {
    const shown = this.text.length > 80 ? `${this.text.slice(0, 77)}...` : this.text
    return `I did not understand '${shown}': ${this.reason}` +
      (this.closest === undefined ? "" : `; the closest phrasing I know is '${this.closest}'`)
  }
}

export class UnknownName extends Schema.TaggedError<UnknownName>()("UnknownName", {
  /** what kind of name: "pool", "share" */
  noun: Schema.String,
  name: Schema.String,
  near: Schema.Array(Schema.String),
  /** the phrasing it seemed to use */
  phrasing: Schema.String
}) {
  override get message() {
    const guess = this.near.length === 0
      ? ""
      : `; did you mean ${this.near.map((n) => `'${n}'`).join(" or ")}?`
    return `no ${this.noun} named '${this.name}'${guess}`
  }
}

export class AmbiguousSentence extends Schema.TaggedError<AmbiguousSentence>()("AmbiguousSentence", {
  text: Schema.String,
  candidates: Schema.Array(Schema.Struct({ agent: Schema.String, message: AgentMessageObject }))
}) {
  override get message() {
    const options = this.candidates.map((c) => `${c.agent} ${JSON.stringify(c.message)}`).join(" or ")
    return `'${this.text}' could mean ${options}: say which`
  }
}

export class NotForAgent extends Schema.TaggedError<NotForAgent>()("NotForAgent", {
  agent: Schema.String,
  request: AgentMessageObject,
  reason: Schema.String
}) {
  override get message(): string {
    return `that means ${this.agent} '${this.request.type}', but ${this.agent} would refuse it: ${this.reason}`
  }
}

/** The target agent refused the message with one of its own rejections (its wire form in `rejection`). */
export class TargetRefused extends Schema.TaggedError<TargetRefused>()("TargetRefused", {
  agent: Schema.String,
  messageType: Schema.String,
  rejection: Schema.StructWithRest(Schema.Struct({ _tag: Schema.String }), [Schema.Record(Schema.String, Schema.Unknown)]),
  reason: Schema.String
}) {
  override get message() {
    return `${this.agent} '${this.messageType}' refused: ${this.reason}`
  }
}

/** `run` was told what the sentence meant when it was shown (`expected`), and it means something else now. */
export class MeaningChanged extends Schema.TaggedError<MeaningChanged>()("MeaningChanged", {
  expected: Schema.Struct({ agent: Schema.String, message: AgentMessageObject }),
  now: Schema.Struct({ agent: Schema.String, message: AgentMessageObject })
}) {
  override get message() {
    return `nothing was sent: the sentence meant ${this.expected.agent} ${JSON.stringify(this.expected.message)} when shown, and now means ${this.now.agent} ${JSON.stringify(this.now.message)}`
  }
}

const PARSE_REJECTIONS = [NotUnderstood, UnknownName, AmbiguousSentence, NotForAgent, DependencyFailed] as const

export const Ran = Schema.Struct({
  ...Meaning.fields,
  alternatives: Schema.Array(Meaning),
  /** false: it changes the NAS and `confirm` was not given; nothing was sent */
  sent: Schema.Boolean,
  /** the message as sent (with confirm: true for a plan-then-confirm target) */
  sentMessage: Schema.optionalKey(AgentMessageObject),
  /** the target's reply, as it sent it */
  answer: Schema.optionalKey(Schema.Unknown),
  note: Schema.optionalKey(Schema.String)
})
export type Ran = typeof Ran.Type

export const Phrase = Schema.Struct({
  intent: Schema.String,
  /** "*": the agent named in the sentence */
  agent: Schema.String,
  changesState: Schema.Boolean,
  templates: Schema.Array(Schema.String),
  examples: Schema.Array(Schema.String)
})

export const Lingua = Protocol.make("LINGUA", [
  Protocol.message("parse", {
    doc: "the agent message a sentence means (checked with that agent's schema), with a confidence and alternatives; sends nothing",
    access: "read",
    fields: { text: Sentence },
    reply: Parsed,
    rejections: PARSE_REJECTIONS
  }),
  Protocol.message("run", {
    doc: "parses a sentence and sends its message on the caller's behalf (the caller's own rights apply); a state-changing one only with confirm, else the reply says what would be sent",
    // The target's own access class is checked for the caller (askAs), not LINGUA's.
    access: "read",
    fields: {
      text: Sentence,
      confirm: Schema.optionalKey(Schema.Boolean),
      /** what the caller was shown (a `parse` answer): sent only if the sentence still means exactly that */
      expected: Schema.optionalKey(Schema.Struct({ agent: AgentName, message: AgentMessageObject }))
    },
    reply: Ran,
    rejections: [...PARSE_REJECTIONS, MeaningChanged, TargetRefused, AccessDenied, AuditUnavailable]
  }),
  Protocol.message("phrases", {
    doc: "what LINGUA understands: per intent, its templates and an example",
    access: "read",
    reply: Schema.Array(Phrase)
  })
])
