/**
 * What LINGUA understands: each intent is a few templates (hassil syntax,
 * grammar.ts) and the agent message they mean, built from the slots. Whether
 * a message changes state — and so needs the caller's confirmation — is
 * decided per intent here (LATTICE `scrub` with action status and ATLAS
 * `usage` are operate-access reads; HELIX `prune` without confirm is a dry
 * run), never from the access class alone. Pure data; no I/O.
 */
import type { AgentMessage } from "../../runtime/Agent.ts"

export type Slots = Readonly<Record<string, string>>

export interface Intent {
  readonly id: string
  readonly agent: string
  readonly sentences: ReadonlyArray<string>
  readonly build: (slots: Slots) => AgentMessage
  /** Changes something on the NAS (or reveals a secret): `run` sends it only with confirm. */
  readonly changes: boolean
  /**
   * With confirm, the message is sent with `confirm: true` (the target is plan-then-confirm);
   * without it LINGUA sends nothing.
   */
  readonly confirmField?: boolean
}

/** Named sub-templates, usable as `<name>` in any sentence. */
export const RULES: Readonly<Record<string, string>> = {
  show: "(show [me]|list|display|give me|tell me|get|print|what are)",
  my: "[the|my|all [the|my]|our]",
  nas: "(nas|system|server|box|machine|host)",
  ok: "(ok|okay|healthy|fine|good|alright|all right)",
  pool: "[the] [pool|zpool]",
  dataset: "[the] [dataset|filesystem|file system]",
  disk: "[the] [disk|drive|device]",
  peer: "[the] [vpn|wireguard] [peer|client]",
  of: "(of|on|for|in)"
}

const opt = (slots: Slots, name: string, field: string = name): Record<string, string> =>
  slots[name] === undefined ? {} : { [field]: slots[name]! }

const intent = (
  id: string,
  agent: string,
  sentences: ReadonlyArray<string>,
  build: (slots: Slots) => AgentMessage,
  options: { readonly changes?: boolean; readonly confirmField?: boolean } = {}
): Intent => ({ id, agent, sentences, build, changes: options.changes ?? false, ...(options.confirmField === undefined ? {} : { confirmField: options.confirmField }) })

/** Last path element, when it makes a share name ("/srv/photos" → "photos"). */
const basename = (path: string): string => path.replace(/\/+$/, "").split("/").pop() ?? ""

/** NEXUS silence of one subject for a number of hours or days (at most 90 days), saying it came from a sentence. */
const silence = (subject: string, s: Slots): AgentMessage => ({
  type: "silence",
  subject,
  reason: "silenced by a plain-language command (LINGUA)",
  expiresInSeconds: Math.min(90 * 86_400, s.days === undefined ? Number(s.hours) * 3600 : Number(s.days) * 86_400)
})

const shareOf = (value: string): { readonly protocol: string; readonly name: string } => {
  const at = value.indexOf(":")
  return { protocol: value.slice(0, at), name: value.slice(at + 1) }
}

export const INTENTS: ReadonlyArray<Intent> = [
  // ---- LATTICE: pools and datasets
  intent("pools-health", "LATTICE", [
    "[check|show] [me] [the] (health|status|state) of <my> pools",
    "how (are|is) <my> pools [doing]",
    "how healthy are <my> pools",
    "[show] [z]pool (status|health)",
    "(are|is) <my> pools <ok>",
    "(check|show [me]) <my> pools",
    "any pool (problems|errors)"
  ], () => ({ type: "health" })),
  intent("pool-health", "LATTICE", [
    "[check|show] [me] [the] (health|status|state) of <pool> {pool}",
    "is <pool> {pool} (<ok>|degraded|broken)",
    "how is <pool> {pool} [doing]",
    "how healthy is <pool> {pool}",
    "<pool> {pool} (health|status)",
    "check <pool> {pool}",
    "how much (space|room|storage) is (left|free|available|used) (on|in) <pool> {pool}",
    "how full is <pool> {pool}"
  ], (s) => ({ type: "health", pool: s.pool! })),
  intent("space", "LATTICE", [
    "how much (space|room|storage) is (left|free|available|used)",
    "how full are <my> pools",
    "(free|disk|storage) space",
    "am i running out of space"
  ], () => ({ type: "health" })),
  intent("datasets", "LATTICE", [
    "<show> <my> datasets [(under|in|of|below) <dataset> {dataset:root}]",
    "what datasets (are there|do i have|exist) [(under|in|of|below) <dataset> {dataset:root}]",
    "datasets (under|in|of|below) <dataset> {dataset:root}"
  ], (s) => ({ type: "datasets", ...opt(s, "root") })),
  intent("scrub-start", "LATTICE", [
    "scrub <pool> {pool}",
    "(start|begin|run|launch) [a|the] scrub (of|on) <pool> {pool}",
    "(start|begin) scrubbing <pool> {pool}"
  ], (s) => ({ type: "scrub", pool: s.pool!, action: "start" }), { changes: true }),
  intent("scrub-pause", "LATTICE", [
    "pause [the] scrub (of|on) <pool> {pool}",
    "pause scrubbing <pool> {pool}"
  ], (s) => ({ type: "scrub", pool: s.pool!, action: "pause" }), { changes: true }),
  intent("scrub-stop", "LATTICE", [
    "(stop|cancel|abort) [the] scrub (of|on) <pool> {pool}",
    "(stop|cancel) scrubbing <pool> {pool}"
  ], (s) => ({ type: "scrub", pool: s.pool!, action: "stop" }), { changes: true }),
  intent("scrub-status", "LATTICE", [
    "how is the scrub (of|on) <pool> {pool} (going|doing)",
    "scrub (status|progress) (of|on|for) <pool> {pool}",
    "is <pool> {pool} (scrubbing|being scrubbed)",
    "is the scrub (of|on) <pool> {pool} (done|finished|running)"
  ], (s) => ({ type: "scrub", pool: s.pool!, action: "status" })),
  intent("schedule-scrub", "LATTICE", [
    "schedule [a] [regular|monthly] scrub (of|on|for) <pool> {pool}",
    "scrub <pool> {pool} (every month|monthly|regularly)"
  ], (s) => ({ type: "schedule-scrub", pool: s.pool! }), { changes: true }),
  intent("compress-dataset", "LATTICE", [
    "compress <dataset> {dataset} [(with|using) {zcodec:codec}]",
    "(turn|switch) on [{zcodec:codec}] compression (on|for) <dataset> {dataset}",
    "enable [{zcodec:codec}] compression (on|for) <dataset> {dataset}",
    "use {zcodec:codec} compression (on|for) <dataset> {dataset}"
  ], (s) => ({ type: "set", dataset: s.dataset!, property: "compression", value: s.codec ?? "lz4" }), { changes: true, confirmField: true }),
  intent("create-dataset", "LATTICE", [
    "(create|make|add) [a] [new] dataset [(called|named)] {newdataset:dataset}"
  ], (s) => ({ type: "create-dataset", dataset: s.dataset! }), { changes: true, confirmField: true }),

  // ---- ORACLE, VERTEX: disks
  intent("disks-health", "ORACLE", [
    "how (healthy|good) are <my> (disks|drives)",
    "how are <my> (disks|drives) [doing]",
    "[show] (disk|drive|smart) (health|status)",
    "(check|show [me]) <my> (disks|drives)",
    "(are|is) <my> (disks|drives) (<ok>|failing|dying)",
    "is any (disk|drive) (failing|dying|bad)",
    "[show] smart (data|values|results)"
  ], () => ({ type: "assess" })),
  intent("disk-health", "ORACLE", [
    "is <disk> {disk} (<ok>|failing|dying|bad)",
    "(check|assess|test) <disk> {disk}",
    "how is <disk> {disk} [doing]",
    "[show] [the] (health|smart [status|data]) (of|for) <disk> {disk}",
    "<disk> {disk} (health|smart)"
  ], (s) => ({ type: "assess", device: s.disk! })),
  intent("disk-trend", "ORACLE", [
    "[show] [the] smart (history|trend|trends) (of|for) <disk> {disk} [(over|for) [the] (last|past) {number:days} days]",
    "how has <disk> {disk} changed [(over|in) [the] (last|past) {number:days} days]"
  ], (s) => ({ type: "trend", device: s.disk!, ...(s.days === undefined ? {} : { days: Number(s.days) }) })),
  intent("disk-impact", "VERTEX", [
    "what (happens|breaks|fails) if <disk> {disk} (fails|dies|breaks)",
    "what depends on <disk> {disk}",
    "what (uses|is on) <disk> {disk}",
    "impact of losing <disk> {disk}"
  ], (s) => ({ type: "impact", disk: s.disk! })),
  intent("topology", "VERTEX", [
    "<show> [the] [storage|disk] (topology|layout)",
    "how are <my> (disks|drives|pools) (laid out|connected|arranged|organised|organized)"
  ], () => ({ type: "topology" })),
  intent("share-places", "VERTEX", [
    "(which|what) (pool|pools|datasets|disks) (holds|hold|has|have|contain|contains) <my> shares",
    "where are <my> shares [stored|kept]"
  ], () => ({ type: "shares" })),

  // ---- AXIOM, ATLAS: capacity
  intent("forecast", "AXIOM", [
    "when will <pool> {pool} (be|get|run) (full|out of space)",
    "[capacity|space] forecast (of|for) <pool> {pool}",
    "forecast <pool> {pool}",
    "how long until <pool> {pool} is full"
  ], (s) => ({ type: "forecast", pool: s.pool! })),
  intent("forecasts", "AXIOM", [
    "which pools will (fill up|be full|run out of space) first",
    "[show] [capacity|space] forecasts",
    "when will <my> pools (be|get) full"
  ], () => ({ type: "forecasts" })),
  intent("usage-dataset", "ATLAS", [
    "what is (using|taking [up]|eating) [the] space (in|on) <dataset> {dataset}",
    "[show] [disk|space] usage (of|in|on) <dataset> {dataset}",
    "what is big in <dataset> {dataset}"
  ], (s) => ({ type: "usage", dataset: s.dataset! })),
  intent("usage-path", "ATLAS", [
    "what is (using|taking [up]|eating) [the] space (in|on|under) {path}",
    "[show] [disk|space] usage (of|in|on|under) {path}",
    "what is big (in|under) {path}"
  ], (s) => ({ type: "usage", path: s.path! })),
  intent("growth", "ATLAS", [
    "what (grew|has grown|is growing|got bigger) [(this|last) week] [(on|in) <pool> {pool}]",
    "[show] growth [trends] [(on|in|of|for) <pool> {pool}]"
  ], (s) => ({ type: "trends", ...opt(s, "pool") })),

  // ---- HELIX: snapshots
  intent("snapshot", "HELIX", [
    "(snapshot|snap) <dataset> {dataset} [(as|named|called) {label:name}]",
    "(take|make|create) a snapshot of <dataset> {dataset} [(as|named|called) {label:name}]"
  ], (s) => ({ type: "snapshot", dataset: s.dataset!, ...opt(s, "name") }), { changes: true, confirmField: true }),
  intent("snapshot-recursive", "HELIX", [
    "(snapshot|snap) <dataset> {dataset} [(as|named|called) {label:name}] (recursively|and its children|with children)",
    "(take|make|create) a recursive snapshot of <dataset> {dataset} [(as|named|called) {label:name}]"
  ], (s) => ({ type: "snapshot", dataset: s.dataset!, ...opt(s, "name"), recursive: true }), { changes: true, confirmField: true }),
  intent("snapshots", "HELIX", [
    "<show> <my> snapshots [(of|for|on|in) <dataset> {dataset}]",
    "what snapshots (are there|do i have|exist) [(of|for|on|in) <dataset> {dataset}]"
  ], (s) => ({ type: "snapshots", ...opt(s, "dataset") })),
  intent("snapshot-overview", "HELIX", [
    "are <my> snapshots (up to date|current|recent)",
    "snapshot (overview|summary|status)",
    "how are <my> snapshots [doing]"
  ], () => ({ type: "overview" })),
  intent("prune-preview", "HELIX", [
    "what would pruning (delete|remove) [(on|in|for|of) <dataset> {dataset}]",
    "which snapshots would be (pruned|deleted) [(on|in|for|of) <dataset> {dataset}]"
  ], (s) => ({ type: "prune", ...opt(s, "dataset") })),
  intent("prune", "HELIX", [
    "prune [the] [old|expired] snapshots [(on|in|for|of) <dataset> {dataset}]",
    "(delete|remove) [the] (old|expired) snapshots [(on|in|for|of) <dataset> {dataset}]"
  ], (s) => ({ type: "prune", ...opt(s, "dataset") }), { changes: true, confirmField: true }),
  intent("replicate", "HELIX", [
    "(replicate|copy|send|back up|backup) <dataset> {dataset} to <dataset> {target}"
  ], (s) => ({ type: "replicate", dataset: s.dataset!, target: s.target! }), { changes: true, confirmField: true }),
  intent("snapshot-policies", "HELIX", [
    "<show> [the] snapshot (policies|schedules|retention)"
  ], () => ({ type: "policies" })),

  // ---- BRIDGE: shares
  intent("shares", "BRIDGE", [
    "<show> <my> (shares|shared folders)",
    "what (is|folders are|directories are) shared",
    "(which|what) shares (are there|do i have|exist)"
  ], () => ({ type: "shares" })),
  intent("add-share", "BRIDGE", [
    "share {path} [(as|named|called) {newname:name}] [(over|via|using|with|by) {protocol}]",
    "(add|create) a share [(called|named) {newname:name}] (for|of) {path} [(over|via|using|with|by) {protocol}]"
  ], (s) => ({ type: "add-share", protocol: s.protocol ?? "smb", name: s.name ?? basename(s.path!), path: s.path! }), {
    changes: true,
    confirmField: true
  }),
  intent("add-share-read-only", "BRIDGE", [
    "share {path} [(as|named|called) {newname:name}] read[-]only [(over|via|using|with|by) {protocol}]",
    "share {path} [(as|named|called) {newname:name}] [(over|via|using|with|by) {protocol}] read[-]only"
  ], (s) => ({ type: "add-share", protocol: s.protocol ?? "smb", name: s.name ?? basename(s.path!), path: s.path!, readOnly: true }), {
    changes: true,
    confirmField: true
  }),
  intent("remove-share", "BRIDGE", [
    "stop sharing [the] [share] {share}",
    "(remove|delete|unshare) [the] share {share}",
    "unshare {share}"
  ], (s) => ({ type: "remove-share", ...shareOf(s.share!) }), { changes: true, confirmField: true }),

  // ---- PHANTOM: VPN
  intent("peers", "PHANTOM", [
    "<show> <my> (vpn|wireguard) (peers|clients)",
    "<show> <my> peers",
    "who is (connected|on) [to] the (vpn|wireguard)",
    "(vpn|wireguard) (peers|clients)"
  ], () => ({ type: "peers" })),
  intent("vpn-server", "PHANTOM", [
    "[the] (vpn|wireguard) [server] (status|state)",
    "is the (vpn|wireguard) [server] (up|running|on)"
  ], () => ({ type: "server" })),
  intent("add-peer", "PHANTOM", [
    "(add|create) [a|new] [vpn|wireguard] (peer|client) [(called|named|for)] {newname:name}"
  ], (s) => ({ type: "add-peer", name: s.name! }), { changes: true, confirmField: true }),
  intent("remove-peer", "PHANTOM", [
    "(remove|delete) <peer> {peer}"
  ], (s) => ({ type: "remove-peer", name: s.peer! }), { changes: true, confirmField: true }),
  intent("disable-peer", "PHANTOM", [
    "(disable|block|suspend) <peer> {peer}"
  ], (s) => ({ type: "disable-peer", name: s.peer! }), { changes: true, confirmField: true }),
  intent("enable-peer", "PHANTOM", [
    "(enable|unblock|allow) <peer> {peer}"
  ], (s) => ({ type: "enable-peer", name: s.peer! }), { changes: true, confirmField: true }),
  // Reveals the peer's private key: confirmed like a change.
  intent("peer-config", "PHANTOM", [
    "<show> [the] (config|configuration) (of|for) <peer> {peer}"
  ], (s) => ({ type: "peer-config", name: s.peer! }), { changes: true }),
  intent("peer-qr", "PHANTOM", [
    "<show> [the] qr [code] (of|for) <peer> {peer}",
    "<show> [the] (config|configuration) and qr [code] (of|for) <peer> {peer}"
  ], (s) => ({ type: "peer-config", name: s.peer!, qr: true }), { changes: true }),

  // ---- ORBIT: schedules
  intent("schedules", "ORBIT", [
    "what is scheduled",
    "<show> <my> (schedules|scheduled jobs|timers)",
    "what (runs|will run) (next|later|tonight)"
  ], () => ({ type: "list" })),
  intent("remove-schedule", "ORBIT", [
    "(remove|delete|cancel) [the] schedule {schedule}"
  ], (s) => ({ type: "remove", name: s.schedule! }), { changes: true }),

  // ---- QUANTUM, CIPHER, TENSOR: keys and files
  intent("keys", "QUANTUM", [
    "<show> <my> [encryption] keys",
    "what [encryption] keys (are there|do i have)"
  ], () => ({ type: "keys" })),
  intent("public-key", "QUANTUM", [
    "<show> [the|my] public key [{key}]",
    "export [the|my] public key [{key}]"
  ], (s) => ({ type: "export", ...opt(s, "key", "id") })),
  intent("rotate-keys", "QUANTUM", [
    "rotate [the|my] [encryption] key[s]",
    "make a new [encryption] key"
  ], () => ({ type: "rotate" }), { changes: true }),
  intent("encrypt-file", "CIPHER", [
    "encrypt [file] {path:input} (to|into|as) {path:output}"
  ], (s) => ({ type: "encrypt", input: s.input!, output: s.output! }), { changes: true }),
  intent("decrypt-file", "CIPHER", [
    "decrypt [file] {path:input} (to|into|as) {path:output}"
  ], (s) => ({ type: "decrypt", input: s.input!, output: s.output! }), { changes: true }),
  intent("compress-file", "TENSOR", [
    "compress [file] {path:input} [(to|into|as) {path:output}] [(with|using) {codec}]"
  ], (s) => ({ type: "compress", input: s.input!, ...opt(s, "output"), ...opt(s, "codec") }), { changes: true }),
  intent("decompress-file", "TENSOR", [
    "decompress [file] {path:input} [(to|into|as) {path:output}]"
  ], (s) => ({ type: "decompress", input: s.input!, ...opt(s, "output") }), { changes: true }),
  intent("estimate", "TENSOR", [
    "how well (would|does|will|could) {path} compress",
    "estimate [the] compression (of|for) {path}"
  ], (s) => ({ type: "estimate", path: s.path! })),
  intent("compression-jobs", "TENSOR", [
    "<show> [the] compression jobs"
  ], () => ({ type: "jobs" })),

  // ---- system facts, resources, network
  intent("facts", "CORE", [
    "<nas> (info|information|facts|details)",
    "what (kernel|os|operating system|version|hardware) is (this|it|running)",
    "[show] [the] uptime",
    "how long has the <nas> been (up|running|on)",
    "(show|tell me) about [the|this] <nas>",
    "what is this <nas>"
  ], () => ({ type: "facts" })),
  intent("resources", "SENTRY", [
    "how busy is the <nas>",
    "(cpu|memory|ram|load|resource) (usage|use|load)",
    "cpu and (memory|ram) [usage]",
    "how much (memory|ram) is (used|free|in use|left)",
    "is the <nas> (busy|overloaded|slow)"
  ], () => ({ type: "current" })),
  intent("resource-alerts", "SENTRY", [
    "[are there] any resource (alerts|warnings|problems)",
    "resource (alerts|warnings)"
  ], () => ({ type: "alerts" })),
  intent("interfaces", "PHOTON", [
    "network (status|interfaces)",
    "<show> [the] [network] interfaces",
    "how is the network [doing]"
  ], () => ({ type: "interfaces" })),
  intent("interface", "PHOTON", [
    "is [interface] {interface} (up|down|connected|working)",
    "[show] [the] status of [interface] {interface}",
    "[interface] {interface} status"
  ], (s) => ({ type: "interface", name: s.interface! })),
  intent("network-alerts", "PHOTON", [
    "[are there] any network (problems|alerts|issues|errors)",
    "network (problems|alerts|issues|errors)"
  ], () => ({ type: "alerts" })),

  // ---- NEXUS: incidents
  intent("incidents", "NEXUS", [
    "what is (wrong|broken)",
    "what's (wrong|broken)",
    "is (anything|something) wrong",
    "<show> [the] [open] (incidents|problems)",
    "[are there] any (incidents|problems|issues)"
  ], () => ({ type: "incidents" })),
  intent("incident", "NEXUS", [
    "<show> incident {incident}",
    "(what is|details of) incident {incident}"
  ], (s) => ({ type: "incident", id: s.incident! })),
  intent("acknowledge", "NEXUS", [
    "(acknowledge|ack) [incident] {incident}"
  ], (s) => ({ type: "acknowledge", id: s.incident! }), { changes: true, confirmField: true }),
  intent("silence-pool", "NEXUS", [
    "silence [the] alerts (about|for|on) <pool> {pool} for {number:hours} hour[s]",
    "silence [the] alerts (about|for|on) <pool> {pool} for {number:days} day[s]"
  ], (s) => silence(`pool ${s.pool!}`, s), { changes: true, confirmField: true }),
  intent("silence-disk", "NEXUS", [
    "silence [the] alerts (about|for|on) <disk> {disk} for {number:hours} hour[s]",
    "silence [the] alerts (about|for|on) <disk> {disk} for {number:days} day[s]"
  ], (s) => silence(s.disk!.startsWith("/") ? s.disk! : `/dev/${s.disk!}`, s), { changes: true, confirmField: true }),
  intent("silences", "NEXUS", [
    "<show> [the] (silences|silenced alerts)"
  ], () => ({ type: "silences" })),

  // ---- FORTRESS, MENTOR, VANGUARD
  intent("audit", "FORTRESS", [
    "(run|do|start) [a] security (audit|check|scan)",
    "audit [the] (security|<nas>)",
    "how secure is the <nas>"
  ], () => ({ type: "audit" })),
  intent("findings", "FORTRESS", [
    "[show] [the] security findings",
    "[are there] any security (problems|issues|findings|holes)"
  ], () => ({ type: "findings" })),
  intent("explain", "MENTOR", [
    "explain [code] {code:finding}",
    "what does {code:finding} mean",
    "what is {code:finding}"
  ], (s) => ({ type: "explain", finding: s.finding! })),
  intent("remediation", "MENTOR", [
    "how (do|can|should) i (fix|solve|repair|resolve) {code:finding}",
    "(fix|remedy|remediation) for {code:finding}"
  ], (s) => ({ type: "remediation", finding: s.finding! })),
  intent("updates", "VANGUARD", [
    "are there [any] [package|software|system] updates",
    "<show> [the] [available|pending] [package|software|system] updates",
    "(any|check for) updates",
    "is the <nas> up to date"
  ], () => ({ type: "updates" })),
  intent("security-updates", "VANGUARD", [
    "are there [any] security updates",
    "<show> [the] [available|pending] security updates",
    "any security updates"
  ], () => ({ type: "updates", security: true })),
  intent("refresh-updates", "VANGUARD", [
    "refresh the package (index|lists|list)",
    "apt[-get] update"
  ], () => ({ type: "refresh" }), { changes: true }),

  // ---- the agents themselves, access, the rest
  intent("self-check", "ECLIPSE", [
    "are all [the] agents (running|<ok>|alive|up)",
    "(run|do) a self[-]check",
    "self[-]check"
  ], () => ({ type: "check" })),
  intent("summary", "OMNISCIENT", [
    "[show] [a|the] (system|agent) summary",
    "(give me|show me) [a] summary",
    "how is everything [doing]"
  ], () => ({ type: "summary" })),
  intent("agent-status", "*", [
    "what is {agent} doing",
    "[show] [the] status of [agent] {agent}",
    "[agent] {agent} status",
    "how is [agent] {agent} [doing]"
  ], () => ({ type: "status" })),
  intent("agent-describe", "*", [
    "describe [agent] {agent}",
    "what (does|can) [agent] {agent} do"
  ], () => ({ type: "describe" })),
  intent("memory-stats", "NEURAL", [
    "(neural|vector|agent) memory (stats|statistics)",
    "what do you remember"
  ], () => ({ type: "stats" })),
  intent("leases", "ARBITER", [
    "which jobs (hold|have) (locks|leases)",
    "<show> [the] (leases|locks)"
  ], () => ({ type: "leases" })),
  intent("whoami", "AEGIS", [
    "who am i",
    "what (may|can|am) i (do|allowed to do)",
    "what are my (rights|permissions)"
  ], () => ({ type: "whoami" })),
  intent("layout", "ARCHITECT", [
    "(suggest|recommend|propose) a [pool] layout",
    "how should i (set up|lay out|arrange) my (disks|pool)"
  ], () => ({ type: "recommend" })),
  intent("setup-plan", "GENESIS", [
    "set up the <nas>",
    "(first run|initial) setup"
  ], () => ({ type: "setup-plan" })),
  intent("report", "SCRIBE", [
    "(write|make|create|give me) a {reportkind:kind} report"
  ], (s) => ({ type: "report", kind: s.kind! }), { changes: true }),
  intent("reports", "SCRIBE", [
    "<show> [the|my] [archived] reports"
  ], () => ({ type: "reports" })),
  intent("codes", "MENTOR", [
    "<show> [the|all] finding codes",
    "which (codes|findings) do you (know|explain)"
  ], () => ({ type: "codes" })),
  intent("rules", "FLUX", [
    "<show> [the|my] (automation[s]|automation rules|rules)"
  ], () => ({ type: "rules" })),
  intent("discover", "GENESIS", [
    "(find|show [me]|list) [the] (unused|free|new|unpooled) (disks|drives)",
    "which (disks|drives) are (unused|free|not in a pool)"
  ], () => ({ type: "discover" })),
  intent("ledger", "LEDGER", [
    "<show> [the] (audit log|ledger)",
    "what happened recently"
  ], () => ({ type: "entries" })),
  intent("verify-ledger", "LEDGER", [
    "verify the (audit log|ledger)",
    "is the (audit log|ledger) intact"
  ], () => ({ type: "verify" })),
  intent("migrations", "MORPH", [
    "<show> [the] migrations"
  ], () => ({ type: "migrations" })),
  intent("chart", "CANVAS", [
    "(show|draw|chart|graph|plot) [me] [a|the] (chart|graph|sparkline|history) of {metric} [(over|for) [the] (last|past) {number:hours} hour[s]]",
    "(chart|graph|plot) {metric} [(over|for) [the] (last|past) {number:hours} hour[s]]"
  ], (s) => ({ type: "sparkline", metric: s.metric!, ...(s.hours === undefined ? {} : { since: `${s.hours}h` }) })),
  intent("benchmark", "VELOCITY", [
    "benchmark {path}",
    "how fast is {path}"
  ], (s) => ({ type: "benchmark", target: s.path! }), { changes: true }),
  intent("engines", "VELOCITY", [
    "<show> [the] (compression|benchmark) engines"
  ], () => ({ type: "engines" }))
]

/**
 * The agent an intent sends to: fixed, or for "*" the agent named in the sentence.
 * Agent names are spoken in any case; the message goes to the roster's name.
 */
export const targetOf = (intent: Intent, slots: Slots): string => (intent.agent === "*" ? slots.agent! : intent.agent)
