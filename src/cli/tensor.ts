/** compress, decompress and store: TENSOR's file commands. */
import { EXIT, type Parsed } from "./args.ts"

export const runTensorCommand = async (parsed: Parsed, _env: Readonly<Record<string, string | undefined>>): Promise<number> => {
  process.stderr.write(`sigmavault: '${parsed.command}' is not built yet (issue 7: TENSOR compression and the chunk store)\n`)
  return EXIT.failure
}
