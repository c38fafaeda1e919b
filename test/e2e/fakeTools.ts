/**
 * Stand-ins for system tools the CI machine does not have (zpool, zfs, real
 * disks for smartctl and lsblk): a directory of small scripts put first on the
 * daemon's PATH, each answering a known argument vector with a fixture's text
 * and exit code, and logging every call so a test can see what was (or was
 * not) run. Unknown arguments exit 2 with a message, like a tool's usage error.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"

export interface Answer {
  readonly stdout: string
  readonly code?: number
  readonly stderr?: string
}

const keyOf = (args: ReadonlyArray<string>) => Buffer.from(args.map((a) => `${a}\0`).join("")).toString("hex")

const script = `#!/bin/sh
# test harness stand-in: answers from fixture files, logs each call
tool=$(basename "$0")
dir=$(dirname "$0")
printf '%s' "$tool" >> "$dir/calls.log"
for a in "$@"; do printf ' %s' "$a" >> "$dir/calls.log"; done
printf '\\n' >> "$dir/calls.log"
key=$(printf '%s\\0' "$@" | od -An -v -tx1 | tr -d ' \\n')
answer="$dir/answers/$tool/$key"
if [ -f "$answer.out" ]; then
  cat "$answer.out"
  [ -f "$answer.err" ] && cat "$answer.err" >&2
  exit "$(cat "$answer.code")"
fi
echo "$tool (test stand-in): no answer for: $*" >&2
exit 2
`

/** Writes the stand-ins into `dir` and returns the PATH to run the daemon with. */
export const fakeTools = (dir: string, answers: Readonly<Record<string, ReadonlyArray<readonly [ReadonlyArray<string>, Answer]>>>) => {
  mkdirSync(dir, { recursive: true })
  for (const [tool, list] of Object.entries(answers)) {
    const toolDir = join(dir, "answers", tool)
    mkdirSync(toolDir, { recursive: true })
    for (const [args, answer] of list) {
      const base = join(toolDir, keyOf(args))
      writeFileSync(`${base}.out`, answer.stdout)
      writeFileSync(`${base}.code`, String(answer.code ?? 0))
      if (answer.stderr !== undefined) writeFileSync(`${base}.err`, answer.stderr)
    }
    writeFileSync(join(dir, tool), script)
    chmodSync(join(dir, tool), 0o755)
  }
  return {
    path: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    /** Every call so far, one "tool arg arg" line each. */
    calls: (): ReadonlyArray<string> =>
      existsSync(join(dir, "calls.log")) ? readFileSync(join(dir, "calls.log"), "utf8").split("\n").filter((l) => l !== "") : []
  }
}
