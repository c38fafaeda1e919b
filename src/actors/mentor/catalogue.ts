/**
 * MENTOR's catalogue: for every finding code an agent can raise (each agent's
 * `codes.ts`) and for the tools' own catalogues (zpool's ZFS-8000 ids, SMART
 * and NVMe health), what it means in plain words, how urgent it is, and the
 * steps that resolve it. Each step's command is an exact argument vector (a
 * tool, or a `sigmavault ask` line) marked safe (reads, or cannot lose data),
 * confirm (changes the system; think first) or destructive (loses data or
 * rewinds a pool). Placeholders in braces ({pool}, {device}) are filled from
 * the finding's subject when MENTOR knows it. Pure data: no agent's code is
 * imported (MENTOR's coverage test checks the codes against theirs).
 */

export type StepClass = "safe" | "confirm" | "destructive"
export type Urgency = "info" | "warning" | "critical"

export interface Step {
  readonly text: string
  readonly class: StepClass
  /** An argument vector, never a shell line; `{placeholder}`s are filled from the subject. */
  readonly command?: ReadonlyArray<string>
}

export interface Entry {
  readonly code: string
  /** The agent that raises it (lower case), or "zfs" / "smart" for the tools' own catalogues. */
  readonly source: string
  readonly title: string
  /** What it means, in plain words for a NAS owner. */
  readonly meaning: string
  readonly urgency: Urgency
  /** "now", "today", "this week", "when convenient", "nothing to do". */
  readonly actWithin: string
  readonly steps: ReadonlyArray<Step>
  /** Other names the same finding goes by (ORACLE's evidence code, FORTRESS's own code, "SMART 197"). */
  readonly aliases?: ReadonlyArray<string>
  /** The upstream page, when there is one. */
  readonly see?: string
}

const step = (klass: StepClass) => (text: string, ...command: ReadonlyArray<string>): Step =>
  command.length === 0 ? { text, class: klass } : { text, class: klass, command }
const safe = step("safe")
const confirm = step("confirm")
const destructive = step("destructive")
/** A `sigmavault ask` line: the message as the CLI takes it. */
const ask = (klass: StepClass, text: string, agent: string, message: Readonly<Record<string, unknown>>): Step => ({
  text,
  class: klass,
  command: ["sigmavault", "ask", agent, JSON.stringify(message)]
})

const entry = (
  code: string,
  source: string,
  title: string,
  meaning: string,
  urgency: Urgency,
  actWithin: string,
  steps: ReadonlyArray<Step>,
  extra: { readonly aliases?: ReadonlyArray<string>; readonly see?: string } = {}
): Entry => ({ code, source, title, meaning, urgency, actWithin, steps, ...extra })

const zfsDoc = (id: string) => ({ see: `https://openzfs.github.io/openzfs-docs/msg/${id}` })

// Steps several entries share.
const poolStatus = safe("see what zpool says about the pool, device by device", "zpool", "status", "-v", "{pool}")
const latticeHealth = ask("safe", "ask LATTICE for the pool's health (state, errors, problem devices)", "LATTICE", { type: "health", pool: "{pool}" })
const oracleAssess = ask("safe", "ask ORACLE how the disk's SMART health looks (risk, evidence)", "ORACLE", { type: "assess", device: "{device}" })
const smartAll = safe("read the disk's full SMART report", "smartctl", "-x", "{device}")
const smartLong = safe("run the disk's long self-test (hours; the disk stays usable), then read its result with smartctl -l selftest", "smartctl", "-t", "long", "{device}")
const scrubStart = ask("confirm", "scrub the pool: ZFS reads everything and repairs what it can from redundancy (heavy I/O for hours)", "LATTICE", { type: "scrub", pool: "{pool}", action: "start" })
const replaceDisk = confirm("replace the device with a new disk ({new-device}): ZFS resilvers onto it", "zpool", "replace", "{pool}", "{device}", "{new-device}")
const backupFirst = safe("make sure your backups are current before touching the pool (HELIX snapshots and replication)")
const restoreFromBackup = destructive("if nothing brings the pool back: destroy it, create it again and restore from backup (everything on it is lost)", "zpool", "destroy", "{pool}")

// ------------------------------------------------------------------ ZFS-8000 (zpool's own ids)

const zfs: ReadonlyArray<Entry> = [
  entry("ZFS-8000-14", "zfs", "the ZFS cache file is corrupt",
    "The file that lists which pools to open at boot is damaged, so pools were not opened. The data on the disks is not affected.",
    "critical", "today", [
      safe("list the pools the disks hold that can be imported", "zpool", "import"),
      confirm("import the pool again (this rewrites the cache file)", "zpool", "import", "{pool}"),
      safe("if the pool is not found, search the disks by their stable names", "zpool", "import", "-d", "/dev/disk/by-id")
    ], zfsDoc("ZFS-8000-14")),
  entry("ZFS-8000-2Q", "zfs", "a device is missing; the pool still has redundancy",
    "One disk of the pool could not be opened (unplugged, dead, or renamed). The pool keeps working from the other copies, but it has less protection: one more failure may lose data.",
    "warning", "this week", [
      poolStatus,
      safe("check the cable and power of the missing disk, and whether the system still sees it", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"),
      confirm("if the disk is back, bring it online (ZFS resilvers what it missed)", "zpool", "online", "{pool}", "{device}"),
      replaceDisk
    ], zfsDoc("ZFS-8000-2Q")),
  entry("ZFS-8000-3C", "zfs", "a device is missing from a pool without redundancy",
    "A disk the pool cannot do without could not be opened, and there is no other copy: the pool is unavailable until that disk comes back.",
    "critical", "now", [
      poolStatus,
      safe("reconnect the disk (cable, power, enclosure), then check that the system sees it", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"),
      confirm("once the disk is back, clear the pool's errors so it resumes", "zpool", "clear", "{pool}"),
      restoreFromBackup
    ], zfsDoc("ZFS-8000-3C")),
  entry("ZFS-8000-4J", "zfs", "a device's label is corrupt; the pool still has redundancy",
    "A disk of the pool has a damaged ZFS label, so ZFS no longer trusts it. The pool works from the other copies, with less protection.",
    "warning", "this week", [poolStatus, oracleAssess, confirm("replace the device (the same disk, re-used, or a new one): ZFS resilvers onto it", "zpool", "replace", "{pool}", "{device}")],
    zfsDoc("ZFS-8000-4J")),
  entry("ZFS-8000-5E", "zfs", "a device's label is corrupt in a pool without redundancy",
    "A disk the pool cannot do without has a damaged ZFS label and there is no other copy: the pool cannot be used and its data must come from backup.",
    "critical", "now", [poolStatus, restoreFromBackup], zfsDoc("ZFS-8000-5E")),
  entry("ZFS-8000-6X", "zfs", "a whole top-level device of the pool is missing",
    "A whole part of the pool (a mirror, a raidz group) is missing, so the pool cannot be imported.",
    "critical", "now", [
      safe("attach every disk of the pool, then look for it again", "zpool", "import", "-d", "/dev/disk/by-id"),
      restoreFromBackup
    ], zfsDoc("ZFS-8000-6X")),
  entry("ZFS-8000-72", "zfs", "the pool's metadata is corrupt",
    "ZFS's own bookkeeping of the pool is damaged and the pool cannot be opened. ZFS may be able to go back a few seconds to an intact state, losing the last writes.",
    "critical", "now", [
      safe("ask ZFS whether going back to an earlier state would work, without doing it", "zpool", "clear", "-Fn", "{pool}"),
      destructive("go back to the last intact state (the last seconds of writes are lost)", "zpool", "clear", "-F", "{pool}"),
      scrubStart,
      restoreFromBackup
    ], zfsDoc("ZFS-8000-72")),
  entry("ZFS-8000-8A", "zfs", "files have permanent errors",
    "Some files (or ZFS's own metadata) are damaged and there is no good copy left to repair them from. Everything else is fine; those files must come from backup.",
    "critical", "today", [
      safe("list the damaged files", "zpool", "status", "-v", "{pool}"),
      destructive("restore each listed file from backup (or a snapshot from before the damage), replacing the damaged one"),
      confirm("then clear the error list", "zpool", "clear", "{pool}"),
      scrubStart
    ], zfsDoc("ZFS-8000-8A")),
  entry("ZFS-8000-9P", "zfs", "a device had errors that ZFS repaired",
    "A disk returned read, write or checksum errors. ZFS repaired them from the other copies, so no data is lost and nothing you use was affected. It may be a one-off (a loose cable) or the start of a failing disk.",
    "warning", "this week", [
      poolStatus,
      oracleAssess,
      smartLong,
      confirm("if the disk looks healthy (a cable, a one-off), reset its error counters and watch", "zpool", "clear", "{pool}", "{device}"),
      replaceDisk
    ], zfsDoc("ZFS-8000-9P")),
  entry("ZFS-8000-A5", "zfs", "the pool is newer than this ZFS",
    "The pool was created or upgraded by a newer ZFS than the one installed, which cannot use it.",
    "warning", "when convenient", [
      safe("see which pool versions and features this ZFS supports", "zpool", "upgrade", "-v"),
      confirm("upgrade ZFS on this system (through VANGUARD or apt), then import the pool")
    ], zfsDoc("ZFS-8000-A5")),
  entry("ZFS-8000-EY", "zfs", "the pool was last used by another system",
    "The pool was not exported from the system that used it last (or that system still uses it). Importing a pool on two systems at once destroys it.",
    "warning", "today", [
      safe("export the pool on the other system first, if it is still running there"),
      destructive("only when you are sure no other system uses it: force the import", "zpool", "import", "-f", "{pool}"),
      confirm("give this system a host id of its own, if it has none", "zgenhostid")
    ], zfsDoc("ZFS-8000-EY")),
  entry("ZFS-8000-HC", "zfs", "the pool is suspended by I/O failures (all I/O waits)",
    "The disks stopped answering, and ZFS has paused all reading and writing to the pool until they do (failmode=wait). Programs using it hang.",
    "critical", "now", [
      safe("check that the disks are connected and seen by the system", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"),
      confirm("once they are back, let the pool resume", "zpool", "clear", "{pool}"),
      confirm("if I/O still hangs, reboot the NAS", "systemctl", "reboot")
    ], zfsDoc("ZFS-8000-HC")),
  entry("ZFS-8000-JQ", "zfs", "the pool is suspended by I/O failures (writes fail)",
    "The disks stopped answering; ZFS still reads what it can but refuses writes (failmode=continue).",
    "critical", "now", [
      safe("check that the disks are connected and seen by the system", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"),
      confirm("once they are back, let the pool resume", "zpool", "clear", "{pool}")
    ], zfsDoc("ZFS-8000-JQ")),
  entry("ZFS-8000-MM", "zfs", "the pool is suspended: multihost writes failed",
    "The pool uses multihost protection (MMP) and its heartbeat writes failed or were late, so another system could import it unnoticed; ZFS suspended it to be safe.",
    "critical", "now", [
      safe("check the disks' connections", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"),
      confirm("when the disks answer again, let the pool resume", "zpool", "clear", "{pool}")
    ]),
  entry("ZFS-8000-K4", "zfs", "the pool's intent log could not be read",
    "The separate log device (SLOG) that holds the last few seconds of synchronous writes could not be read. The pool waits for you to choose: bring the log back, or drop those writes.",
    "critical", "today", [
      confirm("reconnect the log device and bring it online, keeping the writes", "zpool", "online", "{pool}", "{device}"),
      destructive("or give up the unreplayed writes (at most a few seconds) and resume", "zpool", "clear", "{pool}"),
      confirm("replace a failed log device; consider a mirrored log", "zpool", "replace", "{pool}", "{device}", "{new-device}")
    ], zfsDoc("ZFS-8000-K4")),
  entry("ZFS-8000-ER", "zfs", "the pool is affected by a known ZFS erratum",
    "The pool was written by a ZFS release with a known bug; zpool status names the erratum and what to do. Most are fixed by a scrub.",
    "warning", "this week", [poolStatus, scrubStart], zfsDoc("ZFS-8000-ER"))
]

// ------------------------------------------------------------------ LATTICE

const poolState = (state: string, urgency: Urgency, actWithin: string, meaning: string, steps: ReadonlyArray<Step>) =>
  entry(`LATTICE-POOL-${state}`, "lattice", `the pool is ${state}`, meaning, urgency, actWithin, steps)
const vdevState = (state: string, urgency: Urgency, actWithin: string, meaning: string, steps: ReadonlyArray<Step>) =>
  entry(`LATTICE-VDEV-${state}`, "lattice", `a device of the pool is ${state}`, meaning, urgency, actWithin, steps)

const lattice: ReadonlyArray<Entry> = [
  poolState("ONLINE", "info", "nothing to do", "The pool is healthy again: every device works and redundancy is whole.", [latticeHealth]),
  poolState("DEGRADED", "warning", "this week",
    "The pool works, but a device failed or is missing, so it has less protection than it should. Another failure could lose data.",
    [latticeHealth, poolStatus, oracleAssess, replaceDisk]),
  poolState("FAULTED", "critical", "now", "The pool cannot be used: too many of its devices failed.", [poolStatus, backupFirst, restoreFromBackup]),
  poolState("OFFLINE", "warning", "today", "The pool is offline: nothing on it can be used until it is imported again.", [poolStatus, confirm("import the pool again", "zpool", "import", "{pool}")]),
  poolState("UNAVAIL", "critical", "now", "The pool's devices cannot be opened, so the pool cannot be used.",
    [poolStatus, safe("check the disks' connections", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"), confirm("once they are back, clear the errors", "zpool", "clear", "{pool}")]),
  poolState("REMOVED", "critical", "now", "The pool's devices were physically removed.",
    [safe("reconnect the disks, then check them", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"), poolStatus]),
  poolState("SUSPENDED", "critical", "now", "ZFS stopped all I/O to the pool after I/O failures; programs using it wait or fail.",
    [safe("check the disks' connections", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"), confirm("once they answer, let the pool resume", "zpool", "clear", "{pool}")]),
  entry("LATTICE-POOL-UNKNOWN", "lattice", "the pool is in a state LATTICE does not know",
    "zpool reported a pool state this release of SigmaVault does not know; zpool status says what it is.", "warning", "today", [poolStatus]),
  entry("LATTICE-POOL-GONE", "lattice", "a pool is no longer imported",
    "A pool LATTICE was watching has disappeared: it was exported, destroyed, or its disks vanished.", "warning", "today",
    [safe("list the pools that can be imported", "zpool", "import"), confirm("import it again if it should be here", "zpool", "import", "{pool}")]),
  vdevState("ONLINE", "info", "nothing to do", "The device works again.", [latticeHealth]),
  vdevState("DEGRADED", "warning", "this week", "The device (or the group it belongs to) had too many errors, or a member of it is missing; ZFS still uses it.",
    [poolStatus, oracleAssess, replaceDisk]),
  vdevState("FAULTED", "warning", "today", "ZFS stopped using the device after too many errors. The pool relies on its redundancy until the device is replaced.",
    [poolStatus, oracleAssess, replaceDisk, confirm("if the errors had a passing cause (a cable), mark the device repaired", "zpool", "clear", "{pool}", "{device}")]),
  vdevState("OFFLINE", "info", "when convenient", "Someone took the device offline on purpose; the pool runs with less redundancy until it is back.",
    [confirm("bring it back online when it should be", "zpool", "online", "{pool}", "{device}")]),
  vdevState("UNAVAIL", "warning", "today", "The device cannot be opened: unplugged, dead or renamed.",
    [safe("check whether the system sees the disk", "lsblk", "-o", "NAME,SIZE,MODEL,SERIAL"), confirm("bring it online once it is back", "zpool", "online", "{pool}", "{device}"), replaceDisk]),
  vdevState("REMOVED", "warning", "today", "The device was physically removed while the system ran.",
    [confirm("plug it back in and bring it online", "zpool", "online", "{pool}", "{device}"), replaceDisk]),
  vdevState("SPLIT", "info", "nothing to do", "The device was split off into a pool of its own (zpool split).", [poolStatus]),
  entry("LATTICE-VDEV-UNKNOWN", "lattice", "a device is in a state LATTICE does not know",
    "zpool reported a device state this release of SigmaVault does not know.", "warning", "today", [poolStatus]),
  entry("LATTICE-VDEV-ERRORS", "lattice", "a device's error counters rose",
    "A disk returned read, write or checksum errors. In a pool with redundancy ZFS repaired them; a rising count means the disk, its cable or its controller is in trouble.",
    "warning", "this week", [poolStatus, oracleAssess, smartLong,
      confirm("if it was a one-off (a cable you reseated), reset the counters and watch", "zpool", "clear", "{pool}", "{device}"), replaceDisk],
    { aliases: ["ZPOOL-DEVICE-ERRORS"] }),
  entry("LATTICE-CAPACITY-WARN", "lattice", "the pool is filling up",
    "The pool passed its warning level of used space (80 % by default). ZFS slows down as a pool fills.", "info", "this month",
    [ask("safe", "see when AXIOM expects it to be full", "AXIOM", { type: "forecast", pool: "{pool}" }),
      ask("safe", "see which datasets use the space", "LATTICE", { type: "datasets", root: "{pool}" }),
      ask("safe", "see how much space the snapshots hold", "HELIX", { type: "snapshots", dataset: "{pool}", recursive: true })]),
  entry("LATTICE-CAPACITY-HIGH", "lattice", "the pool is nearly full",
    "The pool passed its high level of used space (90 % by default): writes get slower and space must be freed or added soon.", "warning", "this week",
    [ask("safe", "see when AXIOM expects it to be full", "AXIOM", { type: "forecast", pool: "{pool}" }),
      ask("safe", "see which datasets use the space", "LATTICE", { type: "datasets", root: "{pool}" }),
      ask("confirm", "prune snapshots retention no longer needs (a dry run first; confirm to destroy them)", "HELIX", { type: "prune" })]),
  entry("LATTICE-CAPACITY-CRITICAL", "lattice", "the pool is full or almost",
    "The pool passed its critical level (95 % by default). When it is full, writes fail and even deleting files can fail.", "critical", "today",
    [ask("safe", "see which datasets use the space", "LATTICE", { type: "datasets", root: "{pool}" }),
      ask("confirm", "prune snapshots retention no longer needs (a dry run first)", "HELIX", { type: "prune" }),
      confirm("add capacity: a new vdev as redundant as the others (a lone disk added to a mirrored or raidz pool is a single point of failure, and zpool add cannot be undone on raidz pools), or larger disks one at a time", "zpool", "add", "{pool}", "{new-device}")]),
  entry("LATTICE-CAPACITY-OK", "lattice", "the pool's used space fell below a level",
    "The pool is back under a capacity level.", "info", "nothing to do", [latticeHealth]),
  entry("LATTICE-SCRUB-CLEAN", "lattice", "a scrub finished without errors",
    "ZFS read every block of the pool and found nothing wrong.", "info", "nothing to do", [latticeHealth]),
  entry("LATTICE-SCRUB-ERRORS", "lattice", "a scrub finished with errors",
    "The scrub found damaged blocks. Those with a good copy were repaired; any without one are listed as permanent errors.", "warning", "this week",
    [safe("see what was repaired and any damaged files", "zpool", "status", "-v", "{pool}"), oracleAssess]),
  entry("LATTICE-RESILVER-DONE", "lattice", "a resilver finished without errors",
    "A replaced or returning disk has been filled with its data again; the pool's redundancy is whole.", "info", "nothing to do", [latticeHealth]),
  entry("LATTICE-RESILVER-ERRORS", "lattice", "a resilver finished with errors",
    "The resilver onto a disk met errors; some data may lack a good copy.", "warning", "today",
    [safe("see what was damaged", "zpool", "status", "-v", "{pool}"), oracleAssess])
]

// ------------------------------------------------------------------ SMART / NVMe (ORACLE's evidence)

const replaceSoon = confirm("replace the disk soon: put the new disk in and let ZFS resilver onto it", "zpool", "replace", "{pool}", "{device}", "{new-device}")
const smart = (code: string, aliases: ReadonlyArray<string>, title: string, meaning: string, urgency: Urgency, actWithin: string, steps: ReadonlyArray<Step>) =>
  entry(code, "smart", title, meaning, urgency, actWithin, steps, { aliases })

const smartEntries: ReadonlyArray<Entry> = [
  smart("SMART-FAILED", ["smart-failed"], "the drive's own health check says FAILED",
    "The drive itself predicts it will fail soon. Treat every byte on it as at risk.", "critical", "now",
    [backupFirst, smartAll, replaceSoon]),
  smart("SMART-PREFAIL", ["prefail-threshold"], "a pre-fail SMART attribute reached its threshold",
    "One of the values the maker uses to predict failure has crossed its limit: the drive predicts its own failure.", "critical", "now",
    [backupFirst, smartAll, replaceSoon]),
  smart("SMART-FAILED-IN-PAST", ["failed-in-past"], "a SMART attribute fell to its threshold in the past",
    "At some point a SMART value reached its failure limit, and it has since recovered. Worth watching, not an emergency.", "info", "this month",
    [smartAll, smartLong]),
  smart("SMART-SELFTEST-FAILED", ["self-test-failed"], "the drive's last self-test failed",
    "The drive tested itself and found a part it could not read or that did not work.", "warning", "this week",
    [safe("see which test failed and where", "smartctl", "-l", "selftest", "{device}"), oracleAssess, replaceSoon]),
  smart("SMART-5", ["reallocated", "SMART 5", "Reallocated_Sector_Ct"], "reallocated sectors (SMART 5)",
    "The drive moved some sectors it could not use to spare ones. A small count that stays put is common; a growing one is a disk wearing out.", "info", "this month",
    [oracleAssess, smartLong]),
  smart("SMART-5-RISING", ["reallocated-growth"], "reallocated sectors (SMART 5) are rising",
    "The drive keeps finding bad sectors and moving them. It is one of the best predictors of a disk about to fail.", "warning", "this week",
    [backupFirst, oracleAssess, replaceSoon]),
  smart("SMART-197", ["pending", "SMART 197", "Current_Pending_Sector"], "sectors pending reallocation (SMART 197)",
    "Some sectors could not be read and wait to be rewritten. Disks with pending sectors are much likelier to fail in the following weeks. A scrub rewrites them from the pool's redundancy.", "warning", "this week",
    [scrubStart, smartLong, oracleAssess]),
  smart("SMART-197-RISING", ["pending-growth"], "sectors pending reallocation (SMART 197) are rising",
    "More and more sectors cannot be read: the disk is failing.", "critical", "today",
    [backupFirst, scrubStart, replaceSoon]),
  smart("SMART-198", ["offlineUncorrectable", "SMART 198", "Offline_Uncorrectable"], "offline uncorrectable sectors (SMART 198)",
    "The drive's own background scan found sectors it cannot read. Like pending sectors, a sign of a disk at risk.", "warning", "this week",
    [scrubStart, smartLong, oracleAssess]),
  smart("SMART-198-RISING", ["offlineUncorrectable-growth"], "offline uncorrectable sectors (SMART 198) are rising",
    "The number of unreadable sectors keeps growing: the disk is failing.", "critical", "today", [backupFirst, replaceSoon]),
  smart("SMART-187", ["reportedUncorrect", "SMART 187", "Reported_Uncorrect"], "reported uncorrectable errors (SMART 187)",
    "The drive could not correct some reads with its own error correction. ZFS repairs such reads from redundancy; check the pool's checksum errors for this disk.", "warning", "this week",
    [oracleAssess, safe("see whether ZFS counted errors on this disk", "zpool", "status", "-v"), smartLong]),
  smart("SMART-187-RISING", ["reportedUncorrect-growth"], "reported uncorrectable errors (SMART 187) are rising",
    "Uncorrectable reads keep happening: the disk is getting worse.", "critical", "today", [backupFirst, replaceSoon]),
  smart("SMART-188", ["commandTimeout", "SMART 188", "Command_Timeout"], "command timeouts (SMART 188)",
    "Commands to the drive timed out: often power or cabling, sometimes a failing drive.", "info", "this month",
    [safe("reseat or replace the data and power cables of the disk"), oracleAssess]),
  smart("SMART-188-RISING", ["commandTimeout-growth"], "command timeouts (SMART 188) are rising",
    "Timeouts keep happening. Check power and cabling; if they go on with other errors, replace the disk.", "warning", "this week",
    [safe("reseat or replace the data and power cables, check the power supply"), oracleAssess]),
  smart("SMART-199", ["crc", "SMART 199", "UDMA_CRC_Error_Count"], "interface CRC errors (SMART 199) are rising",
    "Data was corrupted on the way between the disk and the computer: a cable, a backplane or a port, not the disk's surface. The counter never resets; only growth matters.", "warning", "this week",
    [safe("reseat or replace the SATA cable, or move the disk to another port"), oracleAssess]),
  smart("DISK-TEMPERATURE", ["temperature", "SMART 194", "Temperature_Celsius"], "the disk runs hot",
    "The disk is at 55 °C or more. Heat shortens a disk's life; above 65 °C for long it matters.", "warning", "this week",
    [safe("check the fans, the airflow and the dust filters; keep the NAS away from heat"), oracleAssess]),
  smart("NVME-MEDIA-ERRORS", ["mediaErrors"], "NVMe media errors",
    "The NVMe drive met data-integrity errors it could not recover.", "warning", "this week",
    [safe("read the drive's health log", "smartctl", "-a", "{device}"), oracleAssess]),
  smart("NVME-MEDIA-ERRORS-RISING", ["mediaErrors-growth"], "NVMe media errors are rising",
    "Unrecovered errors keep happening on the NVMe drive: it is failing.", "critical", "today", [backupFirst, replaceSoon]),
  smart("SCSI-GROWN-DEFECTS", ["grownDefects"], "grown defects on a SCSI/SAS disk",
    "The SAS disk added sectors to its list of defects since it left the factory (like reallocated sectors).", "info", "this month",
    [oracleAssess, smartLong]),
  smart("SCSI-GROWN-DEFECTS-RISING", ["grownDefects-growth"], "grown defects on a SCSI/SAS disk are rising",
    "The list of defects keeps growing: the disk is wearing out.", "warning", "this week", [backupFirst, replaceSoon]),
  smart("SCSI-UNCORRECTED", ["scsiUncorrected"], "uncorrected SCSI read/write errors",
    "The SAS disk could not correct some reads or writes.", "warning", "this week", [oracleAssess, smartLong]),
  smart("SCSI-UNCORRECTED-RISING", ["scsiUncorrected-growth"], "uncorrected SCSI read/write errors are rising",
    "Uncorrected errors keep happening: the disk is failing.", "critical", "today", [backupFirst, replaceSoon]),
  smart("NVME-WARNING-1", ["nvme-warning-1"], "NVMe: available spare below its threshold",
    "The NVMe drive has used up its spare blocks: it is at the end of its life.", "critical", "now", [backupFirst, replaceSoon]),
  smart("NVME-WARNING-2", ["nvme-warning-2"], "NVMe: temperature outside its limits",
    "The NVMe drive is too hot (or too cold). It may slow itself down to cool.", "warning", "today",
    [safe("add cooling: a heatsink on the drive, airflow over it"), safe("read its temperature", "smartctl", "-a", "{device}")]),
  smart("NVME-WARNING-4", ["nvme-warning-4"], "NVMe: reliability degraded",
    "The NVMe drive reports its reliability is degraded by media or internal errors.", "critical", "now", [backupFirst, replaceSoon]),
  smart("NVME-WARNING-8", ["nvme-warning-8"], "NVMe: the drive went read-only",
    "The NVMe drive protects its data by refusing writes: it is at the end of its life. ZFS cannot write to it any more.", "critical", "now",
    [backupFirst, replaceSoon]),
  smart("NVME-WARNING-16", ["nvme-warning-16"], "NVMe: volatile memory backup failed",
    "The drive's power-loss protection failed: a power cut could lose recently written data. Do not use it as a log device (SLOG).", "warning", "this week",
    [safe("read the drive's health log", "smartctl", "-a", "{device}"), replaceSoon]),
  smart("NVME-WARNING-32", ["nvme-warning-32"], "NVMe: persistent memory region read-only",
    "The drive's persistent memory region became read-only or unreliable.", "critical", "now", [backupFirst, replaceSoon]),
  smart("NVME-SPARE", ["nvme-spare"], "NVMe available spare below its threshold",
    "The NVMe drive has almost no spare blocks left to replace worn ones: it is at the end of its life.", "critical", "now", [backupFirst, replaceSoon]),
  smart("NVME-WEAR", ["nvme-wear"], "NVMe drive near or past its rated endurance",
    "The drive has used 90 % or more of the writes it is rated for. Not a failure by itself; plan its replacement.", "warning", "this month",
    [safe("read its percentage used", "smartctl", "-a", "{device}"), replaceSoon])
]

const oracle: ReadonlyArray<Entry> = [
  entry("ORACLE-RISK", "oracle", "ORACLE rates a disk at risk",
    "ORACLE weighed the disk's SMART readings and history and rates it at risk; its assessment lists the evidence.", "warning", "this week",
    [oracleAssess, ask("safe", "see the disk's daily history", "ORACLE", { type: "trend", device: "{device}" })]),
  entry("ORACLE-OK", "oracle", "a disk is back to ok",
    "A disk ORACLE alerted about looks healthy again.", "info", "nothing to do", [oracleAssess])
]

// ------------------------------------------------------------------ SENTRY, PHOTON, HELIX, AXIOM, MORPH

const others: ReadonlyArray<Entry> = [
  entry("SENTRY-CPU", "sentry", "the CPU has been busy above its threshold",
    "The processor has been busy for several samples in a row. A scrub, a replication or compression can do that; if nothing like that runs, find out what does.", "info", "when convenient",
    [ask("safe", "see the current utilisation", "SENTRY", { type: "current" }), safe("see which processes use the CPU", "top", "-b", "-n", "1")]),
  entry("SENTRY-MEMORY", "sentry", "memory use has been above its threshold",
    "Memory has been nearly full for several samples. Note the ZFS cache (ARC) gives memory back when programs need it.", "warning", "today",
    [ask("safe", "see the current utilisation", "SENTRY", { type: "current" }), safe("see memory use, and swap", "free", "-m")]),
  entry("SENTRY-LOAD", "sentry", "the load has been above its threshold",
    "More work waits to run than the processors can do, often because it waits for disks.", "info", "when convenient",
    [ask("safe", "see the current utilisation", "SENTRY", { type: "current" }), safe("see what runs", "top", "-b", "-n", "1")]),
  entry("SENTRY-DISK", "sentry", "a disk has been busy above its threshold",
    "A disk has been nearly 100 % busy for several samples: a scrub or resilver, or a slow or failing disk.", "info", "when convenient",
    [ask("safe", "see the current utilisation", "SENTRY", { type: "current" }), ask("safe", "check the disk's health", "ORACLE", { type: "assess" })]),
  entry("PHOTON-LINK-DOWN", "photon", "a network link is down",
    "A network interface lost its link (no cable, switch off), was set down, or disappeared.", "warning", "today",
    [ask("safe", "see the interface's state", "PHOTON", { type: "interface", name: "{interface}" }),
      safe("check the cable and the switch port"),
      confirm("if it was set down on purpose and should be up, bring it up", "ip", "link", "set", "{interface}", "up")]),
  entry("PHOTON-LINK-ERRORS", "photon", "a network link is counting errors",
    "The interface is receiving or sending damaged frames: a bad cable, a bad port, or a duplex mismatch.", "warning", "this week",
    [ask("safe", "see the error counters", "PHOTON", { type: "interface", name: "{interface}" }), safe("replace the cable or try another switch port")]),
  entry("PHOTON-LINK-FLAPPING", "photon", "a network link keeps going down and up",
    "The link keeps dropping and coming back: a loose cable, a failing port, or power saving on the switch.", "warning", "this week",
    [ask("safe", "see the carrier changes", "PHOTON", { type: "alerts" }), safe("reseat or replace the cable; try another switch port")]),
  entry("HELIX-SNAPSHOTS-NONE", "helix", "a dataset has no snapshots of a period",
    "The dataset's snapshot policy says to keep snapshots of this period, and there are none: if a file is lost, there is nothing to go back to.", "critical", "today",
    [ask("safe", "see the dataset's snapshots", "HELIX", { type: "snapshots", dataset: "{dataset}" }),
      ask("confirm", "take the snapshots due now (a dry run first)", "HELIX", { type: "autosnap" }),
      ask("safe", "check that the automatic snapshots are scheduled", "ORBIT", { type: "list" })]),
  entry("HELIX-SNAPSHOTS-OVERDUE", "helix", "a dataset's newest snapshot is far too old",
    "The newest snapshot of this period is older than the critical age: automatic snapshots have stopped.", "critical", "today",
    [ask("safe", "see the dataset's snapshots", "HELIX", { type: "snapshots", dataset: "{dataset}" }),
      ask("safe", "check that the automatic snapshots are scheduled", "ORBIT", { type: "list" }),
      ask("confirm", "take the snapshots due now (a dry run first)", "HELIX", { type: "autosnap" })]),
  entry("HELIX-SNAPSHOTS-STALE", "helix", "a dataset's newest snapshot is older than it should be",
    "The newest snapshot of this period is older than the warning age: a run was missed or failed.", "warning", "this week",
    [ask("safe", "see the dataset's snapshots", "HELIX", { type: "snapshots", dataset: "{dataset}" }),
      ask("safe", "check that the automatic snapshots are scheduled", "ORBIT", { type: "list" })]),
  entry("AXIOM-POOL-FULL", "axiom", "a pool is full",
    "The pool has no free space left: writes fail.", "critical", "now",
    [ask("safe", "see which datasets use the space", "LATTICE", { type: "datasets", root: "{pool}" }),
      ask("confirm", "prune snapshots retention no longer needs (a dry run first)", "HELIX", { type: "prune" })]),
  entry("AXIOM-FULL-SOON", "axiom", "a pool will be full soon",
    "At the rate it has been filling, the pool will be full within days. Free space or add capacity before then.", "warning", "this week",
    [ask("safe", "see the forecast", "AXIOM", { type: "forecast", pool: "{pool}" }),
      ask("safe", "see which datasets use the space", "LATTICE", { type: "datasets", root: "{pool}" })]),
  entry("MORPH-MIGRATION-STOPPED", "morph", "a data migration stopped part way",
    "A copy or move of files stopped (a full disk, a read error). Nothing is lost: its journal knows which files are done, and it can go on or be undone.", "warning", "today",
    [ask("safe", "see the migration and what stopped it", "MORPH", { type: "migrations" }),
      ask("confirm", "go on with it once the cause is fixed", "MORPH", { type: "resume", id: "{migration}" }),
      ask("confirm", "or undo it (a dry run first)", "MORPH", { type: "revert", id: "{migration}" })])
]

// ------------------------------------------------------------------ automation (FLUX, APEX, VANGUARD, SCRIBE)

const ruleState = ask("safe", "see the rule: why it was stopped, its last outcomes and counters", "FLUX", { type: "rule", name: "{rule}" })
const enableRule = ask("confirm", "enable it again once it is fixed (without confirm FLUX answers the plan)", "FLUX", { type: "enable", name: "{rule}" })

const automation: ReadonlyArray<Entry> = [
  entry("FLUX-LOOP", "flux", "an automation rule was stopped: it triggered itself",
    "The rule's action caused an event that triggered the same rule again, directly or through other rules. FLUX stopped it before it could run for ever; the rule's state names the chain.",
    "warning", "this week",
    [ruleState, safe("narrow the rule's trigger (an agent or a code) or its condition so its own action's events no longer match it; remove it and add it again changed"),
      ask("safe", "try the changed rule against the recorded events first: nothing is sent", "FLUX", { type: "test-rule", name: "{rule}" }), enableRule]),
  entry("FLUX-STORM", "flux", "an automation rule was stopped: it fired too often",
    "The rule fired more times within the loop guard's window than flux_loop_max_firings allows. Either what triggers it is happening constantly, or the rule is too broad.",
    "warning", "this week",
    [ruleState, safe("narrow the rule, or raise flux_loop_max_firings / flux_loop_window_seconds in /etc/sigmavault/sigmavault.conf if it is meant to fire that often"), enableRule]),
  entry("FLUX-ACTION-DENIED", "flux", "an automation rule's action was refused: its owner may no longer send it",
    "Rules act on behalf of whoever added them, and that person's rights are checked each time the rule fires. They no longer have the access the action needs (they left a group, or the policy changed), so the action was refused. The rule stays.",
    "warning", "this week",
    [ruleState, safe("give the owner back the role the action needs (see docs/security.md), or remove the rule and add it again as someone who may send the action"),
      ask("confirm", "remove the rule (without confirm FLUX answers the plan)", "FLUX", { type: "remove-rule", name: "{rule}" })]),
  entry("APEX-PLAN-FAILED", "apex", "a plan failed: a task failed or timed out",
    "One of the plan's tasks failed or ran past its timeout. The tasks that depended on it were skipped; the others ran. The plan's record says which task failed and the error it got.",
    "warning", "today",
    [ask("safe", "see each task's state and the failed task's error (sigmavault plan show does the same)", "APEX", { type: "plan", id: "{plan}" }),
      safe("fix what the failed task's error names (a missing dataset, a refused right, a busy disk)"),
      ask("confirm", "run the tasks that did not succeed (without confirm APEX answers what would run)", "APEX", { type: "resume", id: "{plan}" })]),
  entry("APEX-PLAN-INTERRUPTED", "apex", "a plan was interrupted when the daemon stopped",
    "The daemon (or APEX) stopped while the plan was running. Tasks that had not started did not run; whether the task that was running finished its work is unknown. Nothing is re-run on its own.",
    "warning", "today",
    [ask("safe", "see which tasks finished and which was running", "APEX", { type: "plan", id: "{plan}" }),
      safe("check whether the task that was running did its work (ask its agent)"),
      ask("confirm", "run the tasks that had not succeeded (without confirm APEX answers what would run)", "APEX", { type: "resume", id: "{plan}" })]),
  entry("VANGUARD-SECURITY-UPDATES", "vanguard", "security updates are pending",
    "Debian has published fixes for security problems in packages installed on this NAS (an origin labelled Debian-Security, or a suite ending in -security). Until they are installed the NAS stays exposed to what they fix.",
    "warning", "within days",
    [ask("safe", "see which packages, from which versions to which", "VANGUARD", { type: "updates", security: true }),
      ask("confirm", "see the upgrade's plan (apt's own simulation; without confirm nothing is installed), then send it again with \"confirm\":true", "VANGUARD", { type: "upgrade", security: true })]),
  entry("VANGUARD-REBOOT-REQUIRED", "vanguard", "a reboot is needed to finish installed updates",
    "A new kernel or a core library was installed; the running system keeps using the old one until it restarts. The shares are unavailable during the reboot.",
    "warning", "this week",
    [ask("safe", "see why (the reboot-required flag, its packages, the running and the newest installed kernel)", "VANGUARD", { type: "updates" }),
      confirm("reboot in a quiet hour (the shares stop while it restarts)", "systemctl", "reboot")]),
  entry("VANGUARD-REFRESH-FAILED", "vanguard", "the package index could not be refreshed",
    "apt-get update failed, so the list of available packages is getting old and new security updates go unseen. Common causes: no network, a mirror down, a changed Release file, a full disk.",
    "warning", "within days",
    [safe("run the refresh by hand to see apt's own error", "apt-get", "update"),
      ask("safe", "or ask VANGUARD to refresh and report the error", "VANGUARD", { type: "refresh" }),
      confirm("if apt says the Release file changed its suite or codename, and you know why, accept it", "apt-get", "update", "--allow-releaseinfo-change")]),
  entry("SCRIBE-REPORT-MODIFIED", "scribe", "an archived report was changed or removed after it was written",
    "The report's file no longer has the SHA-256 that LEDGER recorded when SCRIBE wrote it, or the file is gone. Something other than SIGMAVAULT wrote to the state directory: treat it as tampering until you know otherwise.",
    "critical", "today",
    [ask("safe", "check the report against LEDGER again", "SCRIBE", { type: "verify-report", id: "{report}" }),
      ask("safe", "check that LEDGER's own chain is intact", "LEDGER", { type: "verify" }),
      safe("see who can write the archive", "ls", "-la", "/var/lib/sigmavault/reports"),
      ask("safe", "write a fresh report", "SCRIBE", { type: "report", kind: "health" })]),
  entry("SCRIBE-REPORT-FAILED", "scribe", "a scheduled report could not be written",
    "SCRIBE built a report but could not archive it (the disk is full, or the reports directory is not writable). The report of that week is missing.",
    "warning", "this week",
    [safe("see how full the state directory's filesystem is", "df", "-h", "/var/lib/sigmavault"),
      ask("safe", "write the report again once the cause is fixed", "SCRIBE", { type: "report", kind: "health" })])
]

// ------------------------------------------------------------------ FORTRESS

const reloadSsh = confirm("check the configuration, then reload sshd", "systemctl", "reload", "ssh")
const sshdTest = safe("check that sshd accepts the configuration before reloading", "sshd", "-t")
const sshd = (code: string, setting: string, urgency: Urgency, title: string, meaning: string) =>
  entry(`FORTRESS-${code.replaceAll("_", "-")}`, "fortress", title, meaning, urgency, urgency === "critical" ? "today" : "this week",
    [confirm(`set \`${setting}\` in /etc/ssh/sshd_config.d/50-sigmavault.conf (a drop-in sshd reads first)`), sshdTest, reloadSsh], { aliases: [code] })
const reloadSmb = confirm("reload Samba's configuration", "smbcontrol", "smbd", "reload-config")
const reexport = confirm("re-export the NFS shares", "exportfs", "-ra")
const audit = ask("safe", "run the security audit again to check the fix", "FORTRESS", { type: "audit" })
const fortress = (code: string, urgency: Urgency, title: string, meaning: string, steps: ReadonlyArray<Step>) =>
  entry(`FORTRESS-${code.replaceAll("_", "-")}`, "fortress", title, meaning, urgency,
    urgency === "critical" ? "today" : urgency === "warning" ? "this week" : "when convenient", [...steps, audit], { aliases: [code] })

const fortressEntries: ReadonlyArray<Entry> = [
  fortress("LISTENER_ALL_INTERFACES", "info", "a service listens on every network interface",
    "A program accepts connections from any network the NAS is on, on a port not listed as expected. If it should only serve this machine or the local network, it is more exposed than needed.",
    [safe("see which program listens on which port", "ss", "-tulnp"), safe("bind it to the addresses it needs, or add the port to audit_allowed_ports if it is meant to be reachable"),
      confirm("or stop and disable it", "systemctl", "disable", "--now", "{unit}")]),
  fortress("LISTENER_CLEARTEXT_SERVICE", "warning", "a cleartext login or file-transfer service is reachable",
    "telnet, ftp, tftp or an r-service is listening: they send passwords unencrypted over the network.",
    [safe("see which program it is", "ss", "-tulnp"), confirm("stop and disable it; use ssh/sftp instead", "systemctl", "disable", "--now", "{unit}")]),
  sshd("SSH_PASSWORD_AUTH", "PasswordAuthentication no", "warning", "sshd accepts passwords",
    "Anyone on the network can try to guess passwords over ssh. Install your ssh key first, or you lock yourself out."),
  sshd("SSH_ROOT_LOGIN", "PermitRootLogin prohibit-password", "warning", "sshd lets root log in",
    "root can log in over ssh directly; an attacker needs only root's password."),
  sshd("SSH_EMPTY_PASSWORDS", "PermitEmptyPasswords no", "critical", "sshd lets accounts with an empty password log in",
    "An account without a password can log in over the network with no password at all."),
  sshd("SSH_KBD_INTERACTIVE_PAM", "KbdInteractiveAuthentication no", "info", "sshd accepts keyboard-interactive logins",
    "Keyboard-interactive login through PAM is password login by another name."),
  sshd("SSH_USER_ENVIRONMENT", "PermitUserEnvironment no", "info", "sshd lets users set their environment",
    "Users can pass environment variables to sshd, which can bypass restrictions."),
  sshd("SSH_X11_FORWARDING", "X11Forwarding no", "info", "sshd forwards X11",
    "X11 forwarding is on; a NAS has no use for it and it widens what a login can reach."),
  sshd("SSH_MAX_AUTH_TRIES", "MaxAuthTries 3", "info", "sshd allows many tries per connection",
    "Each connection can try many passwords, which helps guessing."),
  fortress("SHARE_PATH_WORLD_WRITABLE", "warning", "a shared folder is writable by everyone on the system",
    "Any local account (and any service) can change or delete files in the shared folder.", [confirm("remove write access for others", "chmod", "o-w", "{path}")]),
  fortress("SHARE_PATH_UNOWNED", "info", "a shared folder belongs to no known user",
    "The folder's owner or group has no account: files may end up owned by whoever gets that number next.", [confirm("give it to the right user and group", "chown", "{owner}:{group}", "{path}")]),
  fortress("SHARE_PATH_SYSTEM", "warning", "a share exposes a system folder",
    "A share points at a system directory (/etc, /root, …), exposing the NAS itself.", [ask("safe", "see the shares", "BRIDGE", { type: "shares" }),
      confirm("remove the share (or point it at a data folder)")]),
  fortress("SHARE_PATH_MISSING", "info", "a share's folder does not exist",
    "The share points at a folder that is not there: it fails, or shows an empty place.", [confirm("create the folder", "install", "-d", "-m", "0770", "{path}")]),
  fortress("SMB_GUEST_OK", "warning", "an SMB share lets guests in",
    "Anyone on the network can open the share without an account.", [confirm("turn guest access off for the share", "net", "conf", "setparm", "{share}", "guest ok", "no"), reloadSmb]),
  fortress("SMB_GUEST_WRITABLE", "critical", "an SMB share lets guests write",
    "Anyone on the network can change or delete the share's files without an account (ransomware's favourite).",
    [confirm("turn guest access off for the share", "net", "conf", "setparm", "{share}", "guest ok", "no"), reloadSmb]),
  fortress("SMB1_ENABLED", "warning", "Samba accepts SMB1",
    "The old SMB1 protocol is allowed: it is insecure (WannaCry) and slow.", [confirm("remove `server min protocol` below SMB2 from smb.conf (the default is SMB2_02), then restart Samba", "systemctl", "restart", "smbd")]),
  fortress("SMB_NTLMV1", "warning", "Samba accepts NTLMv1 logins",
    "NTLMv1 password exchanges can be cracked.", [confirm("set `ntlm auth = ntlmv2-only` in smb.conf"), reloadSmb]),
  fortress("NFS_NO_ROOT_SQUASH", "warning", "an NFS export trusts clients' root",
    "root on any client that may mount the export is root on its files.", [confirm("remove no_root_squash from the export in /etc/exports"), reexport]),
  fortress("NFS_INSECURE", "info", "an NFS export accepts unprivileged ports",
    "The export accepts requests from any port, so an ordinary user on a client can talk to it directly.", [confirm("remove `insecure` from the export in /etc/exports"), reexport]),
  fortress("NFS_EXPORT_TO_ALL", "info", "an NFS export is open to every client",
    "The export names no clients, so any machine that can reach the NAS may mount it.", [confirm("name the clients (a host or a network) in /etc/exports"), reexport]),
  fortress("SOCKET_WORLD_WRITABLE", "warning", "SigmaVault's control socket is open to every user",
    "Any local account can send SigmaVault commands.", [confirm("restrict it to its group (set socket_mode 0660 to keep it so)", "chmod", "o-rwx", "{path}")]),
  fortress("RUNTIME_DIR_WRITABLE", "warning", "SigmaVault's runtime directory is writable by others",
    "Other users could replace the socket or files SigmaVault uses.", [confirm("remove write access for group and others", "chmod", "o-w,g-w", "{path}")]),
  fortress("STATE_DIR_OPEN", "warning", "SigmaVault's state directory is open to other users",
    "Other accounts can read SigmaVault's keys, ledger or memory.", [confirm("close it to everyone but the daemon", "chmod", "0700", "{path}")]),
  fortress("KEY_FILE_EXPOSED", "critical", "a key file is readable by others",
    "A SigmaVault key can be read by other accounts: whoever read it can decrypt or sign as the NAS.",
    [confirm("close the key file", "chmod", "0600", "{path}"), ask("confirm", "rotate the keys if others could have read them (a plan first)", "QUANTUM", { type: "rotate" })]),
  fortress("CONFIG_FILE_WRITABLE", "warning", "SigmaVault's configuration file is writable by others",
    "Another account could change roles or file roots.", [confirm("remove write access for group and others", "chmod", "go-w", "{path}")]),
  fortress("OWN_PATH_OWNER", "info", "a SigmaVault file belongs to the wrong user",
    "A file or directory of SigmaVault is owned by neither root nor the daemon's user.", [confirm("give it back to the daemon's user", "chown", "sigmavault", "{path}")])
]

export const CATALOGUE: ReadonlyArray<Entry> = [...zfs, ...lattice, ...smartEntries, ...oracle, ...others, ...automation, ...fortressEntries]

/** The sources of the tools' own catalogues: their entries need no agent's codes.ts (the reverse coverage check skips them). */
export const TOOL_SOURCES: ReadonlySet<string> = new Set(["zfs", "smart"])
