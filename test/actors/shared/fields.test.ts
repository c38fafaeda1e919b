/**
 * The ZFS names an agent message accepts are exactly the names the adapters
 * will pass to zpool, zfs and smartctl: a message is never accepted at the
 * boundary and then refused when the command is built, nor the other way round.
 */
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DatasetName, Device, PoolName } from "../../../src/actors/shared/fields.ts"
import { type Validator, validateDatasetName, validateDevice, validatePoolName } from "../../../src/adapters/command/names.ts"

/** Strings near the rules' edges: reserved words, a leading digit or '-', separators, shell metacharacters, blanks. */
const nearlyNames = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "Z", "c", "0", "7", "-", "_", ".", ":", "/", "@", "#", " ", "\n", "$", ";", "+", ",", "="), maxLength: 12 }),
  fc.tuple(
    fc.constantFrom("", "/dev/", "/dev/disk/by-id/", "/etc/", "tank/", "disk/"),
    fc.constantFrom("mirror", "raidz", "raidz3", "draid2", "spare", "log", "cache", "special", "dedup", "c0t0d0", "tank", "sda", "nvme0n1", "..", ".", "-f", ""),
    fc.constantFrom("", "/", "/home", "//x", "@daily", "#mark", "1", " x")
  ).map((parts) => parts.join("")),
  fc.nat({ max: 300 }).map((length) => "t".repeat(length))
)

const cases: ReadonlyArray<readonly [string, Schema.Codec<string>, Validator]> = [
  ["PoolName", PoolName, validatePoolName],
  ["DatasetName", DatasetName, (input) => validateDatasetName(input)],
  ["Device", Device, validateDevice]
]

describe("ZFS name fields", () => {
  for (const [field, schema, validate] of cases) {
    it(`${field} accepts exactly what the adapters accept, and says why it refuses`, () => {
      const decode = Schema.decodeUnknownResult(schema)
      fc.assert(
        fc.property(nearlyNames, (input) => {
          const decoded = decode(input)
          const validated = validate(input)
          expect(Result.isSuccess(decoded)).toBe(Result.isSuccess(validated))
          if (Result.isFailure(decoded) && Result.isFailure(validated)) expect(decoded.failure.message).toContain(validated.failure.reason)
        }),
        { numRuns: 2000 }
      )
    })
  }

  it("refuses a pool named like a vdev type, as zpool would", () => {
    const refused = Schema.decodeUnknownResult(PoolName)("mirror")
    expect(Result.isFailure(refused) && refused.failure.message).toBe(
      `invalid pool name "mirror": 'mirror' is reserved by zpool; expected a ZFS pool name, e.g. tank`
    )
    const dataset = Schema.decodeUnknownResult(DatasetName)("raidz2/photos")
    expect(Result.isFailure(dataset) && dataset.failure.message).toContain("its pool part: 'raidz2' is reserved by zpool")
  })
})
