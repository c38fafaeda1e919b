import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { COMMANDS, flag, flagAll, parse } from "../../src/cli/args.ts"

const command = (argv: ReadonlyArray<string>) => {
  const parsed = parse(argv)
  if (parsed._tag !== "Command") throw new Error(`expected a command, got ${JSON.stringify(parsed)}`)
  return parsed.parsed
}
const usageError = (argv: ReadonlyArray<string>) => {
  const parsed = parse(argv)
  return parsed._tag === "UsageError" ? parsed.message : `no usage error: ${parsed._tag}`
}

describe("the command line", () => {
  it("takes short and long flags alike, repeatable, with - as a positional (stdin)", () => {
    const parsed = command(["encrypt", "-r", "svpk1a", "--recipient", "svpk1b", "-R", "team.keys", "-o", "out.sv", "-"])
    expect(flagAll(parsed, "--recipient")).toEqual(["svpk1a", "svpk1b"])
    expect(flagAll(parsed, "--recipients-file")).toEqual(["team.keys"])
    expect(flag(parsed, "--output")).toBe("out.sv")
    expect(parsed.positional).toEqual(["-"])
    expect(command(["encrypt", "--output=x.sv", "-r", "k"]).positional).toEqual([])
  })

  it("optional positionals may be left out; required ones may not; extra ones are refused", () => {
    expect(command(["decrypt", "-i", "k"]).positional).toEqual([])
    expect(usageError(["decrypt", "a", "b"])).toMatch(/decrypt needs \[IN\], got 2 arguments/)
    expect(usageError(["keys"])).toMatch(/keys needs ACTION, got 0 arguments/)
    expect(usageError(["audit", "verify", "extra"])).toMatch(/audit needs ACTION, got 2/)
  })

  it("names an unknown flag, a missing value and a value given to a switch", () => {
    expect(usageError(["encrypt", "-x"])).toBe("unknown option '-x' for encrypt; run 'sigmavault encrypt --help'")
    expect(usageError(["encrypt", "-r"])).toBe("--recipient needs a value (PUBKEY)")
    expect(usageError(["keygen", "--no-passphrase=yes"])).toBe("--no-passphrase takes no value")
  })

  it("help lists short flags beside long ones, for every command", () => {
    for (const spec of COMMANDS) {
      const help = parse([spec.name, "--help"])
      expect(help._tag).toBe("Help")
      for (const f of spec.flags) expect(help._tag === "Help" ? help.text : "").toContain(f.short === undefined ? f.name : `${f.short}, ${f.name}`)
    }
  })

  it("never throws, whatever the arguments", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom("-", "--", "-r", "-o", "--json", "encrypt", "keys"))), (argv) => {
      const parsed = parse(argv)
      expect(["Help", "Version", "UsageError", "Command"]).toContain(parsed._tag)
    }))
  })
})
