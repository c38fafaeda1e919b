/** CRYPTO's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AbsolutePath } from "../shared/fields.ts"

export const Crypto = Protocol.make("CRYPTO", [
  Protocol.planned("hash", {
    doc: "the content hash of a file",
    access: "operate",
    capability: "content-hashing",
    fields: {
      path: AbsolutePath,
      algorithm: Schema.optionalKey(Schema.Literals(["blake3", "sha256"]))
    }
  }),
  Protocol.planned("manifest", {
    doc: "writes a manifest (path, size, mode, hash) of a tree",
    access: "operate",
    capability: "content-hashing",
    fields: {
      root: AbsolutePath,
      output: AbsolutePath
    }
  }),
  Protocol.planned("verify", {
    doc: "checks a tree against a manifest: changed, missing, added, unreadable files, bit rot",
    access: "operate",
    capability: "bit-rot-verification",
    fields: {
      manifest: AbsolutePath,
      signature: Schema.optionalKey(AbsolutePath)
    }
  })
])
