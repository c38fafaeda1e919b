/**
 * The D-Bus interface (docs/dbus.md): the same view of the actor system as
 * the control socket, on the system or session bus, for desktop tools,
 * `busctl` and `gdbus`.
 *
 *   org.sigmavault.Runtime  /org/sigmavault/Runtime  org.sigmavault.Runtime1
 *     ListAgents() → a(sssssuuuts), GetAgent(s) → a{sv}, GetStatus() → a{sv},
 *     Tell(s, s), Ask(s, s, u) → s
 *     signals AgentStateChanged(sss), AgentRestarted(su), AgentFailed(ss),
 *       Alert(ssssst), Incident(sssssut), Progress(ssdds), SignalsLost(tt) (STREAM's topics)
 *   /org/sigmavault/Agent/<NAME>  org.sigmavault.Agent1
 *     read-only State, Lifecycle, Tier, Readiness, MailboxDepth, Restarts, LastError
 *
 * The runtime's own shapes are typed D-Bus values, as UDisks2 and
 * NetworkManager give theirs: a struct per agent, and a{sv} dictionaries that
 * `busctl` and `gdbus` print field by field. Tell and Ask take and give JSON,
 * because each agent's messages are its own; they reach the agents exactly as
 * the control socket's tell and ask do (`injectNow`, `injectAskCallback`):
 * validated against the agent's protocol and refused at once when its mailbox
 * is full. Every failure is a D-Bus error named org.sigmavault.Error.*, and an
 * agent's typed rejection is org.sigmavault.Rejected.<its tag>; malformed
 * JSON, a refused message or a call with the wrong signature gets an error
 * reply and never reaches past its call.
 *
 * Signals and PropertiesChanged follow the inspection stream. Subscribing to
 * it makes the runtime publish an event per handled message as well; they are
 * dropped here.
 */
import * as dbus from "dbus-next"
// dbus-next's own dispatcher (its standard interfaces and exported objects), run once a call has passed the gate.
import dispatch from "dbus-next/lib/service/handlers.js"
import { Cause, Effect, Exit, Schema, Scope } from "effect"
import type { DaemonStatus } from "../../protocol/Requests.ts"
import type { ActorSystem } from "../../runtime/ActorSystem.ts"
import type { AgentStatus } from "../../runtime/Status.ts"
import type { Caller } from "../../runtime/Caller.ts"
import type { AskError, Rejected, TellError } from "../../runtime/Errors.ts"
import type { Gate } from "../../runtime/Gate.ts"
import type { InspectionEvent } from "../../runtime/Inspection.ts"
import { TOPICS } from "../../runtime/Topics.ts"
import type { Endpoint } from "../socket/Gateway.ts"

export const BUS_NAME = "org.sigmavault.Runtime"
export const RUNTIME_PATH = "/org/sigmavault/Runtime"
export const RUNTIME_INTERFACE = "org.sigmavault.Runtime1"
export const AGENT_PATH_PREFIX = "/org/sigmavault/Agent"
export const AGENT_INTERFACE = "org.sigmavault.Agent1"

/** The error names callers see; docs/dbus.md lists when each is sent. */
export const ErrorName = {
  UnknownAgent: "org.sigmavault.Error.UnknownAgent",
  InvalidMessage: "org.sigmavault.Error.InvalidMessage",
  Timeout: "org.sigmavault.Error.Timeout",
  MailboxFull: "org.sigmavault.Error.MailboxFull",
  /** The caller's access class is below what it asked for needs; or who it is could not be told. */
  AccessDenied: "org.sigmavault.Error.AccessDenied",
  /** A state-changing request could not be recorded in the audit ledger, so it was not carried out. */
  AuditUnavailable: "org.sigmavault.Error.AuditUnavailable",
  AgentStopped: "org.sigmavault.Error.AgentStopped",
  ShuttingDown: "org.sigmavault.Error.ShuttingDown",
  /** An agent refused the message with a rejection its protocol declares; the error's name ends in the rejection's tag. */
  Rejected: "org.sigmavault.Rejected",
  AgentCrashed: "org.sigmavault.Error.AgentCrashed",
  ProtocolViolation: "org.sigmavault.Error.ProtocolViolation",
  Internal: "org.sigmavault.Error.Internal"
} as const

const ERROR_NAME_OF_TAG: Readonly<Record<(AskError | TellError)["_tag"], string>> = {
  UnknownAgent: ErrorName.UnknownAgent,
  InvalidMessage: ErrorName.InvalidMessage,
  AskTimeout: ErrorName.Timeout,
  MailboxFull: ErrorName.MailboxFull,
  AgentStopped: ErrorName.AgentStopped,
  SystemShuttingDown: ErrorName.ShuttingDown,
  Rejected: ErrorName.Rejected,
  AgentCrashed: ErrorName.AgentCrashed,
  ProtocolViolation: ErrorName.ProtocolViolation,
  AccessDenied: ErrorName.AccessDenied,
  AuditUnavailable: ErrorName.AuditUnavailable
}

export class DbusError extends Schema.TaggedError<DbusError>()("DbusError", {
  bus: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `D-Bus (${this.bus}): ${this.reason}`
  }
}

export interface DbusGatewayOptions {
  readonly bus: "system" | "session"
  /** A bus address (`unix:path=…`); default: the system bus, or $DBUS_SESSION_BUS_ADDRESS. */
  readonly address?: string
  /** Used when Ask is called with timeout_ms 0. Default 5000. */
  readonly defaultAskTimeoutMs?: number
  /** The daemon's own fields of GetStatus (version, pid, uptime…), as the control socket's `status` op has. */
  readonly daemonInfo?: () => Omit<DaemonStatus, "summary" | "agents">
  /** Registers the endpoint with the Gateway registry (Gateway.ts `makeRegistry().register`). */
  readonly register?: (source: () => Endpoint) => void
  /** How long connecting and claiming the bus name may take. Default 10000. */
  readonly connectTimeoutMs?: number
  /** Who may call what: every call to the daemon's objects passes it, with the sender's credentials from the bus. */
  readonly gate: Gate
  /** Events of STREAM's topics held for the Alert/Incident/Progress signals before the oldest are dropped. Default 256. */
  readonly signalBuffer?: number
}

export interface DbusGateway {
  readonly busName: string
  /** The connection's unique name on the bus (":1.42"). */
  readonly uniqueName: string
  readonly connected: () => boolean
}

/**
 * An object path element for an agent name: [A-Za-z0-9] as is, anything else
 * as `_xx` (its UTF-8 bytes in hex), so names with `-` or `.` still get a path.
 */
export const agentPath = (name: string): string =>
  `${AGENT_PATH_PREFIX}/${
    [...Buffer.from(name, "utf8")]
      .map((byte) => /[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, "0")}`)
      .join("") || "_"
  }`

// ---- the library edge -------------------------------------------------------
// dbus-next calls the interface's methods and turns a thrown (or rejected)
// DBusError into an error reply; that is its protocol, so failures become
// DBusError values here and are thrown only in the method bodies below.

const dbusError = (name: string, text: string) => new dbus.DBusError(name, text)

const errorOf = (cause: Cause.Cause<AskError | TellError>): dbus.DBusError => {
  const error = Cause.squash(cause)
  if (error !== null && typeof error === "object" && "_tag" in error && "message" in error) {
    if (error._tag === "Rejected") return dbusError(`${ErrorName.Rejected}.${(error as Rejected).rejection._tag}`, String(error.message))
    const name = ERROR_NAME_OF_TAG[error._tag as keyof typeof ERROR_NAME_OF_TAG]
    if (name !== undefined) return dbusError(name, String(error.message))
  }
  return dbusError(ErrorName.Internal, error instanceof Error ? error.message : String(error))
}

/** JSON.parse throws on bad input: this is the edge where that becomes a value. */
const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: dbus.DBusError } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return {
      ok: false,
      error: dbusError(ErrorName.InvalidMessage, `message is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

/** JSON.stringify throws on a BigInt or a cycle in an agent's answer: reported, never crashes. */
const toJson = (value: unknown): string => {
  try {
    return JSON.stringify(value ?? null) ?? "null"
  } catch (error) {
    throw dbusError(ErrorName.Internal, `the answer cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const u32 = (n: number) => Math.max(0, Math.min(0xffff_ffff, Math.trunc(n)))
const u64 = (n: number) => BigInt(Math.max(0, Math.trunc(n)))
const variant = (signature: string, value: unknown) => new dbus.Variant(signature, value)

/** One agent as ListAgents lists it: (name, tier, readiness, lifecycle, state, mailbox depth, mailbox capacity, restarts, handled, last error). */
export const AGENT_ROW_SIGNATURE = "(sssssuuuts)"
const agentRow = (a: AgentStatus): [string, string, string, string, string, number, number, number, bigint, string] => [
  a.name,
  a.tier,
  a.readiness,
  a.lifecycle,
  a.state,
  u32(a.mailboxDepth),
  u32(a.mailboxCapacity),
  u32(a.restarts),
  u64(a.handled),
  a.lastError ?? ""
]

/** One agent's whole status as a{sv}, keys in snake_case as D-Bus APIs name them. */
const agentDict = (a: AgentStatus): Record<string, dbus.Variant> => ({
  name: variant("s", a.name),
  tier: variant("s", a.tier),
  readiness: variant("s", a.readiness),
  lifecycle: variant("s", a.lifecycle),
  incarnation: variant("u", u32(a.incarnation)),
  state: variant("s", a.state),
  handled: variant("t", u64(a.handled)),
  rejected: variant("t", u64(a.rejected)),
  mailbox_depth: variant("u", u32(a.mailboxDepth)),
  mailbox_high_water: variant("u", u32(a.mailboxHighWater)),
  mailbox_capacity: variant("u", u32(a.mailboxCapacity)),
  handling_p50_us: variant("d", a.handlingP50Us),
  handling_p99_us: variant("d", a.handlingP99Us),
  restarts: variant("u", u32(a.restarts)),
  dead_letters: variant("t", u64(a.deadLetters)),
  last_error: variant("s", a.lastError ?? ""),
  last_restart_at_ms: variant("t", u64(a.lastRestartAt ?? 0))
})

class RuntimeInterface extends dbus.interface.Interface {
  constructor(
    private readonly system: ActorSystem,
    private readonly options: DbusGatewayOptions,
    /** Who made the call being dispatched: set by the gate just before dbus-next calls the method. */
    private readonly caller: () => Caller
  ) {
    super(RUNTIME_INTERFACE)
  }

  private statusOf(agent: string): AgentStatus {
    const status = this.system.status(agent)
    if (status === undefined) {
      throw dbusError(
        ErrorName.UnknownAgent,
        `unknown agent '${agent}'; known agents: ${this.system.agents().map((a) => a.name).join(", ")}`
      )
    }
    return status
  }

  ListAgents(): Array<ReturnType<typeof agentRow>> {
    return this.system.agents().map(agentRow)
  }

  GetAgent(agent: string): Record<string, dbus.Variant> {
    return agentDict(this.statusOf(agent))
  }

  GetStatus(): Record<string, dbus.Variant> {
    const info = this.options.daemonInfo?.()
    const s = this.system.summary()
    return {
      ...(info === undefined ? {} : {
        version: variant("s", info.version),
        pid: variant("u", u32(info.pid)),
        uptime_seconds: variant("t", u64(info.uptimeSeconds)),
        socket: variant("s", info.socket),
        connections: variant("u", u32(info.connections)),
        rss_bytes: variant("t", u64(info.rssBytes)),
        event_loop_lag_ms: variant("d", info.eventLoopLagMs)
      }),
      lifecycle: variant("s", s.lifecycle),
      agents: variant("u", u32(s.agents)),
      running: variant("u", u32(s.running)),
      restarting: variant("u", u32(s.restarting)),
      failed: variant("u", u32(s.failed)),
      stopped: variant("u", u32(s.stopped)),
      ready: variant("u", u32(s.ready)),
      planned: variant("u", u32(s.planned)),
      dead_letters: variant("t", u64(s.deadLetters)),
      escalations: variant("as", [...s.escalations])
    }
  }

  Tell(agent: string, json: string): Promise<void> {
    const message = parseJson(json)
    if (!message.ok) return Promise.reject(message.error)
    const caller = this.caller()
    return new Promise((resolve, reject) =>
      this.system.injectTellCallback(caller, agent, message.value, (told) => (Exit.isFailure(told) ? reject(errorOf(told.cause)) : resolve()))
    )
  }

  Ask(agent: string, json: string, timeoutMs: number): Promise<string> {
    const message = parseJson(json)
    if (!message.ok) return Promise.reject(message.error)
    const caller = this.caller()
    return new Promise((resolve, reject) =>
      this.system.injectAskCallback(
        caller,
        agent,
        message.value,
        timeoutMs > 0 ? timeoutMs : this.options.defaultAskTimeoutMs ?? 5_000,
        (exit) => {
          if (Exit.isFailure(exit)) return reject(errorOf(exit.cause))
          // toJson throws a DBusError for an answer JSON cannot carry; the promise turns it into a reply.
          new Promise<string>((ok) => ok(toJson(exit.value))).then(resolve, reject)
        }
      )
    )
  }

  // Signals: dbus-next emits one when the method is called; the return value is its body.
  AgentStateChanged(agent: string, from: string, to: string): Array<string> {
    return [agent, from, to]
  }

  AgentRestarted(agent: string, restarts: number): [string, number] {
    return [agent, u32(restarts)]
  }

  AgentFailed(agent: string, error: string): Array<string> {
    return [agent, error]
  }

  // STREAM's topics as signals (docs/dbus.md, docs/topics.md); `at_ms` is when the event was published.
  /** `code` is the finding's stable code ("ZFS-8000-2Q"), "" when the alert has none. */
  Alert(agent: string, severity: string, subject: string, text: string, code: string, atMs: number): [string, string, string, string, string, bigint] {
    return [agent, severity, subject, text, code, u64(atMs)]
  }

  Incident(
    id: string,
    state: string,
    severity: string,
    subject: string,
    title: string,
    alerts: number,
    atMs: number
  ): [string, string, string, string, string, number, bigint] {
    return [id, state, severity, subject, title, u32(alerts), u64(atMs)]
  }

  /** total is -1 when the job's size is not known in advance. */
  Progress(agent: string, job: string, done: number, total: number, unit: string): [string, string, number, number, string] {
    return [agent, job, done, total, unit]
  }

  /** Signal events the daemon dropped (its buffer for the signals overflowed): how many now, how many in all. */
  SignalsLost(lost: number, total: number): [bigint, bigint] {
    return [u64(lost), u64(total)]
  }
}

RuntimeInterface.configureMembers({
  methods: {
    ListAgents: { inSignature: "", outSignature: `a${AGENT_ROW_SIGNATURE}` },
    GetAgent: { inSignature: "s", outSignature: "a{sv}" },
    GetStatus: { inSignature: "", outSignature: "a{sv}" },
    Tell: { inSignature: "ss", outSignature: "" },
    Ask: { inSignature: "ssu", outSignature: "s" }
  },
  signals: {
    AgentStateChanged: { signature: "sss" },
    AgentRestarted: { signature: "su" },
    AgentFailed: { signature: "ss" },
    Alert: { signature: "ssssst" },
    Incident: { signature: "sssssut" },
    Progress: { signature: "ssdds" },
    SignalsLost: { signature: "tt" }
  }
})

class AgentInterface extends dbus.interface.Interface {
  constructor(private readonly system: ActorSystem, readonly agent: string) {
    super(AGENT_INTERFACE)
  }

  // A property whose value is undefined is an error reply in dbus-next: every getter answers something.
  private get status(): AgentStatus | undefined {
    return this.system.status(this.agent)
  }
  get Name(): string {
    return this.agent
  }
  get State(): string {
    return this.status?.state ?? "-"
  }
  get Lifecycle(): string {
    return this.status?.lifecycle ?? "stopped"
  }
  get Tier(): string {
    return this.status?.tier ?? ""
  }
  get Readiness(): string {
    return this.status?.readiness ?? ""
  }
  get MailboxDepth(): number {
    return u32(this.status?.mailboxDepth ?? 0)
  }
  get Restarts(): number {
    return u32(this.status?.restarts ?? 0)
  }
  get LastError(): string {
    return this.status?.lastError ?? ""
  }

  /** Emits PropertiesChanged with the current values of `names`, and `exact` values as given. */
  changed(
    names: ReadonlyArray<"State" | "Lifecycle" | "Restarts" | "LastError" | "MailboxDepth">,
    exact: Readonly<Record<string, unknown>> = {}
  ) {
    const values: Record<string, unknown> = {}
    for (const name of names) values[name] = this[name]
    Object.assign(values, exact)
    dbus.interface.Interface.emitPropertiesChanged(this, values, [])
  }
}

AgentInterface.configureMembers({
  properties: {
    Name: { signature: "s", access: "read" },
    State: { signature: "s", access: "read" },
    Lifecycle: { signature: "s", access: "read" },
    Tier: { signature: "s", access: "read" },
    Readiness: { signature: "s", access: "read" },
    MailboxDepth: { signature: "u", access: "read" },
    Restarts: { signature: "u", access: "read" },
    LastError: { signature: "s", access: "read" }
  }
})

const busFor = (options: DbusGatewayOptions): dbus.MessageBus =>
  options.address !== undefined
    ? dbus.sessionBus({ busAddress: options.address })
    : options.bus === "system"
    ? dbus.systemBus()
    : dbus.sessionBus()

const describe = (error: unknown) => error instanceof Error ? error.message : String(error)

/** An error reply to `msg` (dbus-next's typings name its first parameter a string; it is the call being answered). */
const errorReply = (msg: dbus.Message, name: string, text: string) => dbus.Message.newError(msg as unknown as string, name, text)

/** Unique names are never reused on a bus, so a sender's credentials can be kept; a bound keeps the cache small. */
const MAX_KNOWN_SENDERS = 1024

/** A sender's credentials, as the bus daemon knows them (GetConnectionCredentials). */
const credentialsOf = (bus: dbus.MessageBus, sender: string): Promise<Caller> =>
  bus.call(new dbus.Message({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "GetConnectionCredentials",
    signature: "s",
    body: [sender]
  })).then((reply) => {
    const credentials = (reply?.body[0] ?? {}) as Record<string, { readonly value: unknown } | undefined>
    const uid = credentials["UnixUserID"]?.value
    if (typeof uid !== "number") throw new Error(`the bus gave no uid for ${sender}`)
    const groups = credentials["UnixGroupIDs"]?.value
    const gids = Array.isArray(groups) ? groups.filter((g): g is number => typeof g === "number") : []
    const pid = credentials["ProcessID"]?.value
    return {
      uid,
      gid: gids[0] ?? uid,
      groups: gids,
      via: "dbus" as const,
      sender,
      ...(typeof pid === "number" ? { pid } : {})
    }
  })

/**
 * Puts every call to the daemon's objects through the gate before dbus-next
 * dispatches it: the sender's credentials come from the bus, Tell and Ask are
 * checked by the runtime against their message's class, and everything else
 * (ListAgents, GetStatus, GetAgent, the agents' properties) needs read.
 * Introspection and Peer.Ping are open, as they say nothing about the NAS.
 */
const gateCalls = (bus: dbus.MessageBus, gate: Gate) => {
  const known = new Map<string, Promise<Caller>>()
  let current: Caller | undefined
  const callerOf = (sender: string): Promise<Caller> => {
    let found = known.get(sender)
    if (found === undefined) {
      found = credentialsOf(bus, sender)
      known.set(sender, found)
      // A failed lookup is not kept: the next call asks again.
      found.catch(() => known.delete(sender))
      if (known.size > MAX_KNOWN_SENDERS) known.delete(known.keys().next().value!)
    }
    return found
  }
  const ours = (path: string | undefined) => path === RUNTIME_PATH || path?.startsWith(`${AGENT_PATH_PREFIX}/`) === true
  bus.addMethodHandler((msg: dbus.Message) => {
    if (!ours(msg.path) || msg.interface === "org.freedesktop.DBus.Introspectable" || msg.interface === "org.freedesktop.DBus.Peer") {
      return false
    }
    callerOf(msg.sender ?? "").then(
      (caller) => {
        const perMessage = msg.interface === RUNTIME_INTERFACE && (msg.member === "Tell" || msg.member === "Ask")
        const denied = perMessage ? undefined : gate.check(caller, `D-Bus ${msg.member ?? "?"}`, "read")
        if (denied !== undefined) {
          gate.refused(denied)
          return bus.send(errorReply(msg, ErrorName.AccessDenied, denied.message))
        }
        current = caller
        let handled: boolean
        try {
          handled = dispatch(msg, bus)
        } finally {
          current = undefined
        }
        if (!handled) {
          bus.send(errorReply(msg, "org.freedesktop.DBus.Error.UnknownMethod", `no method ${msg.interface}.${msg.member} (${msg.signature ?? ""})`))
        }
      },
      (error: unknown) => bus.send(errorReply(msg, ErrorName.AccessDenied, `cannot tell who is calling: ${describe(error)}`))
    )
    return true
  })
  return {
    /** The caller of the call being dispatched (only ever read while dbus-next runs a method for it). */
    callerNow: (): Caller => current!
  }
}

/**
 * Connects, exports the runtime and agent objects, then claims the bus name
 * (so a caller that sees the name sees every object). Fails if the name is
 * taken (another daemon) or the bus refuses it (no policy installed); the
 * scope's end releases the name and disconnects.
 */
export const start = (
  system: ActorSystem,
  options: DbusGatewayOptions
): Effect.Effect<DbusGateway, DbusError, Scope.Scope> =>
  Effect.gen(function*() {
    const busLabel = options.address ?? options.bus
    const fail = (reason: string) => new DbusError({ bus: busLabel, reason })
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    let connected = false

    const bus = yield* Effect.acquireRelease(
      Effect.try({ try: () => busFor(options), catch: (error) => fail(`cannot connect: ${describe(error)}`) }),
      (bus) =>
        Effect.gen(function*() {
          if (connected) {
            yield* Effect.ignore(Effect.timeoutOption(Effect.tryPromise(() => bus.releaseName(BUS_NAME)), 2_000))
          }
          connected = false
          bus.disconnect()
        })
    )
    // Without a listener an 'error' event would throw and take the daemon down: a lost bus is logged instead.
    const failedEarly = new Promise<never>((_, reject) => bus.once("error", reject))
    failedEarly.catch(() => undefined)
    bus.on("error", (error: unknown) => {
      if (!connected) return
      connected = false
      runFork(Effect.logError(`D-Bus connection to ${busLabel} lost: ${describe(error)}; the D-Bus interface is down`))
    })

    const { callerNow } = gateCalls(bus, options.gate)
    const runtime = new RuntimeInterface(system, options, callerNow)
    const agentObjects = new Map<string, AgentInterface>()
    bus.export(RUNTIME_PATH, runtime)
    for (const status of system.agents()) {
      const object = new AgentInterface(system, status.name)
      agentObjects.set(status.name, object)
      bus.export(agentPath(status.name), object)
    }

    const claimed = yield* Effect.timeoutOption(
      Effect.tryPromise({
        try: () => Promise.race([bus.requestName(BUS_NAME, dbus.NameFlag.DO_NOT_QUEUE), failedEarly]),
        catch: (error) =>
          fail(
            `cannot own ${BUS_NAME}: ${describe(error)}` +
              (options.bus === "system" ? " (is packaging/dbus/org.sigmavault.Runtime.conf installed in /usr/share/dbus-1/system.d?)" : "")
          )
      }),
      options.connectTimeoutMs ?? 10_000
    )
    if (claimed._tag === "None") return yield* Effect.fail(fail(`the bus did not answer within ${options.connectTimeoutMs ?? 10_000} ms`))
    if (claimed.value !== dbus.RequestNameReply.PRIMARY_OWNER) {
      return yield* Effect.fail(fail(`${BUS_NAME} is already owned on this bus (another sigmavault daemon?)`))
    }
    connected = true
    const since = Date.now()

    const onEvent = (event: InspectionEvent) => {
      switch (event._tag) {
        case "Transition":
          runtime.AgentStateChanged(event.agent, event.from, event.to)
          // The event's own `to`: by the time it is read here the agent may have moved on.
          return agentObjects.get(event.agent)?.changed(["MailboxDepth"], { State: event.to })
        case "Restarted":
          runtime.AgentRestarted(event.agent, event.restarts)
          return agentObjects.get(event.agent)?.changed(["Restarts", "Lifecycle", "LastError", "State"])
        case "Failed":
          runtime.AgentFailed(event.agent, event.error)
          return agentObjects.get(event.agent)?.changed(["Lifecycle", "LastError"])
        case "Started":
        case "Stopped":
          return agentObjects.get(event.agent)?.changed(["Lifecycle", "State"])
        default:
          return
      }
    }
    // Signals need lifecycle events only: per-message events stay off the agents' hot path.
    const subscriber = yield* system.inspection.subscribeWith({ messageEvents: false })
    yield* Effect.forkScoped(Effect.forever(Effect.map(subscriber.take, (event) => {
      if (connected) onEvent(event)
    })))

    // STREAM's topics as signals, through a subscription of their own with a bounded buffer:
    // taken while the connection exists, ended when it is lost (nobody to emit to).
    const signalScope = yield* Scope.fork(yield* Effect.scope)
    const signalTopics = ["alerts", "incidents", "progress"] as const
    const signals = yield* Scope.provide(
      system.inspection.subscribeTo({
        tags: signalTopics.flatMap((topic) => TOPICS[topic]),
        buffer: options.signalBuffer ?? 256,
        label: { transport: "dbus", who: `${options.bus} bus`, topics: [...signalTopics] }
      }),
      signalScope
    )
    bus.on("error", () => runFork(Scope.close(signalScope, Exit.void)))
    let signalsReported = 0
    const emitTopic = (event: InspectionEvent) => {
      switch (event._tag) {
        case "Alert":
          return runtime.Alert(event.agent, event.severity, event.subject, event.text, event.code ?? "", event.at)
        case "Incident":
          return runtime.Incident(event.id, event.state, event.severity, event.subject, event.title, event.alerts, event.at)
        case "Progress":
          return runtime.Progress(event.agent, event.job, event.done, event.total ?? -1, event.unit)
        default:
          return
      }
    }
    yield* Effect.forkIn(
      Effect.forever(Effect.map(signals.next, ({ event, lost }) => {
        if (!connected) return
        if (lost > signalsReported) {
          runtime.SignalsLost(lost - signalsReported, lost)
          signalsReported = lost
        }
        emitTopic(event)
      })),
      signalScope
    )

    options.register?.(() => ({ kind: "dbus", address: `${options.bus}:${BUS_NAME}`, connections: connected ? 1 : 0, since }))
    return { busName: BUS_NAME, uniqueName: (bus as unknown as { readonly name?: string }).name ?? "", connected: () => connected }
  })
