/**
 * The agents whose real jobs arrive in later work: each one is registered
 * and supervised, answers the runtime's standard messages, and answers every
 * message it declares with an honest "not built yet" — never a made-up result.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema, SchemaAST } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import * as fc from "fast-check"
import { apexAgent } from "../../src/actors/apex/index.ts"
import { type ActorSystem, make } from "../../src/runtime/ActorSystem.ts"
import type { AgentDefinition, AgentMessage, Tier } from "../../src/runtime/Agent.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import type { AgentStatus } from "../../src/runtime/Status.ts"
import { decodedReply, tree, ROOT } from "../support/agents.ts"

/** SPEC.md's table, for the agents registered here. */
const specTiers: Readonly<Record<string, Tier>> = {
  APEX: "1"
}

const planned: ReadonlyArray<AgentDefinition> = [
  apexAgent
]

const startSystem = make({ root: tree("PLANNED", "one_for_one", planned) })

// ---- reading an agent's declared messages from its schema ------------------

interface PlannedMessage {
  readonly type: string
  readonly schema: Schema.Codec<AgentMessage>
  readonly fields: ReadonlyArray<SchemaAST.PropertySignature>
}

const plannedMessages = (definition: AgentDefinition): ReadonlyArray<PlannedMessage> =>
  definition.protocol.messages.map((message) => {
    assert.isDefined(message.planned, `${definition.name} '${message.type}' is planned`)
    const ast = message.request.ast as SchemaAST.Objects
    const fields = ast.propertySignatures.filter((field) => field.name !== "type")
    return { type: message.type, schema: message.request as unknown as Schema.Codec<AgentMessage>, fields }
  })

const validSamples = (message: PlannedMessage, count: number) =>
  Effect.orDie(Arbitrary.sampleEffect(Arbitrary.schema(message.schema), { count, seed: 7 }))

const isStringLike = (ast: SchemaAST.AST): boolean =>
  ast._tag === "String" ||
  (ast._tag === "Literal" && typeof ast.literal === "string") ||
  (ast._tag === "Union" && ast.types.every(isStringLike))

/** A value of the wrong JSON type for a field: a number where text is expected, text anywhere else. */
const wrongValueFor = (field: SchemaAST.PropertySignature): unknown => isStringLike(field.type) ? 42 : "42"

// ---- reading answers -----------------------------------------------------------

type TypedError = { readonly _tag: string } & Readonly<Record<string, unknown>>

/** The typed error of a failed ask; a reply, a defect or an interruption fails the test. */
const typedError = (exit: Exit.Exit<unknown, unknown>, what: string): TypedError => {
  if (Exit.isSuccess(exit)) return assert.fail(`${what}: expected a refusal, got ${JSON.stringify(exit.value)}`)
  assert.isFalse(Cause.hasDies(exit.cause), `${what}: defect ${Cause.pretty(exit.cause)}`)
  assert.isFalse(Cause.hasInterrupts(exit.cause), `${what}: interrupted`)
  return Cause.squash(exit.cause) as TypedError
}

const pong = (agent: string) => ({ type: "pong", agent, state: "waiting" })

const assertNotBuiltYet = (error: TypedError, definition: AgentDefinition, type: string) => {
  assert.strictEqual(error._tag, "Rejected", `${definition.name} '${type}': ${String(error["message"])}`)
  assert.strictEqual(error["agent"], definition.name)
  assert.strictEqual(error["messageType"], type)
  const rejection = error["rejection"] as { _tag: string; capability: string; detail: string }
  assert.strictEqual(rejection._tag, "NotBuiltYet")
  const capability = definition.capabilities.find((c) => c.name === rejection.capability)
  assert.isDefined(capability, `${definition.name} '${type}' is refused for a capability its describe lists`)
  assert.strictEqual(rejection.detail, capability!.detail)
  assert.strictEqual(String(error["message"]), `${definition.name} '${type}': not built yet: ${capability!.detail} (capability '${capability!.name}')`)
}

const allRunningUnharmed = (system: ActorSystem) => {
  const summary = system.summary()
  assert.strictEqual(summary.lifecycle, "running")
  assert.strictEqual(summary.running, planned.length)
  assert.deepStrictEqual(summary.escalations, [])
  for (const status of system.agents()) {
    assert.strictEqual(status.lifecycle, "running", status.name)
    assert.strictEqual(status.incarnation, 1, `${status.name} never restarted`)
    assert.strictEqual(status.restarts, 0, status.name)
  }
}

interface InjectionTarget {
  readonly agent: string
  readonly types: ReadonlyArray<string>
  readonly valid: ReadonlyArray<unknown>
}

// ---- tests -------------------------------------------------------------------------

describe("planned agents", () => {
  it("are agents of the spec, each with its tier, a one-line description and honest capabilities", () => {
    const names = planned.map((definition) => definition.name)
    assert.strictEqual(new Set(names).size, names.length, "names are unique")
    assert.sameMembers(names, Object.keys(specTiers))
    for (const definition of planned) {
      assert.match(definition.name, /^[A-Z]+$/)
      assert.strictEqual(definition.tier, specTiers[definition.name], definition.name)
      assert.match(definition.description, /^\S[^\n]*$/, `${definition.name}: one line`)
      assert.isAtLeast(definition.capabilities.length, 1, definition.name)
      assert.isAtMost(definition.capabilities.length, 4, definition.name)
      for (const capability of definition.capabilities) {
        assert.isFalse(capability.available, `${definition.name}.${capability.name} is not built yet`)
        assert.isNotEmpty(capability.detail)
      }
      const types = plannedMessages(definition).map((message) => message.type)
      assert.isAtLeast(types.length, 2, definition.name)
      assert.isAtMost(types.length, 4, definition.name)
      assert.strictEqual(new Set(types).size, types.length, `${definition.name}: message types are unique`)
      for (const type of types) assert.isFalse(Protocol.isStandard(type), `${definition.name} redeclares '${type}'`)
    }
  })

  it.effect("run under one supervisor and answer ping, describe and status", () =>
    Effect.gen(function*() {
      const system = yield* startSystem
      assert.sameMembers([...system.agentNames()], planned.map((definition) => definition.name))
      for (const definition of planned) {
        const name = definition.name
        assert.deepStrictEqual(yield* system.injectAsk(ROOT, name, { type: "ping" }), pong(name))
        const { messages, states, recent, universalRejections, ...described } = decodedReply(
          Protocol.Describe,
          yield* system.injectAsk(ROOT, name, { type: "describe" })
        )
        assert.deepStrictEqual(states, ["waiting"])
        // ping, status and describe are answered by the runtime, not the machine: not among its handled messages.
        assert.deepStrictEqual(recent, [])
        assert.sameMembers(Object.keys(messages), [...system.messageTypes(name)!])
        for (const m of plannedMessages(definition)) assert.isDefined(messages[m.type]!.planned, `${name} '${m.type}' says it is planned`)
        assert.sameMembers(universalRejections.map((r) => (r["$defs"] === undefined ? r : Object.keys(r["$defs"] as object)[0])), ["NotBuiltYetEncoded", "NotAcceptedEncoded"])
        assert.deepStrictEqual(described, {
          name,
          tier: definition.tier,
          description: definition.description,
          readiness: "planned",
          capabilities: definition.capabilities,
          accepts: system.messageTypes(name),
          restart: "permanent"
        })
        const status = (yield* system.injectAsk(ROOT, name, { type: "status" })) as AgentStatus
        assert.strictEqual(status.lifecycle, "running", name)
        assert.strictEqual(status.name, name)
        assert.strictEqual(status.tier, definition.tier)
      }
      allRunningUnharmed(system)
    }))

  it.effect("refuse every planned message, given a valid payload, as not built yet", () =>
    Effect.gen(function*() {
      const system = yield* startSystem
      const samplesPerMessage = 3
      for (const definition of planned) {
        const messages = plannedMessages(definition)
        assert.sameMembers(
          [...(system.messageTypes(definition.name) ?? [])],
          [...messages.map((message) => message.type), "ping", "status", "describe"]
        )
        for (const message of messages) {
          for (const payload of yield* validSamples(message, samplesPerMessage)) {
            assert.isTrue(Exit.isSuccess(system.validate(definition.name, payload)), JSON.stringify(payload))
            const exit = yield* Effect.exit(system.injectAsk(ROOT, definition.name, payload))
            const what = `${definition.name} ${JSON.stringify(payload)}`
            assertNotBuiltYet(typedError(exit, what), definition, message.type)
          }
        }
        const status = system.status(definition.name)!
        assert.strictEqual(status.handled, messages.length * samplesPerMessage, `${definition.name} handled each one`)
        assert.strictEqual(status.rejected, status.handled, `${definition.name}: the runtime refused each one for its machine`)
      }
      allRunningUnharmed(system)
    }))

  it.effect("refuse invalid payloads with InvalidMessage saying what was wrong, and keep running", () =>
    Effect.gen(function*() {
      const system = yield* startSystem
      const refusal = (agent: string, input: unknown) =>
        Effect.map(Effect.exit(system.injectAsk(ROOT, agent, input)), (exit) => {
          const what = `${agent} ${JSON.stringify(input)}`
          const error = typedError(exit, what)
          assert.strictEqual(error._tag, "InvalidMessage", `${what}: ${String(error["message"])}`)
          assert.strictEqual(error["agent"], agent)
          return String(error["reason"])
        })
      for (const definition of planned) {
        const name = definition.name
        const messages = plannedMessages(definition)

        const unknown = yield* refusal(name, { type: "frobnicate" })
        assert.include(unknown, "unknown message type 'frobnicate'")
        for (const message of messages) assert.include(unknown, message.type, `${name} lists what it accepts`)

        assert.include(yield* refusal(name, [messages[0]!.type]), "JSON object with a string \"type\"")

        for (const message of messages) {
          const [valid] = yield* validSamples(message, 1)
          const extra = yield* refusal(name, { ...valid, unexpected: true })
          assert.include(extra, `'${message.type}'`)
          assert.include(extra, "excess property")
          assert.include(extra, "[\"unexpected\"]")

          for (const field of message.fields) {
            const key = String(field.name)
            const wrongType = yield* refusal(name, { ...valid, [key]: wrongValueFor(field) })
            assert.include(wrongType, `'${message.type}'`)
            assert.include(wrongType, `["${key}"]`, `${name} '${message.type}' names the wrong field`)
            if (!SchemaAST.isOptional(field.type)) {
              const { [key]: _, ...missing } = valid as Record<string, unknown>
              const absent = yield* refusal(name, missing)
              assert.include(absent, "Missing key")
              assert.include(absent, `["${key}"]`)
            }
          }
        }
        const status = system.status(name)!
        assert.strictEqual(status.handled, 0, `${name}: an invalid payload never reaches the machine`)
        assert.deepStrictEqual(yield* system.injectAsk(ROOT, name, { type: "ping" }), pong(name))
      }
      allRunningUnharmed(system)
    }))

  it.effect("property: arbitrary JSON sent to arbitrary agents gets a reply or a typed error, never a crash", () =>
    Effect.gen(function*() {
      const system = yield* startSystem
      const known = new Set(planned.map((definition) => definition.name))
      const targets: Array<InjectionTarget> = []
      for (const definition of planned) {
        const valid: Array<unknown> = []
        for (const message of plannedMessages(definition)) valid.push(...(yield* validSamples(message, 2)))
        targets.push({ agent: definition.name, types: [...system.messageTypes(definition.name)!], valid })
      }
      // Any JSON; objects typed like the agent's messages; valid messages, as is or with a field changed.
      const inputFor = (target: InjectionTarget) =>
        fc.oneof(
          fc.jsonValue(),
          fc.tuple(
            fc.oneof(fc.constantFrom(...target.types), fc.string()),
            fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })
          ).map(([type, fields]): unknown => ({ ...fields, type })),
          fc.constantFrom(...target.valid),
          fc.tuple(fc.constantFrom(...target.valid), fc.string(), fc.jsonValue())
            .map(([message, key, value]): unknown => ({ ...(message as object), [key]: value }))
        )
      const injection = fc.oneof(
        fc.constantFrom(...targets).chain((target) => fc.tuple(fc.constant(target.agent), inputFor(target))),
        fc.tuple(fc.string(), fc.jsonValue())
      )
      const outcomes = new Map<string, number>()
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(injection, ([agent, input]) =>
            run(Effect.map(Effect.exit(system.injectAsk(ROOT, agent, input)), (exit) => {
              const what = `${agent} ${JSON.stringify(input)}`
              if (Exit.isSuccess(exit)) {
                const type = (input as { type: string }).type
                assert.isTrue(Protocol.isStandard(type), `${what}: only ping/status/describe get a reply`)
                outcomes.set("reply", (outcomes.get("reply") ?? 0) + 1)
                return
              }
              const error = typedError(exit, what)
              outcomes.set(error._tag, (outcomes.get(error._tag) ?? 0) + 1)
              switch (error._tag) {
                case "UnknownAgent":
                  assert.isFalse(known.has(agent), what)
                  break
                case "InvalidMessage":
                  assert.strictEqual(error["agent"], agent, what)
                  break
                case "Rejected":
                  assert.strictEqual((error["rejection"] as { _tag: string })._tag, "NotBuiltYet", what)
                  break
                default:
                  assert.fail(`${what}: unexpected ${error._tag}: ${String(error["message"])}`)
              }
            }))
          ),
          { numRuns: 500 }
        )
      )
      assert.isAbove(outcomes.get("InvalidMessage") ?? 0, 0, "the property met invalid input")
      assert.isAbove(outcomes.get("Rejected") ?? 0, 0, "the property met valid planned messages")
      allRunningUnharmed(system)
      for (const definition of planned) {
        assert.deepStrictEqual(yield* system.injectAsk(ROOT, definition.name, { type: "ping" }), pong(definition.name))
      }
    }))
})
