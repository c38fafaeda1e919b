/**
 * A local OpenAI-compatible chat-completions endpoint (llama.cpp's server,
 * Ollama, vLLM on this machine): LINGUA's optional fallback for sentences its
 * grammar does not know. Only loopback hosts are accepted, so a sentence
 * never leaves the machine. Unconfigured by default: the Reference's default
 * says so and reaches nothing.
 */
import { Context, Effect, Schema } from "effect"

export class LlmFailed extends Schema.TaggedError<LlmFailed>()("LlmFailed", { reason: Schema.String }) {
  override get message() {
    return `the local language model could not help: ${this.reason}`
  }
}

export interface ChatRequest {
  readonly system: string
  readonly user: string
  readonly timeoutMs: number
}

export interface LlmShape {
  /** The endpoint, when one is configured. */
  readonly endpoint: string | undefined
  /** The assistant's reply text to one system + user exchange. */
  readonly complete: (request: ChatRequest) => Effect.Effect<string, LlmFailed>
}

export const NOT_CONFIGURED: LlmShape = {
  endpoint: undefined,
  complete: () => Effect.fail(new LlmFailed({ reason: "no endpoint is configured (lingua_llm_url)" }))
}

export const Llm = Context.Reference<LlmShape>("sigmavault/adapters/llm/Llm", { defaultValue: () => NOT_CONFIGURED })

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** undefined when `url` is an http(s) URL on a loopback host, else why not. */
export const loopbackProblem = (url: string): string | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `'${url}' is not a URL`
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `'${url}' is not http or https`
  if (!LOOPBACK.test(parsed.hostname)) return `'${parsed.hostname}' is not a loopback host (localhost, 127.x.x.x or [::1]): sentences stay on this machine`
  if (parsed.username !== "" || parsed.password !== "") return "the URL must not carry credentials"
  return undefined
}
