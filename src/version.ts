/**
 * Version and commit, embedded by tools/build.ts with `bun build --define`.
 * Running from source they come from package.json and "source".
 */
import packageJson from "../package.json" with { type: "json" }

declare const __SIGMAVAULT_VERSION__: string | undefined
declare const __SIGMAVAULT_COMMIT__: string | undefined

export const version: string = typeof __SIGMAVAULT_VERSION__ === "string" ? __SIGMAVAULT_VERSION__ : packageJson.version
export const commit: string = typeof __SIGMAVAULT_COMMIT__ === "string" ? __SIGMAVAULT_COMMIT__ : "source"
export const versionLine = `sigmavault ${version} (${commit})`
