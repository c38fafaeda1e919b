/**
 * Smart for tests: reports by device, which a test replaces between calls to
 * play a disk's life day by day; a device with no report is unreadable, as
 * smartctl says of a device it cannot open.
 */
import { Effect, Layer } from "effect"
import { type ScannedDevice, Smart, type SmartError, type SmartReport, SmartUnreadable } from "./Smart.ts"

export interface SmartModel {
  readonly reports: Map<string, SmartReport | SmartError>
  /** What --scan-open finds; by default every device with a report. */
  scan?: ReadonlyArray<ScannedDevice>
}

export const make = (model: SmartModel): Smart["Service"] =>
  Smart.of({
    scan: Effect.sync(() =>
      model.scan ?? [...model.reports.keys()].map((name) => ({ name, type: "sat", protocol: "ATA" }))
    ),
    read: (device) =>
      Effect.suspend(() => {
        const found = model.reports.get(device) ?? model.reports.get(`/dev/${device}`)
        if (found === undefined) return Effect.fail(new SmartUnreadable({ device, reason: `Smartctl open device: ${device} failed: No such device` }))
        return "_tag" in found ? Effect.fail(found) : Effect.succeed(found)
      })
  })

export const layer = (model: SmartModel): Layer.Layer<Smart> => Layer.succeed(Smart, make(model))
