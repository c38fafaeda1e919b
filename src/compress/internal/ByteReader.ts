/** The shared block reader (src/support/ByteReader.ts), failing with compress's CompressIoError. */
import { CompressIoError } from "../Errors.ts"
import * as Shared from "../../support/ByteReader.ts"

export type ByteReader = Shared.ByteReader<CompressIoError>

export const makeByteReader = (iterator: AsyncIterator<unknown>, file: string): ByteReader =>
  Shared.makeByteReader(iterator, file, (name, reason) => new CompressIoError({ operation: "read", file: name, reason }))
