/**
 * LINGUA's machine: parse, run and phrases, one at a time. The grammar is
 * compiled once per incarnation, on its first use: compiling it is ~20 ms of
 * the daemon's start otherwise (issue 22), for a feature an idle NAS may never
 * be asked for. The slot lists (pools, datasets, shares,
 * disks, peers, ...) are read from the agents that know them when a sentence
 * arrives and the lists are older than the TTL (LinguaConfig, 30 s) — never on
 * a timer, so an idle NAS costs nothing — and after LINGUA itself sent a
 * state-changing message (a share added, a peer removed). A list whose agent
 * did not answer is "unread": names of its kind are then taken on trust, and
 * the target agent checks them.
 */
import { Clock, Effect, Exit } from "effect"
import { AgentEnv, type AgentMessage } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import { type AccessDenied, type AuditUnavailable, describeError } from "../../runtime/Errors.ts"
import { DependencyFailed } from "../shared/rejections.ts"
import { LinguaConfig } from "./config.ts"
import { serviceMachine } from "../shared/serve.ts"
import {
  AmbiguousSentence,
  Lingua,
  type Meaning,
  MeaningChanged,
  NotForAgent,
  NotUnderstood,
  type Parsed,
  type Ran,
  TargetRefused,
  UnknownName
} from "./messages.ts"
import { Llm } from "../../adapters/llm/Llm.ts"
import { compile, type Compiled, dispatch, fromModel, llmCatalogue, readsOnly, type NasListName, type NasLists, phrasesOf, slotLists, understand, type Understood } from "./understand.ts"

const records = (value: unknown, key: string): ReadonlyArray<Record<string, unknown>> => {
  const list = Array.isArray(value) ? value : typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : []
}
const strings = (items: ReadonlyArray<Record<string, unknown>>, field: string): ReadonlyArray<string> =>
  items.map((x) => x[field]).filter((x): x is string => typeof x === "string")

/** Where each list comes from: the agent, the message, and how to read the names from its reply. */
const SOURCES: ReadonlyArray<{
  readonly list: Exclude<NasListName, "agent">
  readonly agent: string
  readonly message: AgentMessage
  readonly names: (reply: unknown) => ReadonlyArray<string>
}> = [
  { list: "pool", agent: "LATTICE", message: { type: "health" }, names: (r) => strings(records(r, "pools"), "name") },
  { list: "dataset", agent: "LATTICE", message: { type: "datasets" }, names: (r) => strings(records(r, "datasets"), "name") },
  {
    list: "share",
    agent: "BRIDGE",
    message: { type: "shares", live: false },
    names: (r) => records(r, "shares").flatMap((s) => (typeof s.protocol === "string" && typeof s.name === "string" ? [`${s.protocol}:${s.name}`] : []))
  },
  {
    list: "disk",
    agent: "VERTEX",
    message: { type: "topology" },
    names: (r) => strings(records(r, "nodes").filter((n) => n.kind === "disk"), "label")
  },
  { list: "peer", agent: "PHANTOM", message: { type: "peers" }, names: (r) => strings(records(r, "peers"), "name") },
  { list: "interface", agent: "PHOTON", message: { type: "interfaces" }, names: (r) => strings(records(r, "interfaces"), "name") },
  { list: "schedule", agent: "ORBIT", message: { type: "list" }, names: (r) => strings(records(r, "schedules"), "name") },
  { list: "incident", agent: "NEXUS", message: { type: "incidents", open: false }, names: (r) => strings(records(r, "incidents"), "id") },
  { list: "key", agent: "QUANTUM", message: { type: "keys" }, names: (r) => strings(records(r, "keys"), "id") }
]

interface Cache {
  readonly readAt: number
  readonly lists: NasLists
  readonly unread: ReadonlyArray<{ readonly list: string; readonly note: string }>
}

const meaningOf = (u: Understood): Meaning => ({
  intent: u.intent,
  agent: u.agent,
  message: u.message as Meaning["message"],
  confidence: u.confidence,
  changesState: u.changes
})

export const makeMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const config = yield* LinguaConfig
  let compiledGrammar: Compiled | undefined
  const compiled = () => (compiledGrammar ??= compile())
  const llm = yield* Llm
  let cache: Cache | undefined
  let catalogue: string | undefined
  env.describeCapability(
    "local-llm",
    llm.endpoint === undefined
      ? "not configured (lingua_llm_url): sentences the grammar does not know are refused with the closest phrasing"
      : `asks ${llm.endpoint} for sentences the grammar does not know; its answer is checked with the target's schema, confidence 0.5`
  )

  const readLists = Effect.gen(function*() {
    const read = yield* Effect.forEach(
      SOURCES,
      (source) =>
        env.system.ask(source.agent, source.message, { timeoutMs: config.listTimeoutMs }).pipe(
          Effect.map((reply) => ({ list: source.list, names: source.names(reply) as ReadonlyArray<string> | undefined, note: undefined as string | undefined })),
          Effect.catch((error) => Effect.succeed({ list: source.list, names: undefined, note: `${source.agent} '${String(source.message.type)}': ${describeError(error)}` }))
        ),
      { concurrency: "unbounded" }
    )
    const lists: Record<string, ReadonlyArray<string> | undefined> = { agent: env.system.agentNames() }
    for (const r of read) lists[r.list] = r.names
    const now = yield* Clock.currentTimeMillis
    cache = {
      readAt: now,
      lists: lists as NasLists,
      unread: read.flatMap((r) => (r.note === undefined ? [] : [{ list: r.list, note: r.note }]))
    }
    return cache
  })

  const freshLists = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (cache !== undefined && now - cache.readAt < config.listTtlMs) return cache
    return yield* readLists
  })

  const validate = (agent: string, message: AgentMessage): string | undefined => {
    const checked = env.system.validate(agent, message)
    return Exit.isSuccess(checked) ? undefined : describeFailure(checked)
  }

  const meaning = (text: string) =>
    Effect.gen(function*() {
      const lists = yield* freshLists
      const outcome = understand(compiled(), text, { lists: slotLists(lists.lists), validate })
      switch (outcome._tag) {
        case "Understood":
          return { best: outcome.best, alternatives: outcome.alternatives, unread: lists.unread }
        case "UnknownName":
          return yield* Effect.fail(new UnknownName({ noun: outcome.noun, name: outcome.said, near: outcome.near, phrasing: outcome.example }))
        case "Ambiguous":
          return yield* Effect.fail(new AmbiguousSentence({ text, candidates: outcome.candidates.map((c) => ({ agent: c.agent, message: c.message as Meaning["message"] })) }))
        case "Invalid":
          return yield* Effect.fail(new NotForAgent({ agent: outcome.agent, request: outcome.message as Meaning["message"], reason: outcome.reason }))
        case "NotUnderstood": {
          const fallback = llm.endpoint === undefined ? undefined : yield* askModel(text, lists.lists)
          if (fallback !== undefined && typeof fallback !== "string") return { best: fallback, alternatives: [], unread: lists.unread }
          const reason = typeof fallback === "string" ? `${outcome.reason}; the local model: ${fallback}` : outcome.reason
          return yield* Effect.fail(
            new NotUnderstood({ text, reason, ...(outcome.closest === undefined ? {} : { closest: outcome.closest }) })
          )
        }
      }
    })

  /**
   * The local model's reading of a sentence the grammar does not know: checked with the
   * target's schema like any other; state-changing unless a read; confidence 0.5.
   */
  const askModel = (text: string, lists: NasLists) =>
    Effect.gen(function*() {
      catalogue ??= llmCatalogue(compiled())
      const names = Object.entries(lists)
        .filter(([, values]) => values !== undefined && values.length > 0)
        .map(([list, values]) => `${list}: ${(values as ReadonlyArray<string>).slice(0, 50).join(", ")}`)
        .join("\n")
      const system =
        "You turn a NAS owner's sentence into one message for one agent of SigmaVault. Answer with only a JSON object " +
        '{"agent": "AGENT", "message": {"type": "...", ...}} using one of these shapes (fill the {slots}), or {"agent": null} ' +
        `if none fits. Never add "confirm".\n\nMessages:\n${catalogue}\n\nNames on this NAS:\n${names}`
      const answer = yield* Effect.result(llm.complete({ system, user: text, timeoutMs: config.llmTimeoutMs }))
      if (answer._tag === "Failure") return answer.failure.reason
      const read = fromModel(answer.success)
      if (typeof read === "string") return read
      const refused = validate(read.agent, read.message)
      if (refused !== undefined) return `it proposed ${read.agent} ${JSON.stringify(read.message)}, which ${read.agent} would refuse: ${refused}`
      const described = env.system.protocolOf(read.agent)?.get(read.message.type)
      const access = described?.access ?? "admin"
      const fields = (described?.request as unknown as { readonly fields?: Record<string, unknown> } | undefined)?.fields ?? {}
      const understood: Understood = {
        intent: "local-llm",
        agent: read.agent,
        message: read.message,
        confidence: 0.5,
        changes: access !== "read" && !readsOnly(read.agent, read.message),
        confirmField: "confirm" in fields,
        match: { slots: [], edits: 0, literal: 0, free: 0, unknown: 0 }
      }
      return understood
    })

  const parsed = (m: { readonly best: Understood; readonly alternatives: ReadonlyArray<Understood>; readonly unread: Cache["unread"] }): Parsed => ({
    ...meaningOf(m.best),
    alternatives: m.alternatives.map(meaningOf),
    ...(m.unread.length === 0 ? {} : { unread: m.unread })
  })

  const send = (caller: Caller, u: Understood, message: AgentMessage) => {
    return env.system.askAs(caller, u.agent, message, { timeoutMs: config.askTimeoutMs }).pipe(
      Effect.map((answer) => ({ message, answer })),
      Effect.catch((error): Effect.Effect<never, AccessDenied | AuditUnavailable | TargetRefused | NotForAgent | DependencyFailed> => {
        switch (error._tag) {
          case "AccessDenied":
          case "AuditUnavailable":
            return Effect.fail(error)
          case "Rejected":
            return Effect.fail(new TargetRefused({ agent: error.agent, messageType: error.messageType, rejection: error.rejection, reason: error.reason }))
          case "InvalidMessage":
            return Effect.fail(new NotForAgent({ agent: u.agent, request: message as Meaning["message"], reason: error.reason }))
          default:
            return Effect.fail(new DependencyFailed({ agent: u.agent, reason: error.message }))
        }
      })
    )
  }

  return yield* serviceMachine(Lingua, {
    handlers: {
      parse: (request) => Effect.map(meaning(request.text), parsed),
      run: (request, { caller }) =>
        Effect.gen(function*() {
          const m = yield* meaning(request.text)
          const base = parsed(m)
          const expected = request.expected
          if (expected !== undefined && (expected.agent !== m.best.agent || JSON.stringify(expected.message) !== JSON.stringify(m.best.message))) {
            return yield* Effect.fail(new MeaningChanged({ expected, now: { agent: m.best.agent, message: m.best.message as Meaning["message"] } }))
          }
          const decided = dispatch(m.best, request.confirm === true)
          if (!decided.send) return { ...base, sent: false, note: decided.reason } satisfies Ran
          const { message, answer } = yield* send(caller, m.best, decided.message)
          // What LINGUA changed may have changed the names it knows (a share added, a peer removed).
          if (m.best.changes) cache = undefined
          return { ...base, sent: true, sentMessage: message as Meaning["message"], answer } satisfies Ran
        }),
      phrases: () => Effect.succeed(phrasesOf(compiled()))
    }
  })
})

const describeFailure = (exit: Exit.Exit<unknown, { readonly message: string }>): string =>
  Exit.isFailure(exit) ? exit.cause.toString().split("\n")[0]! : "accepted"
