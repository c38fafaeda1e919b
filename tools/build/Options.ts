/** The command line of tools/build.ts. Parsing returns a value; it never exits. */

export interface Options {
  readonly hostOnly: boolean
  readonly smoke: boolean
  readonly installDeps: boolean
  readonly help: boolean
}

export const HELP = `Usage: npm run build [-- options]      (bun tools/build.ts [options])

Compiles src/index.ts with \`bun build --compile\` into
  dist/sigmavault-linux-x64 and dist/sigmavault-linux-arm64,
embedding the version (package.json) and the git commit, then smoke-tests
each binary: --version and selftest, the arm64 one under qemu-aarch64-static.

Options:
  --host-only     build only the binary for this machine's architecture
                  (needs no extra Debian packages)
  --no-smoke      skip the smoke tests
  --install-deps  install missing Debian packages (apt-get; needs root)
  -h, --help      show this help

A full build needs qemu-user-static and libc6-arm64-cross to run the arm64
smoke test (and g++-aarch64-linux-gnu once a native addon must be cross-
compiled); it names the apt-get command to run when any is missing.
`

export type Parsed =
  | { readonly ok: true; readonly options: Options }
  | { readonly ok: false; readonly message: string }

export const parseOptions = (argv: ReadonlyArray<string>): Parsed => {
  let options: Options = { hostOnly: false, smoke: true, installDeps: false, help: false }
  for (const arg of argv) {
    switch (arg) {
      case "--host-only":
        options = { ...options, hostOnly: true }
        break
      case "--no-smoke":
        options = { ...options, smoke: false }
        break
      case "--install-deps":
        options = { ...options, installDeps: true }
        break
      case "-h":
      case "--help":
        options = { ...options, help: true }
        break
      default:
        return { ok: false, message: `unknown option '${arg}'; run 'npm run build -- --help'` }
    }
  }
  return { ok: true, options }
}
