/** A tool's output did not have the shape its parser expects; `path` names the bad field. */
import { Schema } from "effect"

export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  /** e.g. "zpool status -j" */
  source: Schema.String,
  /** JSON path of the bad field, e.g. "pools.tank.vdevs.mirror-0.read_errors"; "" for the whole document */
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read ${this.source} output: ${this.path === "" ? "" : `at ${this.path}: `}${this.reason}`
  }
}
