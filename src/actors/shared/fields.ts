/**
 * Field schemas several agents' messages share: the names an administrator
 * types at the CLI, checked at the boundary with an error that says what was expected.
 */
import { Result, Schema } from "effect"
import { InvalidName, type Validator, validateDatasetName, validateDevice, validatePoolName } from "../../adapters/command/names.ts"
import { LABEL_NAME, MAX_LABEL_VALUE, METRIC_NAME } from "../../history/History.ts"

const matching = (pattern: RegExp, expected: string) => Schema.String.check(Schema.isPattern(pattern, { expected }))

/** Free text (a goal, a summary, a command): not empty, not only blanks. */
export const Text = matching(/\S/, "text that is not blank")
/** Names of shares, keys, peers, rules, jobs: safe to use in file names and tool arguments. */
export const Name = matching(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  "a name of up to 64 letters, digits, '_', '.' or '-', e.g. photos"
)
export const AbsolutePath = matching(/^\/[^\0]*$/, "an absolute path, e.g. /srv/photos")

/**
 * A name a ZFS tool will be given: refused at the boundary by the very rules the
 * adapter checks before it spawns anything (adapters/command/names.ts), so a
 * message that is accepted is never refused later. `generatedFrom` is only a
 * hint for generating sample values in property tests; the rule is `validate`.
 */
const toolName = (validate: Validator, expected: string, generatedFrom: RegExp) =>
  Schema.String.check(
    Schema.makeFilter(
      (input: string) => {
        const checked = validate(input)
        return Result.isSuccess(checked) ? undefined : `${checked.failure.message}; expected ${expected}`
      },
      { expected, arbitraryConstraint: { patterns: [{ source: generatedFrom.source, flags: "" }] } }
    )
  )

export const PoolName = toolName(validatePoolName, "a ZFS pool name, e.g. tank", /^[A-Za-z][A-Za-z0-9_.:-]{0,30}$/)
export const DatasetName = toolName(
  (input) => validateDatasetName(input),
  "a ZFS dataset name, e.g. tank/photos",
  /^[A-Za-z][A-Za-z0-9_.:-]{0,15}(\/[A-Za-z0-9_.:-]{1,15}){0,3}$/
)
/**
 * What `zfs destroy` is given: a dataset, or one of its snapshots
 * (tank/photos@monday, tank@monday). A bookmark (#) is not offered.
 */
export const DatasetOrSnapshotName = toolName(
  (input) =>
    Result.flatMap(validateDatasetName(input, { allowSnapshot: true }), (name) =>
      name.includes("#")
        ? Result.fail(new InvalidName({ kind: "dataset", name, reason: "'#' (a bookmark) is not allowed here" }))
        : Result.succeed(name)),
  "a ZFS dataset or snapshot name, e.g. tank/photos or tank/photos@monday",
  /^[A-Za-z][A-Za-z0-9_.:-]{0,15}(\/[A-Za-z0-9_.:-]{1,15}){0,3}(@[A-Za-z0-9_.:-]{1,15})?$/
)
export const Device = toolName(
  validateDevice,
  "a block device, e.g. sda, nvme0n1 or /dev/disk/by-id/ata-…",
  /^(sd[a-z]{1,2}|nvme[0-9]n[1-9]|\/dev\/disk\/by-id\/[A-Za-z0-9_.:-]{1,40})$/
)

export const AgentName = matching(/^[A-Z][A-Z0-9_-]*$/, "an agent name in capitals, e.g. ORACLE")
export const MetricName = matching(METRIC_NAME, "a Prometheus metric name, e.g. sigmavault_mailbox_depth")
export const LabelName = matching(LABEL_NAME, "a Prometheus label name, e.g. pool")
/** A label value as the metric history keeps them. */
export const LabelValue = Schema.String.check(Schema.isMaxLength(MAX_LABEL_VALUE))
/** A label matcher as in PromQL: `=` and `!=` compare, `=~` and `!~` match an anchored regular expression. */
export const LabelMatcher = Schema.Struct({
  label: LabelName,
  op: Schema.Literals(["=", "!=", "=~", "!~"]),
  value: Schema.String.check(Schema.isMaxLength(512))
})

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

/** A host, network or pattern a share admits: 192.168.1.0/24, nas.lan, *.lan, 2001:db8::/32. FORGE checks the rest. */
export const HostPattern = matching(/^[A-Za-z0-9*?.:\/\[\]_-]{1,253}$/, "a host name, address, CIDR range or wildcard, e.g. 192.168.1.0/24")
/** A local user, or a group as @group (smb.conf's "valid users"). */
export const UserOrGroup = matching(/^@?[a-z_][a-z0-9_.-]{0,31}\$?$/, "a user name or @group, e.g. alice or @family")
/** One line of free text: no control characters (a newline would start a new smb.conf line). */
export const OneLine = Schema.String.check(
  Schema.isPattern(/^[^\u0000-\u001f\u007f]{0,256}$/, { expected: "one line of at most 256 characters" })
)

/**
 * A share as BRIDGE stores it and FORGE renders it. The schema admits every
 * shape a caller may send; what the real tool would still refuse (an option
 * testparm or exportfs does not know, a path with characters smb.conf cannot
 * hold) FORGE refuses as InvalidSpec before anything is written.
 */
export const ShareSpec = Schema.Struct({
  protocol: ShareProtocol,
  name: Name,
  path: AbsolutePath,
  readOnly: Schema.optionalKey(Schema.Boolean),
  comment: Schema.optionalKey(OneLine),
  /** Hosts admitted: smb.conf "hosts allow", or the NFS export's clients (default: none for NFS, any for SMB). */
  hosts: Schema.optionalKey(Schema.Array(HostPattern)),
  /** SMB: users and @groups admitted ("valid users"); absent: any authenticated user. */
  users: Schema.optionalKey(Schema.Array(UserOrGroup)),
  /** SMB: guests admitted without a password ("guest ok"). */
  guest: Schema.optionalKey(Schema.Boolean),
  /** NFS: export options beyond ro/rw, e.g. ["root_squash", "no_subtree_check"]; FORGE admits only those exportfs knows. */
  nfsOptions: Schema.optionalKey(Schema.Array(Schema.String))
})
export type ShareSpec = typeof ShareSpec.Type
