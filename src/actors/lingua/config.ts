/**
 * LINGUA's configuration. The daemon provides it from the configuration file
 * (lingua_list_ttl_seconds; lingua_llm_url goes to the Llm port instead:
 * docs/configuration.md); a Context.Reference, so tests get these defaults.
 */
import { Context } from "effect"

export interface LinguaConfigShape {
  /** How old the slot lists may be when a sentence arrives before they are read again. */
  readonly listTtlMs: number
  /** How long one list's agent may take to answer. */
  readonly listTimeoutMs: number
  /** How long `run` waits for the target's answer. */
  readonly askTimeoutMs: number
  /** How long the local model may take (when lingua_llm_url is set). */
  readonly llmTimeoutMs: number
}

export const defaultLinguaConfig: LinguaConfigShape = { listTtlMs: 30_000, listTimeoutMs: 3_000, askTimeoutMs: 120_000, llmTimeoutMs: 30_000 }

export const LinguaConfig = Context.Reference<LinguaConfigShape>("sigmavault/actors/lingua/LinguaConfig", {
  defaultValue: () => defaultLinguaConfig
})

