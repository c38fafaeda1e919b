/**
 * Field schemas several agents' messages share: the names an administrator
 * types at the CLI, checked at the boundary with an error that says what was expected.
 */
import { Schema } from "effect"

const matching = (pattern: RegExp, expected: string) => Schema.String.check(Schema.isPattern(pattern, { expected }))

/** Free text (a goal, a summary, a command): not empty, not only blanks. */
export const Text = matching(/\S/, "text that is not blank")
/** Names of shares, keys, peers, rules, jobs: safe to use in file names and tool arguments. */
export const Name = matching(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  "a name of up to 64 letters, digits, '_', '.' or '-', e.g. photos"
)
export const AbsolutePath = matching(/^\/[^\0]*$/, "an absolute path, e.g. /srv/photos")
export const PoolName = matching(/^[A-Za-z][A-Za-z0-9_.:-]{0,254}$/, "a ZFS pool name, e.g. tank")
export const DatasetName = matching(
  /^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/,
  "a ZFS dataset name, e.g. tank/photos"
)
export const Device = matching(
  /^(\/dev\/)?[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9][A-Za-z0-9_.:-]*)*$/,
  "a block device, e.g. sda, nvme0n1 or /dev/disk/by-id/ata-…"
)
export const AgentName = matching(/^[A-Z][A-Z0-9_-]*$/, "an agent name in capitals, e.g. ORACLE")
export const MetricName = matching(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a Prometheus metric name, e.g. sigmavault_mailbox_depth")

export const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
export const Severity = Schema.Literals(["info", "low", "medium", "high", "critical"])
export const ShareProtocol = Schema.Literals(["smb", "nfs"])

/** A message for another agent, as any transport would carry it: an object with a string `type`. */
export const AgentMessageObject = Schema.StructWithRest(Schema.Struct({ type: Schema.NonEmptyString }), [
  Schema.Record(Schema.String, Schema.Json)
])
export const AgentCall = Schema.Struct({ agent: AgentName, message: AgentMessageObject })

/** What a pool layout optimises for. */
export const LayoutGoal = Schema.Literals(["capacity", "balanced", "redundancy"])

/** A share as BRIDGE manages it and FORGE renders it. */
export const ShareSpec = Schema.Struct({
  protocol: ShareProtocol,
  name: Name,
  path: AbsolutePath,
  readOnly: Schema.optionalKey(Schema.Boolean)
})
