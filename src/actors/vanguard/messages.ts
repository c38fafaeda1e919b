/** VANGUARD's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { APT_ERRORS } from "../../adapters/apt/Apt.ts"
import * as Protocol from "../../runtime/Protocol.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Package = Schema.Struct({
  name: Schema.String,
  /** The installed version; null for a package the upgrade installs anew. */
  from: Schema.NullOr(Schema.String),
  to: Schema.String,
  arch: Schema.String,
  /** apt's release strings, `[Label:][Version/]Suite`: "Debian-Security:12/stable-security". */
  origins: Schema.Array(Schema.String),
  suites: Schema.Array(Schema.String),
  /** Offered by a security suite (label Debian-Security, or a suite ending in -security). */
  security: Schema.Boolean
})
export type Package = typeof Package.Type

export const Removal = Schema.Struct({ name: Schema.String, version: Schema.String })

export const KeptBack = Schema.Struct({
  name: Schema.String,
  from: Schema.String,
  to: Schema.String,
  /** Held with `apt-mark hold`; otherwise kept back by unmet dependencies, conflicts or phasing. */
  held: Schema.Boolean
})

export const Index = Schema.Struct({
  /** The index was refreshed at least once: without it, "no updates" means nothing. */
  refreshed: Schema.Boolean,
  /** When apt last ran an update, ISO 8601; null when never. */
  refreshedAt: Schema.NullOr(Schema.String),
  /** Package index files apt holds. */
  lists: Count,
  /** Said when the answer cannot be trusted (never refreshed). */
  note: Schema.optional(Schema.String)
})

export const Kernel = Schema.Struct({
  running: Schema.String,
  newestInstalled: Schema.NullOr(Schema.String),
  managed: Schema.Boolean,
  rebootRequired: Schema.Boolean,
  reason: Schema.String
})

export const Reboot = Schema.Struct({
  /** /run/reboot-required exists, or the kernel check says so. */
  required: Schema.Boolean,
  /** /run/reboot-required exists (packages asked for a reboot). */
  flag: Schema.Boolean,
  since: Schema.NullOr(Schema.String),
  /** /run/reboot-required.pkgs. */
  packages: Schema.Array(Schema.String),
  kernel: Kernel
})

export const UpdatesReply = Schema.Struct({
  checkedAt: Schema.String,
  index: Index,
  /** Installed packages with a newer version (only security ones when asked). */
  upgradable: Schema.Array(Package),
  /** Packages dist-upgrade would install anew, and remove. */
  newPackages: Schema.Array(Package),
  removals: Schema.Array(Removal),
  keptBack: Schema.Array(KeptBack),
  /** How many upgradable packages are security updates (whatever was asked). */
  securityCount: Count,
  reboot: Reboot
})
export type UpdatesReply = typeof UpdatesReply.Type

export const RefreshReply = Schema.Struct({
  refreshedAt: Schema.NullOr(Schema.String),
  /** apt's warnings (W: lines). */
  warnings: Schema.Array(Schema.String),
  upgradable: Count,
  securityCount: Count
})

export const UpgradeReply = Schema.Struct({
  /** dist-upgrade, or only the pending security updates. */
  scope: Schema.Literals(["all", "security"]),
  /** The exact argument vector, tool first, and the environment it runs with. */
  command: Schema.Array(Schema.String),
  env: Schema.Record(Schema.String, Schema.String),
  /** The same, quoted for a human to read or paste. */
  display: Schema.String,
  /** What apt says the command does (its own simulation of that exact command). */
  upgrades: Schema.Array(Package),
  installs: Schema.Array(Package),
  removals: Schema.Array(Removal),
  keptBack: Schema.Array(Schema.String),
  executed: Schema.Boolean,
  /** The end of apt's output, when executed. */
  output: Schema.optional(Schema.String)
})
export type UpgradeReply = typeof UpgradeReply.Type

/** A confirmed upgrade with nothing to do: nothing ran. */
export class NothingToUpgrade extends Schema.TaggedError<NothingToUpgrade>()("NothingToUpgrade", {
  scope: Schema.Literals(["all", "security"])
}) {
  override get message() {
    return this.scope === "security" ? "no security update is pending: nothing was run" : "no package can be upgraded: nothing was run"
  }
}

export const Vanguard = Protocol.make("VANGUARD", [
  Protocol.message("updates", {
    doc: "upgradable packages (from `apt-get -s -V dist-upgrade`) with security updates flagged by origin/suite, kept-back packages, reboot-required, and when the index was last refreshed",
    access: "read",
    fields: {
      /** Only the security updates. */
      security: Schema.optionalKey(Schema.Boolean)
    },
    reply: UpdatesReply,
    rejections: APT_ERRORS
  }),
  Protocol.message("refresh", {
    doc: "refreshes the apt package index (`apt-get update`)",
    access: "operate",
    fields: {},
    reply: RefreshReply,
    rejections: APT_ERRORS
  }),
  Protocol.message("upgrade", {
    doc: "plans `apt-get -y dist-upgrade` (or only the security updates) with the packages it changes; runs it non-interactively only with confirm",
    access: "admin",
    fields: {
      security: Schema.optionalKey(Schema.Boolean),
      confirm: Schema.optionalKey(Schema.Boolean)
    },
    reply: UpgradeReply,
    rejections: [NothingToUpgrade, ...APT_ERRORS]
  })
])
