/**
 * The filesystem and stdio edges of `encryptFile` and `decryptFile`
 * (src/support/Edges.ts), failing with `VaultIoError` and `VaultOutputExists`.
 */
import { makeEdges } from "../../support/Edges.ts"
import { VaultIoError, VaultOutputExists } from "../Errors.ts"

export { guardStdout, nameOf, type OutputOptions, STDIO, writeStdout } from "../../support/Edges.ts"

export const { withInput, withOutput } = makeEdges({
  io: (operation, file, reason) => new VaultIoError({ operation, file, reason }),
  outputExists: (file) => new VaultOutputExists({ file })
})
