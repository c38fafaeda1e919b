/**
 * Port: config text checked by the tool that will read it, on a temporary
 * copy — never the host's own files. `testparm` reads an smb.conf stanza,
 * `exportfs` an exports file inside a private mount namespace (its /etc and
 * /var/lib/nfs are scratch copies that vanish with it), `systemd-analyze`
 * timer and service units and calendar expressions. Each check answers the
 * tool's verdict: accepted (with what it printed that is not an error, and its
 * own reading of the text), or refused with its words and the line; a tool that
 * is missing or cannot run here is CheckUnavailable.
 */
import { Context, type Effect, Schema } from "effect"

export class CheckUnavailable extends Schema.TaggedError<CheckUnavailable>()("CheckUnavailable", {
  tool: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.tool} cannot check here: ${this.reason}`
  }
}

export type Verdict =
  | {
    readonly accepted: true
    /** The tool as run, e.g. "testparm -s --suppress-prompt". */
    readonly tool: string
    readonly warnings: ReadonlyArray<string>
    /** The tool's own reading of the text: testparm's normalized config, the etab exportfs wrote, a calendar's normalized form. */
    readonly reading: string
  }
  | {
    readonly accepted: false
    readonly tool: string
    readonly reason: string
    readonly line?: number
    readonly reading: string
  }

/** A unit file to verify: its file name (sigmavault-photos.timer) and text. */
export interface UnitFile {
  readonly name: string
  readonly text: string
}

export class ConfigCheck extends Context.Service<ConfigCheck, {
  /** smb.conf text (a stanza, or several) through `testparm -s`; an unknown parameter is a refusal. */
  readonly smb: (text: string) => Effect.Effect<Verdict, CheckUnavailable>
  /** An exports file's text through `exportfs -ra` and `exportfs -v`, as if it were the only one in /etc/exports.d. */
  readonly nfs: (text: string) => Effect.Effect<Verdict, CheckUnavailable>
  /** Unit files through `systemd-analyze verify`; a missing ExecStart binary is stood in for, with a warning. */
  readonly units: (files: ReadonlyArray<UnitFile>) => Effect.Effect<Verdict, CheckUnavailable>
  /** A calendar expression through `systemd-analyze calendar`; `reading` is its normalized form. */
  readonly calendar: (expression: string) => Effect.Effect<Verdict, CheckUnavailable>
}>()("sigmavault/adapters/configcheck/ConfigCheck") {}
