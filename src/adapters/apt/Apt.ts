/**
 * Port: Debian's package manager as VANGUARD needs it — refresh the index
 * (`apt-get update`), simulate an upgrade (`apt-get -s -V dist-upgrade`, the
 * stable format simulate.ts reads), list holds (`apt-mark showhold`), run an
 * upgrade non-interactively, and the facts around them: when the index was
 * last refreshed, whether a reboot is required (`/run/reboot-required` and
 * `.pkgs`, and the kernels in /boot against the running one).
 *
 * The live adapter runs every tool with `LC_ALL=C` and, when configured, an
 * `APT_CONFIG` file (vanguard_apt_config): a private apt world for tests, or
 * another root; unset, the host's apt.
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"
import { InvalidPackageName } from "./commands.ts"
import type { Simulation } from "./simulate.ts"

/** apt-get is not on PATH: not a Debian-family system (a normal state, said plainly). */
export class AptNotInstalled extends Schema.TaggedError<AptNotInstalled>()("AptNotInstalled", {
  tool: Schema.String
}) {
  override get message() {
    return `${this.tool} is not installed: updates are managed with apt, which this system does not have`
  }
}

/** Another package manager holds the lock (unattended-upgrades, an administrator's apt, dpkg). */
export class PackageManagerBusy extends Schema.TaggedError<PackageManagerBusy>()("PackageManagerBusy", {
  lock: Schema.String,
  /** The process apt names as the holder, when it does. */
  holder: Schema.optional(Schema.String)
}) {
  override get message() {
    return `the package manager is busy: ${this.lock} is locked${this.holder === undefined ? "" : ` by ${this.holder}`}; try again when it has finished`
  }
}

/** apt-get refused or failed; `output` is the tail of what it said (its E: lines). */
export class AptFailed extends Schema.TaggedError<AptFailed>()("AptFailed", {
  command: Schema.String,
  exitCode: Schema.Number,
  output: Schema.String
}) {
  override get message() {
    return `${this.command} exited ${this.exitCode}${this.output === "" ? "" : `: ${this.output}`}`
  }
}

export type AptError =
  | AptNotInstalled
  | PackageManagerBusy
  | AptFailed
  | CommandTimedOut
  | OutputTooLarge
  | CommandFailed
  | CommandExited
  | DecodeError
  | InvalidPackageName

/** Every AptError's schema, for the protocol of the agent that passes them on. */
export const APT_ERRORS = [AptNotInstalled, PackageManagerBusy, AptFailed, CommandTimedOut, OutputTooLarge, CommandFailed, CommandExited, DecodeError, InvalidPackageName] as const

export interface RefreshOutcome {
  /** apt's W: lines (a repository without a Release file, an unsandboxed download, …). */
  readonly warnings: ReadonlyArray<string>
}

export interface IndexState {
  /** Package index files in the lists directory; 0: the index was never refreshed. */
  readonly lists: number
  /** When apt last ran an update (the lists' partial directory changes on each), ISO 8601; null when never. */
  readonly refreshedAt: string | null
  /**
   * A stamp of what a simulation depends on besides the lists: the dpkg status file's size and mtime
   * (installs, removals, holds change it); undefined when it cannot be read (then nothing is reused).
   */
  readonly statusStamp?: string | undefined
}

export interface RebootFlag {
  /** /run/reboot-required exists (Debian's packages and unattended-upgrades touch it). */
  readonly required: boolean
  /** Its mtime, ISO 8601, when it exists. */
  readonly since: string | null
  /** /run/reboot-required.pkgs: the packages that asked, one per line. */
  readonly packages: ReadonlyArray<string>
}

export interface KernelState {
  /** `uname -r`. */
  readonly running: string
  /** The newest /boot/vmlinuz-* release; null when /boot has none. */
  readonly newestInstalled: string | null
  /** The running kernel's image is in /boot: its packages are managed here (not a container's or a VM's external kernel). */
  readonly managed: boolean
  /** A newer kernel is installed, or the running one's image was replaced after boot. */
  readonly rebootRequired: boolean
  readonly reason: string
}

/** What an upgrade ran: the argument vector and the tail of apt's output. */
export interface UpgradeOutcome {
  readonly command: ReadonlyArray<string>
  readonly output: string
}

export interface AptShape {
  /** `apt-get update`. */
  readonly refresh: Effect.Effect<RefreshOutcome, AptError>
  /** `apt-get -s -V` of the command (dist-upgrade, or install --only-upgrade of packages). */
  readonly simulate: (packages?: ReadonlyArray<string>) => Effect.Effect<Simulation, AptError>
  /** `apt-mark showhold`. */
  readonly holds: Effect.Effect<ReadonlyArray<string>, AptError>
  readonly index: Effect.Effect<IndexState, AptError>
  readonly rebootFlag: Effect.Effect<RebootFlag>
  readonly kernel: Effect.Effect<KernelState>
  /** The exact argument vector and environment `upgrade` runs with, for a plan. */
  readonly upgradeCommand: (packages?: ReadonlyArray<string>) => { readonly command: ReadonlyArray<string>; readonly env: Readonly<Record<string, string>> }
  /** Runs the upgrade (dist-upgrade, or install --only-upgrade of packages) non-interactively. */
  readonly upgrade: (packages?: ReadonlyArray<string>) => Effect.Effect<UpgradeOutcome, AptError>
}

export class Apt extends Context.Service<Apt, AptShape>()("sigmavault/adapters/apt/Apt") {}
