/**
 * `lsblk -J -b -O` over util-linux versions: before 2.37 a device has one
 * `mountpoint`, after it `mountpoints` (with `[null]` for none); older
 * versions print every value as a string ("4000787030016", "1"); `path`
 * appeared in 2.33. Unknown keys are ignored, vendor padding is trimmed.
 */
import type { Result } from "effect"
import type { DecodeError } from "../command/DecodeError.ts"
import { array, boolean, decodeJson, fail, join, number, object, optionalString } from "../command/json.ts"
import type { BlockDevice } from "./Disks.ts"

const text = (value: unknown, path: string): string | undefined => {
  const s = optionalString(value, path)?.trim()
  return s === undefined || s === "" ? undefined : s
}

const flag = (value: unknown, path: string): boolean => (value === undefined || value === null ? false : boolean(value, path))

const device = (value: unknown, at: string): BlockDevice => {
  const d = object(value, at)
  const name = text(d.name, join(at, "name")) ?? text(d.kname, join(at, "kname"))
  if (name === undefined) return fail(join(at, "name"), "a device without a name")
  const mountpoints = d.mountpoints === undefined || d.mountpoints === null
    ? [text(d.mountpoint, join(at, "mountpoint"))]
    : array(d.mountpoints, join(at, "mountpoints")).map((m, i) => text(m, join(join(at, "mountpoints"), i)))
  return {
    name,
    path: text(d.path, join(at, "path")) ?? `/dev/${name}`,
    type: text(d.type, join(at, "type")) ?? "unknown",
    sizeBytes: d.size === undefined || d.size === null ? 0 : number(d.size, join(at, "size")),
    rotational: d.rota === undefined || d.rota === null ? undefined : boolean(d.rota, join(at, "rota")),
    transport: text(d.tran, join(at, "tran")),
    model: text(d.model, join(at, "model")),
    serial: text(d.serial, join(at, "serial")),
    wwn: text(d.wwn, join(at, "wwn")),
    fstype: text(d.fstype, join(at, "fstype")),
    label: text(d.label, join(at, "label")),
    uuid: text(d.uuid, join(at, "uuid")),
    mountpoints: mountpoints.filter((m): m is string => m !== undefined),
    removable: flag(d.rm, join(at, "rm")) || flag(d.hotplug, join(at, "hotplug")),
    readOnly: flag(d.ro, join(at, "ro")),
    children: d.children === undefined || d.children === null
      ? []
      : array(d.children, join(at, "children")).map((child, i) => device(child, join(join(at, "children"), i)))
  }
}

export const parseLsblk = (json: string): Result.Result<ReadonlyArray<BlockDevice>, DecodeError> =>
  decodeJson("lsblk -J -b -O", json, (value) => {
    const root = object(value, "")
    return array(root.blockdevices, "blockdevices").map((d, i) => device(d, join("blockdevices", i)))
  })
