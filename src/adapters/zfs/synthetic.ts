/**
 * A realistic `zpool status -j --json-int` document for one pool of `disks`
 * disks in raidz2 vdevs of `width`, for benchmarks and fuzzing: the same
 * shape as the hand-written fixtures, at any size.
 */
export const syntheticStatusJson = (disks: number, options: { readonly width?: number; readonly pool?: string } = {}): string => {
  const width = options.width ?? 10
  const pool = options.pool ?? "tank"
  const vdevs: Record<string, unknown> = {}
  for (let v = 0; v * width < disks; v++) {
    const leaves: Record<string, unknown> = {}
    for (let d = v * width; d < Math.min(disks, (v + 1) * width); d++) {
      const name = `scsi-35000c500a1b2${String(d).padStart(4, "0")}`
      leaves[name] = {
        name,
        vdev_type: "disk",
        guid: 1_000_000 + d,
        path: `/dev/disk/by-id/${name}-part1`,
        class: "normal",
        state: "ONLINE",
        rep_dev_size: 17_998_054_244_352,
        phys_space: 18_000_207_937_536,
        read_errors: 0,
        write_errors: 0,
        checksum_errors: d % 37 === 5 ? 2 : 0,
        slow_ios: 0
      }
    }
    vdevs[`raidz2-${v}`] = {
      name: `raidz2-${v}`,
      vdev_type: "raidz",
      nparity: 2,
      guid: 2_000 + v,
      class: "normal",
      state: "ONLINE",
      alloc_space: 90_000_000_000_000,
      total_space: 179_980_542_443_520,
      def_space: 143_984_433_954_816,
      read_errors: 0,
      write_errors: 0,
      checksum_errors: 0,
      vdevs: leaves
    }
  }
  return JSON.stringify({
    output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 },
    pools: {
      [pool]: {
        name: pool,
        state: "ONLINE",
        pool_guid: 42,
        txg: 123456,
        spa_version: 5000,
        zpl_version: 5,
        scan_stats: {
          function: "SCRUB",
          state: "SCANNING",
          start_time: 1_795_300_000,
          end_time: 0,
          to_examine: 900_000_000_000_000,
          examined: 300_000_000_000_000,
          skipped: 0,
          processed: 0,
          errors: 0,
          scrub_pause: 0,
          issued: 250_000_000_000_000
        },
        vdevs: {
          [pool]: { name: pool, vdev_type: "root", guid: 42, class: "normal", state: "ONLINE", read_errors: 0, write_errors: 0, checksum_errors: 0, vdevs }
        },
        error_count: 0
      }
    }
  })
}
