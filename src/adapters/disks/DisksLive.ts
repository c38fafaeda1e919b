/** The Disks port over `lsblk -J -b -O`, run through the CommandRunner. */
import { Effect, Layer } from "effect"
import { CommandRunner, requireSuccess } from "../command/Command.ts"
import { Disks, DisksError } from "./Disks.ts"
import { parseLsblk } from "./parse.ts"

export const make = (runner: CommandRunner["Service"]): Disks["Service"] =>
  Disks.of({
    list: runner.run("lsblk", ["-J", "-b", "-O"], { timeoutMs: 15_000 }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new DisksError({ reason: "lsblk is not installed (util-linux)" }))),
      Effect.flatMap(requireSuccess),
      Effect.flatMap((output) => Effect.fromResult(parseLsblk(output.stdout)))
    )
  })

export const layer: Layer.Layer<Disks, never, CommandRunner> = Layer.effect(Disks, Effect.map(CommandRunner, make))
