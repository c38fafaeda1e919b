import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Lingua } from "./messages.ts"

const grammar = plannedCapability(
  "grammar",
  "turns commands such as 'scrub tank' into agent messages with a rule-based grammar, and lists the phrasings it knows"
)
const localLlm = plannedCapability(
  "local-llm",
  "falls back to a configured local OpenAI-compatible endpoint for phrasings the grammar does not know"
)

export const linguaAgent = define({
  protocol: Lingua,
  tier: "5-8",
  description: "Natural-language commands to agent messages (rule-based grammar; optional local OpenAI-compatible LLM endpoint)",
  capabilities: [grammar, localLlm]
})
