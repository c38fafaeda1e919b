/** The shared block reader (src/support/ByteReader.ts), failing with the vault's VaultIoError. */
import { VaultIoError } from "../Errors.ts"
import * as Shared from "../../support/ByteReader.ts"

export type ByteReader = Shared.ByteReader<VaultIoError>

export const makeByteReader = (iterator: AsyncIterator<unknown>, file: string): ByteReader =>
  Shared.makeByteReader(iterator, file, (name, reason) => new VaultIoError({ operation: "read", file: name, reason }))
