/** The NAS the LINGUA tests talk about: its names, the corpus generated from the templates, and the schema check. */
import { Result } from "effect"
import { PROTOCOLS } from "../../../src/actors/protocols.ts"
import { sampleTemplate } from "../../../src/actors/lingua/grammar.ts"
import { targetOf } from "../../../src/actors/lingua/intents.ts"
import { compile, type NasLists, slotLists } from "../../../src/actors/lingua/understand.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import type { AgentMessage } from "../../../src/runtime/Agent.ts"

export const NAS: NasLists = {
  pool: ["tank", "Backup", "fastpool"],
  dataset: ["tank", "tank/media", "tank/photos", "tank/home/alice", "Backup", "Backup/vm", "fastpool", "fastpool/db"],
  share: ["smb:photos", "nfs:media", "smb:family-docs"],
  disk: ["sda", "sdb", "nvme0n1"],
  peer: ["laptop", "phone", "grandma-tablet"],
  interface: ["eth0", "wlan0", "enp3s0"],
  schedule: ["weekly-scrub", "nightly-snapshots"],
  incident: ["inc-0042", "inc-0043"],
  key: ["a1b2c3d4e5f60718", "00ff00ff00ff00ff"],
  agent: [...PROTOCOLS.keys()]
}

export const compiled = compile()
export const lists = slotLists(NAS)

/** undefined when the agent's protocol takes the message, else the schema's complaint. */
export const validate = (agent: string, message: AgentMessage): string | undefined => {
  const protocol = PROTOCOLS.get(agent)
  if (protocol === undefined) return `no agent ${agent}`
  const checked = Protocol.checkRequest(protocol, message)
  return Result.isSuccess(checked) ? undefined : checked.failure
}

const OPEN_SAMPLES: Readonly<Record<string, ReadonlyArray<string>>> = {
  path: ["/srv/photos", "/tank/media/Film.mkv", "/home/alice/Report 2026.pdf".replace(" ", "_"), "/srv/backup.tar"],
  number: ["7", "30", "14"],
  newname: ["holiday", "Alice-laptop", "docs2"],
  newdataset: ["tank/projects", "Backup/archive", "tank/media/Music"],
  target: ["Backup/tank-copy", "fastpool/mirror"],
  label: ["before-upgrade", "monday"],
  metric: ["sigmavault_pool_allocated_bytes", "sigmavault_agent_up"],
  code: ["ZFS-8000-9P", "SMART-197", "FORTRESS-SSH-PASSWORD"],
  zcodec: ["lz4", "zstd", "gzip"],
  codec: ["zstd", "brotli", "gzip"],
  protocol: ["smb", "nfs"],
  reportkind: ["health", "capacity", "security", "activity"]
}

const SAY_PROTOCOL: Readonly<Record<string, string>> = { smb: "samba", nfs: "nfs" }

export const pick = (list: string, i: number): string | { readonly say: string; readonly value: string } => {
  const nas = (NAS as Record<string, ReadonlyArray<string> | undefined>)[list]
  if (nas !== undefined) {
    const value = nas[i % nas.length]!
    if (list === "share") return { say: value.slice(value.indexOf(":") + 1), value }
    if (list === "disk" && i % 2 === 1) return { say: `/dev/${value}`, value }
    if (list === "agent") return { say: i % 2 === 0 ? value.toLowerCase() : value, value }
    return value
  }
  const open = OPEN_SAMPLES[list]
  if (open === undefined) throw new Error(`no samples for {${list}}`)
  const value = open[i % open.length]!
  if (list === "protocol" && i % 3 === 0) return { say: SAY_PROTOCOL[value]!, value }
  if (list === "code" && i % 2 === 1) return { say: value.toLowerCase(), value }
  return value
}

export interface CorpusEntry {
  readonly text: string
  readonly intent: string
  readonly agent: string
  readonly message: AgentMessage
}

/** Sentences generated from every template (each choice taken in turn), with the message each means. */
export const corpus = (perTemplate = 24): ReadonlyArray<CorpusEntry> =>
  compiled.intents.flatMap(({ intent, templates }) =>
    templates.flatMap((t) =>
      sampleTemplate(t.node, pick, perTemplate).map((sample) => ({
        text: sample.text,
        intent: intent.id,
        agent: targetOf(intent, sample.slots),
        message: intent.build(sample.slots)
      }))
    ))
