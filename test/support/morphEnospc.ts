/**
 * The ENOSPC cell of MORPH's fault matrix, run inside a private mount
 * namespace where a 4 MiB ext4 image is mounted: moves a tree onto it and
 * prints what became of each file (one JSON line), since the image's mount
 * is not visible outside. Run with bun.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { begin, forward } from "./morph.ts"

const args = JSON.parse(process.argv[2]!) as { readonly root: string; readonly src: string; readonly dst: string; readonly journals: string }
const { plan } = await Effect.runPromise(begin(args.journals, args.root, "enospc", "move", args.src, args.dst))
const state = await Effect.runPromise(forward(args.journals, args.root, plan))
const whys = state.entries.map((e) => e.why ?? "")
const dstFiles: Record<string, string> = {}
const leftovers: Array<string> = []
const visit = (rel: string) => {
  const full = rel === "" ? args.dst : path.join(args.dst, rel)
  const st = fs.lstatSync(full)
  if (st.isDirectory()) for (const name of fs.readdirSync(full)) visit(rel === "" ? name : `${rel}/${name}`)
  else if (st.isFile()) {
    if (/\.tmp-\d+-[0-9a-f]{12}$/.test(rel)) leftovers.push(rel)
    else dstFiles[rel] = createHash("sha256").update(fs.readFileSync(full)).digest("hex")
  }
}
if (fs.existsSync(args.dst)) visit("")
process.stdout.write(`${JSON.stringify({
  failed: state.entries.filter((e) => e.step === "failed").length,
  verified: state.entries.filter((e) => e.step === "verified").length,
  removed: state.entries.filter((e) => e.step === "removed").length,
  noSpace: whys.some((w) => /no space/i.test(w)),
  leftovers,
  dstFiles,
  finished: state.finished
})}\n`)
process.exit(0)
