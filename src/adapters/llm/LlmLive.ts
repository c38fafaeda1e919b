/**
 * The chat-completions call over HTTP to a loopback endpoint: one POST with
 * `{model, messages, temperature: 0}`, a timeout, and the reply read up to
 * 256 KiB; the assistant's text is `choices[0].message.content`.
 */
import { Effect, Layer } from "effect"
import { Llm, LlmFailed, type LlmShape, loopbackProblem } from "./Llm.ts"

const MAX_REPLY_BYTES = 256 * 1024

const readCapped = async (response: Response): Promise<string> => {
  const reader = response.body?.getReader()
  if (reader === undefined) return ""
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_REPLY_BYTES) {
      await reader.cancel()
      throw new Error(`the reply is larger than ${MAX_REPLY_BYTES} bytes`)
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}

export const make = (endpoint: string): LlmShape => {
  const problem = loopbackProblem(endpoint)
  return {
    endpoint,
    complete: ({ system, user, timeoutMs }) =>
      problem !== undefined
        ? Effect.fail(new LlmFailed({ reason: problem }))
        : Effect.tryPromise({
          try: async (signal) => {
            const response = await fetch(endpoint, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "local", temperature: 0, messages: [{ role: "system", content: system }, { role: "user", content: user }] }),
              signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
              redirect: "error"
            })
            const text = await readCapped(response)
            if (!response.ok) throw new Error(`HTTP ${response.status} from ${endpoint}`)
            const body = JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }> }
            const content = body.choices?.[0]?.message?.content
            if (typeof content !== "string") throw new Error("the reply has no choices[0].message.content")
            return content
          },
          catch: (error) => new LlmFailed({ reason: error instanceof Error ? error.message : String(error) })
        })
  }
}

export const layer = (endpoint: string) => Layer.succeed(Llm, make(endpoint))
