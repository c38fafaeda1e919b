/** CRYPTO's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { FileError } from "../../adapters/fs/Files.ts"
import { KEYRING_ERRORS } from "../../keys/Keyring.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { AbsolutePath } from "../shared/fields.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { DependencyFailed } from "../shared/rejections.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Unreadable = Schema.Struct({ path: Schema.String, reason: Schema.String })

/** The manifest is not one CRYPTO wrote, or was cut or edited so it no longer parses. */
export class ManifestMalformed extends Schema.TaggedError<ManifestMalformed>()("ManifestMalformed", {
  manifest: Schema.String,
  /** 1-based; 0 for the file as a whole. */
  line: Schema.Int,
  reason: Schema.String
}) {
  override get message() {
    return `manifest ${this.manifest} is malformed${this.line === 0 ? "" : ` at line ${this.line}`}: ${this.reason}`
  }
}

/** The manifest's signature does not hold: verification is refused, since the manifest itself cannot be trusted. */
export class ManifestSignatureInvalid extends Schema.TaggedError<ManifestSignatureInvalid>()("ManifestSignatureInvalid", {
  manifest: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `manifest ${this.manifest} is refused: ${this.reason}`
  }
}

/** The output would be inside the tree it describes: it would list itself, half written. */
export class OutputInsideTree extends Schema.TaggedError<OutputInsideTree>()("OutputInsideTree", {
  root: Schema.String,
  output: Schema.String
}) {
  override get message() {
    return `the manifest ${this.output} would be inside the tree ${this.root} it describes; write it elsewhere`
  }
}

export const Hashed = Schema.Struct({
  path: Schema.String,
  algorithm: Schema.Literal("sha256"),
  /** Lowercase hex. */
  digest: Schema.String,
  bytes: Count
})

export const ManifestWritten = Schema.Struct({
  output: Schema.String,
  root: Schema.String,
  files: Count,
  bytes: Count,
  /** Symbolic links, devices, pipes and sockets: not in a manifest. */
  skipped: Count,
  /** Left out because they could not be read (the manifest does not list them). */
  unreadable: Schema.Array(Unreadable),
  /** The ML-DSA-65 key that signed it (QUANTUM's signing key). */
  keyId: Schema.String,
  seconds: Schema.Finite
})

/** At most this many paths per category in a reply; the counts are always whole. */
export const MAX_LISTED = 1000

export const Verified = Schema.Struct({
  manifest: Schema.String,
  root: Schema.String,
  /** The key that signed the manifest (checked before anything else). */
  signedBy: Schema.String,
  /** When the manifest was made (ISO 8601). */
  created: Schema.String,
  files: Count,
  bytes: Count,
  /** No file changed, rotted, went missing or could not be read (added files do not count against it). */
  intact: Schema.Boolean,
  matched: Count,
  counts: Schema.Struct({
    changed: Count,
    bitRot: Count,
    missing: Count,
    added: Count,
    unreadable: Count,
    metadataChanged: Count
  }),
  /** Content changed along with its size or mtime: an ordinary edit. */
  changed: Schema.Array(Schema.Struct({ path: Schema.String, what: Schema.Array(Schema.Literals(["size", "mtime"])) })),
  /** Content changed while size and mtime stayed: nothing wrote it through the filesystem. */
  bitRot: Schema.Array(Schema.String),
  missing: Schema.Array(Schema.String),
  added: Schema.Array(Schema.String),
  unreadable: Schema.Array(Unreadable),
  /** Same content; mtime or mode differ. */
  metadataChanged: Schema.Array(Schema.Struct({ path: Schema.String, what: Schema.Array(Schema.Literals(["mtime", "mode"])) })),
  seconds: Schema.Finite
})
export type Verified = typeof Verified.Type

export const Crypto = Protocol.make("CRYPTO", [
  Protocol.message("hash", {
    doc: "the SHA-256 of a file, read with the caller's rights",
    access: "operate",
    fields: { path: AbsolutePath },
    reply: Hashed,
    rejections: [FileError]
  }),
  Protocol.message("manifest", {
    doc: "hashes every regular file under `root` into a manifest signed with the daemon's ML-DSA-65 key, written to `output` (which must not exist)",
    access: "operate",
    fields: {
      root: AbsolutePath,
      output: AbsolutePath
    },
    reply: ManifestWritten,
    rejections: [OutputInsideTree, LeaseConflict, DependencyFailed, ...KEYRING_ERRORS]
  }),
  Protocol.message("verify", {
    doc: "checks a signed manifest, then the tree (`root`, default the manifest's): changed, bit rot, missing, added and unreadable files",
    access: "operate",
    fields: {
      manifest: AbsolutePath,
      root: Schema.optionalKey(AbsolutePath)
    },
    reply: Verified,
    rejections: [ManifestMalformed, ManifestSignatureInvalid, LeaseConflict, DependencyFailed, ...KEYRING_ERRORS]
  })
])
