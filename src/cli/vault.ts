/** encrypt and decrypt: filled in with the vault format. */
import type { Parsed } from "./args.ts"

export const runVaultCommand = async (_parsed: Parsed, _env: Readonly<Record<string, string | undefined>>): Promise<number> => 1
