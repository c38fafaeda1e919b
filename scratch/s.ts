import { Schema, Exit, Cause } from "effect"
const M = Schema.Union([Schema.Struct({ type: Schema.Literal("facts") }), Schema.Struct({ type: Schema.Literal("add"), cron: Schema.String, n: Schema.optional(Schema.Number) })])
const d = Schema.decodeUnknownExit(M)
for (const x of [{ type: "add", cron: 5 }, { type: "zz" }, { type: "facts", extra: 1 }, "str"]) {
  const e = d(x, { onExcessProperty: "error" })
  console.log(JSON.stringify(x), Exit.isSuccess(e) ? "ok" : String(Cause.squash(e.cause)))
}
const ast: any = M.ast
console.log(ast._tag, ast.types.map((t: any) => [t._tag, t.propertySignatures?.map((p: any) => [p.name, p.type._tag, p.type.literal])]))
