/** A scripted model for tests: each request's user text → the reply text (or a failure). */
import { Effect, Layer } from "effect"
import { Llm, LlmFailed, type LlmShape } from "./Llm.ts"

export const make = (answer: (user: string) => string | undefined, endpoint = "http://127.0.0.1:1/v1/chat/completions"): LlmShape & { readonly asked: Array<string> } => {
  const asked: Array<string> = []
  return {
    endpoint,
    asked,
    complete: ({ user }) =>
      Effect.suspend(() => {
        asked.push(user)
        const reply = answer(user)
        return reply === undefined ? Effect.fail(new LlmFailed({ reason: "the test model has no answer" })) : Effect.succeed(reply)
      })
  }
}

export const layer = (shape: LlmShape) => Layer.succeed(Llm, shape)
