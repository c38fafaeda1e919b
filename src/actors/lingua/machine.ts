import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { LinguaMessage } from "./messages.ts"

const grammar = plannedCapability(
  "grammar",
  "turns commands such as 'scrub tank' into agent messages with a rule-based grammar, and lists the phrasings it knows"
)
const localLlm = plannedCapability(
  "local-llm",
  "falls back to a configured local OpenAI-compatible endpoint for phrasings the grammar does not know"
)

export const linguaCapabilities = [grammar, localLlm]

export const linguaMachine = plannedMachine<LinguaMessage>({ parse: grammar, phrases: grammar })
