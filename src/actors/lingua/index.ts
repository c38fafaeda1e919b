import { define } from "../../runtime/Agent.ts"
import { makeMachine } from "./machine.ts"
import { Lingua } from "./messages.ts"

export { defaultLinguaConfig, LinguaConfig, type LinguaConfigShape } from "./config.ts"

export const linguaAgent = define({
  protocol: Lingua,
  tier: "5-8",
  description: "Plain-language commands: a sentence to the agent message it means (hassil-style template grammar, typo tolerant, names from the NAS); state-changing ones only with confirm, sent with the caller's own rights",
  capabilities: [
    {
      name: "grammar",
      available: true,
      detail:
        "templates in hassil's syntax ((a|b), [optional], disk[s], {slot}, <rule>, (a;b)) matched by backtracking with word-level typo " +
        "tolerance (1 edit for words of 4–7 letters, 2 from 8); slot lists (pools, datasets, shares, disks, peers, interfaces, schedules, " +
        "incidents, keys, agents) read from their agents at most every 30 s when a sentence arrives; docs/language.md lists what it understands"
    },
    {
      name: "local-llm",
      available: true,
      detail:
        "for sentences the grammar does not know, a local OpenAI-compatible chat-completions endpoint (lingua_llm_url, loopback hosts only); " +
        "its answer is checked with the target's schema like any other; not configured by default"
    }
  ],
  machine: makeMachine
})
