/** Disks for tests: the device tree given, which a test may replace between calls. */
import { Effect, Layer } from "effect"
import { type BlockDevice, Disks } from "./Disks.ts"

export interface DisksModel {
  devices: ReadonlyArray<BlockDevice>
}

export const make = (model: DisksModel): Disks["Service"] => Disks.of({ list: Effect.sync(() => model.devices) })

export const layer = (model: DisksModel): Layer.Layer<Disks> => Layer.succeed(Disks, make(model))
