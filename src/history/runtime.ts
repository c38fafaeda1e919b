/**
 * The runtime's own numbers as samples (the catalogue's `runtime` entries):
 * every agent's handled messages, mailbox depth, p99 handling time, restarts
 * and whether it runs, and the system's dead letters. A walk over counters
 * the runtime keeps: no message is sent. The daemon's sampler records them
 * into the history; PRISM renders them live at each scrape.
 */
import type { SystemHandle } from "../runtime/Agent.ts"
import type { Sample } from "./History.ts"

export const runtimeSamples = (
  system: Pick<SystemHandle, "agentNames" | "status" | "summary">,
  at?: number
): Array<Sample> => {
  const samples: Array<Sample> = []
  const stamp = at === undefined ? {} : { at }
  for (const name of system.agentNames()) {
    const status = system.status(name)
    if (status === undefined) continue
    const labels = { agent: name }
    samples.push(
      { name: "sigmavault_agent_messages_total", labels, value: status.handled, ...stamp },
      { name: "sigmavault_agent_mailbox_depth", labels, value: status.mailboxDepth, ...stamp },
      { name: "sigmavault_agent_latency_p99_seconds", labels, value: status.handlingP99Us / 1e6, ...stamp },
      { name: "sigmavault_agent_restarts_total", labels, value: status.restarts, ...stamp },
      { name: "sigmavault_agent_up", labels, value: status.lifecycle === "running" ? 1 : 0, ...stamp }
    )
  }
  samples.push({ name: "sigmavault_dead_letters_total", value: system.summary().deadLetters, ...stamp })
  return samples
}
