/**
 * FORGE's protocol: the single source of its message schemas, access classes and replies.
 *
 * The contract other agents build on (BRIDGE applies shares through it, PHANTOM
 * renders WireGuard configs with it): a render is a pure function of a typed
 * spec and answers `Rendered`; a spec the real tool would refuse is refused as
 * `InvalidSpec` before any tool runs or any file is written; `validate` runs
 * the real tool on a temporary copy and answers `Validated`, or `ConfigRejected`
 * with the tool's own words, or `ValidatorUnavailable` when the tool is missing.
 */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentCall, Name, ShareSpec, Text } from "../shared/fields.ts"

/** The kinds of configuration FORGE renders and checks. */
export const ConfigKind = Schema.Literals(["smb", "nfs", "wireguard", "systemd-timer"])
export type ConfigKind = typeof ConfigKind.Type

/** One file FORGE rendered: where it belongs, and its text. */
export const RenderedFile = Schema.Struct({
  /** Where the text belongs: /etc/exports.d/sigmavault-photos.exports, a registry share "photos", photos.timer. */
  target: Schema.String,
  text: Schema.String,
  /** An SMB share's parameters in order, for a registry share (`net conf setparm NAME KEY VALUE`); the text is the same stanza. */
  parameters: Schema.optionalKey(Schema.Array(Schema.Tuple([Schema.String, Schema.String])))
})
export type RenderedFile = typeof RenderedFile.Type

export const Rendered = Schema.Struct({
  kind: ConfigKind,
  files: Schema.Array(RenderedFile)
})
export type Rendered = typeof Rendered.Type

export const Validated = Schema.Struct({
  kind: ConfigKind,
  /** The tool that accepted it, as run: "testparm -s", "exportfs -ra" … */
  tool: Schema.String,
  /** What the tool printed that is not an error. */
  warnings: Schema.Array(Schema.String)
})
export type Validated = typeof Validated.Type

/** A spec FORGE refuses before any tool or file is touched: the field, and why. */
export class InvalidSpec extends Schema.TaggedError<InvalidSpec>()("InvalidSpec", {
  kind: ConfigKind,
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid ${this.kind} spec: ${this.field}: ${this.reason}`
  }
}

/** The real tool refused the text: its own words, and the line where it says. */
export class ConfigRejected extends Schema.TaggedError<ConfigRejected>()("ConfigRejected", {
  kind: ConfigKind,
  tool: Schema.String,
  reason: Schema.String,
  line: Schema.optionalKey(Schema.Int)
}) {
  override get message() {
    return `${this.tool} rejected the ${this.kind} config${this.line === undefined ? "" : ` at line ${this.line}`}: ${this.reason}`
  }
}

/** The tool that checks this kind is not installed or cannot run here. */
export class ValidatorUnavailable extends Schema.TaggedError<ValidatorUnavailable>()("ValidatorUnavailable", {
  kind: ConfigKind,
  tool: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot check ${this.kind} config: ${this.tool}: ${this.reason}`
  }
}

export const FORGE_ERRORS = [InvalidSpec, ConfigRejected, ValidatorUnavailable] as const

/**
 * A WireGuard interface config, without its private key (keys never travel
 * between agents). Fields are plain here and checked by the render, which
 * refuses a bad one as InvalidSpec naming it ("peers[2].allowedIps[0]").
 */
export const WireguardPeerSpec = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  publicKey: Schema.String,
  allowedIps: Schema.Array(Schema.String),
  endpoint: Schema.optionalKey(Schema.String),
  persistentKeepalive: Schema.optionalKey(Schema.Number)
})
export const WireguardSpecFields = {
  interface: Schema.String,
  listenPort: Schema.optionalKey(Schema.Number),
  address: Schema.optionalKey(Schema.Array(Schema.String)),
  dns: Schema.optionalKey(Schema.Array(Schema.String)),
  mtu: Schema.optionalKey(Schema.Number),
  peers: Schema.Array(WireguardPeerSpec)
}

export const Forge = Protocol.make("FORGE", [
  Protocol.message("render-share", {
    doc: "renders a share's smb.conf stanza or /etc/exports.d file",
    access: "read",
    fields: {
      ...ShareSpec.fields
    },
    reply: Rendered,
    rejections: [InvalidSpec]
  }),
  Protocol.message("render-wireguard", {
    doc: "renders a WireGuard interface config without its private key (the caller adds `PrivateKey = …` after [Interface])",
    access: "read",
    fields: WireguardSpecFields,
    reply: Rendered,
    rejections: [InvalidSpec]
  }),
  Protocol.message("render-timer", {
    doc: "renders a systemd timer and service that send a message to an agent",
    access: "read",
    fields: {
      name: Name,
      onCalendar: Text,
      ...AgentCall.fields
    },
    reply: Rendered,
    rejections: [InvalidSpec, ValidatorUnavailable]
  }),
  Protocol.message("validate", {
    doc: "checks config text with the tool that will read it, on a temporary copy",
    access: "operate",
    fields: {
      kind: ConfigKind,
      text: Text,
      /** systemd-timer: the units' base name (sigmavault-NAME.timer/.service); default "sigmavault-check". */
      name: Schema.optionalKey(Name),
      /** systemd-timer: the service unit the timer starts (`text` is the timer). */
      service: Schema.optionalKey(Text)
    },
    reply: Validated,
    rejections: [ConfigRejected, ValidatorUnavailable]
  })
])
