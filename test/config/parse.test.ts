/**
 * The configuration file format: every key's accepted values, comments and
 * quoting, and each kind of mistake with the exact message an administrator
 * sees.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { type Config, ConfigError, decodeSetting, defaults, encodeSetting, FIELDS, KEYS, type LineValue } from "../../src/config/Config.ts"
import { closestKey, formatValue, parseConfig } from "../../src/config/parse.ts"
import { AGENT_KEYS_CHANGED, AGENT_SETTINGS_CHANGED } from "../support/config.ts"

const FILE = "/etc/sigmavault/sigmavault.conf"

const parsed = (text: string): Partial<Config> => {
  const result = parseConfig(text, FILE)
  if (Result.isFailure(result)) assert.fail(`expected success, got: ${result.failure.message}`)
  return result.success
}

const failure = (text: string): ConfigError => {
  const result = parseConfig(text, FILE)
  if (Result.isSuccess(result)) assert.fail(`expected an error, got ${JSON.stringify(result.success)}`)
  return result.failure
}

const messageOf = (text: string): string => failure(text).message

describe("parseConfig: each key's values", () => {
  it("an empty file, or only comments and blank lines, sets nothing", () => {
    assert.deepStrictEqual(parsed(""), {})
    assert.deepStrictEqual(parsed("\n  \n# socket = /x\n   # indented comment\n\t\n"), {})
  })

  it("tuning: on or off; tuning_levels: zstd levels 1–19 (NEURAL)", () => {
    assert.deepStrictEqual(parsed("tuning = off\ntuning_levels = 1,4,19"), { tuning: "off", tuningLevels: [1, 4, 19] })
    assert.strictEqual(messageOf("tuning = yes"), `${FILE}:1: tuning: 'yes' is neither on nor off; expected on or off`)
    assert.include(messageOf("tuning_levels = 1,20"), "'20' is out of range; expected a whole number from 1 to 19")
    assert.include(messageOf("tuning_explore_percent = 21"), "expected a whole number from 0 to 20")
  })

  it("socket: an absolute path", () => {
    assert.deepStrictEqual(parsed("socket = /run/sv/control.sock"), { socket: "/run/sv/control.sock" })
    assert.deepStrictEqual(parsed(`socket = /${"s".repeat(106)}`), { socket: `/${"s".repeat(106)}` })
  })

  it("socket_group: a name or a numeric gid", () => {
    assert.deepStrictEqual(parsed("socket_group = storage"), { socketGroup: "storage" })
    assert.deepStrictEqual(parsed("socket_group = _nas-admins.2"), { socketGroup: "_nas-admins.2" })
    assert.deepStrictEqual(parsed("socket_group = 1001"), { socketGroup: 1001 })
    assert.deepStrictEqual(parsed("socket_group = 0"), { socketGroup: 0 })
    assert.deepStrictEqual(parsed("socket_group = 4294967294"), { socketGroup: 4294967294 })
  })

  it("socket_mode: octal, with or without the leading 0", () => {
    assert.deepStrictEqual(parsed("socket_mode = 0660"), { socketMode: 0o660 })
    assert.deepStrictEqual(parsed("socket_mode = 600"), { socketMode: 0o600 })
    assert.deepStrictEqual(parsed("socket_mode = 0770"), { socketMode: 0o770 })
    assert.deepStrictEqual(parsed("socket_mode = 0000"), { socketMode: 0 })
  })

  it("state_dir and runtime_dir: absolute paths", () => {
    assert.deepStrictEqual(parsed("state_dir = /srv/sv/state\nruntime_dir = /run/sv"), {
      stateDir: "/srv/sv/state",
      runtimeDir: "/run/sv"
    })
  })

  it("log_level: the five levels, in any case", () => {
    for (const level of ["trace", "debug", "info", "warn", "error"] as const) {
      assert.deepStrictEqual(parsed(`log_level = ${level}`), { logLevel: level })
      assert.deepStrictEqual(parsed(`log_level = ${level.toUpperCase()}`), { logLevel: level })
    }
    assert.deepStrictEqual(parsed("log_level = Debug"), { logLevel: "debug" })
  })

  it("whole-number keys accept both ends of their range", () => {
    const ranges = [
      ["shutdown_deadline_ms", "shutdownDeadlineMs", 0, 600000],
      ["max_frame_bytes", "maxFrameBytes", 1024, 67108864],
      ["max_connections", "maxConnections", 1, 65536],
      ["client_buffer_events", "clientBufferEvents", 16, 1000000],
      ["ask_timeout_ms", "askTimeoutMs", 1, 3600000],
      ["mailbox_capacity", "mailboxCapacity", 1, 1000000],
      ["watch_services_interval_seconds", "watchServicesIntervalSeconds", 5, 3600],
      ["pool_check_interval_seconds", "poolCheckIntervalSeconds", 10, 86400],
      ["smart_check_interval_hours", "smartCheckIntervalHours", 1, 720],
      ["resource_check_interval_seconds", "resourceCheckIntervalSeconds", 1, 3600],
      ["resource_alert_samples", "resourceAlertSamples", 1, 100],
      ["link_sample_interval_seconds", "linkSampleIntervalSeconds", 1, 3600],
      ["link_error_burst", "linkErrorBurst", 1, 1000000000],
      ["link_flap_changes", "linkFlapChanges", 2, 10000],
      ["link_flap_window_seconds", "linkFlapWindowSeconds", 10, 86400],
      ["velocity_size_mib", "velocitySizeMib", 1, 16384],
      ["velocity_seconds", "velocitySeconds", 1, 60],
      ["velocity_history", "velocityHistory", 1, 10000],
      ["history_max_series", "historyMaxSeries", 1, 1000000],
      ["history_max_bytes", "historyMaxBytes", 1048576, 68719476736],
      ["metrics_interval_seconds", "metricsIntervalSeconds", 10, 3600],
      ["tuning_explore_percent", "tuningExplorePercent", 0, 20],
      ["metrics_textfile_interval_seconds", "metricsTextfileIntervalSeconds", 10, 86400],
      ["incident_group_wait_seconds", "incidentGroupWaitSeconds", 0, 3600],
      ["incident_group_interval_seconds", "incidentGroupIntervalSeconds", 10, 86400],
      ["incident_resolve_timeout_seconds", "incidentResolveTimeoutSeconds", 0, 7776000],
      ["incident_window_seconds", "incidentWindowSeconds", 60, 604800],
      ["incidents_kept", "incidentsKept", 10, 100000],
      ["incident_max_alerts", "incidentMaxAlerts", 10, 100000],
      ["forecast_alert_days", "forecastAlertDays", 0, 366],
      ["forecast_check_interval_hours", "forecastCheckIntervalHours", 1, 168],
      ["forecast_window_days", "forecastWindowDays", 1, 366],
      ["flux_max_rules", "fluxMaxRules", 1, 10000],
      ["flux_ring_size", "fluxRingSize", 10, 100000],
      ["flux_metric_interval_seconds", "fluxMetricIntervalSeconds", 10, 3600],
      ["flux_loop_max_firings", "fluxLoopMaxFirings", 1, 10000],
      ["flux_loop_window_seconds", "fluxLoopWindowSeconds", 10, 86400],
      ["scribe_keep", "scribeKeep", 1, 100000],
      ["scribe_max_bytes", "scribeMaxBytes", 1048576, 68719476736],
      ["update_check_interval_hours", "updateCheckIntervalHours", 0, 720],
      ["apex_concurrency", "apexConcurrency", 1, 256],
      ["apex_task_timeout_seconds", "apexTaskTimeoutSeconds", 1, 86400],
      ["apex_plans_kept", "apexPlansKept", 1, 10000],
      ["apex_max_tasks", "apexMaxTasks", 1, 100000],
      ["apex_max_running_plans", "apexMaxRunningPlans", 1, 1000],
      ["lingua_list_ttl_seconds", "linguaListTtlSeconds", 1, 3600]
    ] as const
    assert.include(messageOf("lingua_llm_url = http://example.com/v1/chat/completions"), "lingua_llm_url: 'example.com' is not a loopback host")
    for (const [key, field, min, max] of ranges) {
      assert.deepStrictEqual(parsed(`${key} = ${min}`), { [field]: min })
      assert.deepStrictEqual(parsed(`${key} = ${max}`), { [field]: max })
      assert.strictEqual(
        messageOf(`${key} = ${min - 1}`),
        min === 0
          ? `${FILE}:1: ${key}: '-1' is not a whole number; expected a whole number from ${min} to ${max}`
          : `${FILE}:1: ${key}: '${min - 1}' is out of range; expected a whole number from ${min} to ${max}`
      )
      assert.strictEqual(
        messageOf(`${key} = ${max + 1}`),
        `${FILE}:1: ${key}: '${max + 1}' is out of range; expected a whole number from ${min} to ${max}`
      )
    }
  })

  it("every key at once, with the line numbers of a real file", () => {
    const text = [
      "# settings",
      "socket = /run/x/control.sock",
      "socket_group = 998",
      "socket_mode = 0640",
      "",
      "state_dir = /srv/state",
      "runtime_dir = /run/x",
      "log_level = warn",
      "shutdown_deadline_ms = 0",
      "max_frame_bytes = 65536",
      "max_connections = 10",
      "client_buffer_events = 100",
      "ask_timeout_ms = 250",
      "mailbox_capacity = 8",
      "watch_services = smbd,nfs-server,zfs-zed.service",
      ...AGENT_KEYS_CHANGED,
      "role_read = sigmavault,1000",
      "role_operate = sigmavault-operators",
      "role_admin = wheel",
      "file_roots = /srv,/tank/media",
      "file_job_max_bytes = 1073741824",
      "client_idle_timeout_seconds = 60",
      "share_roots = /srv,/tank",
      "smb_config = /etc/samba/smb.conf",
      "nfs_exports_dir = /etc/exports.d",
      "history_max_series = 500",
      "history_max_bytes = 8388608",
      "metrics_interval_seconds = 30"
    ].join("\n")
    const all: Config = {
      socket: "/run/x/control.sock",
      socketGroup: 998,
      socketMode: 0o640,
      stateDir: "/srv/state",
      runtimeDir: "/run/x",
      logLevel: "warn",
      shutdownDeadlineMs: 0,
      maxFrameBytes: 65536,
      maxConnections: 10,
      clientBufferEvents: 100,
      askTimeoutMs: 250,
      mailboxCapacity: 8,
      watchServices: ["smbd", "nfs-server", "zfs-zed.service"],
      ...AGENT_SETTINGS_CHANGED,
      roleRead: ["sigmavault", 1000],
      roleOperate: ["sigmavault-operators"],
      roleAdmin: ["wheel"],
      fileRoots: ["/srv", "/tank/media"],
      fileJobMaxBytes: 1073741824,
      clientIdleTimeoutSeconds: 60,
      shareRoots: ["/srv", "/tank"],
      smbConfig: "/etc/samba/smb.conf",
      nfsExportsDir: "/etc/exports.d",
      historyMaxSeries: 500,
      historyMaxBytes: 8388608,
      metricsIntervalSeconds: 30
    }
    assert.deepStrictEqual(parsed(text), all)
    assert.strictEqual(
      messageOf(`${text}\nmax_connections = 11`),
      // The appended line is the file's last: its line number grows with the number of keys.
      `${FILE}:${text.split("\n").length + 1}: max_connections: duplicate key, already set on line 11; keep only one of the two lines`
    )
  })
})

describe("parseConfig: the agents' keys", () => {
  it("time_zone: a zone ORBIT knows, by name or offset", () => {
    assert.deepStrictEqual(parsed("time_zone = America/Argentina/Buenos_Aires"), { timeZone: "America/Argentina/Buenos_Aires" })
    assert.deepStrictEqual(parsed("time_zone = UTC"), { timeZone: "UTC" })
    assert.deepStrictEqual(parsed("time_zone = +05:30"), { timeZone: "+05:30" })
    assert.strictEqual(
      messageOf("time_zone = Mars/Olympus_Mons"),
      `${FILE}:1: time_zone: 'Mars/Olympus_Mons' is not a known time zone; expected an IANA time zone such as Europe/Berlin or UTC, or an offset such as +01:00`
    )
  })

  it("wireguard_*: PHANTOM's interface, port, subnet, endpoint and DNS, each refused when it is not one", () => {
    assert.deepStrictEqual(parsed("wireguard_subnet = 10.8.0.0/24"), { wireguardSubnet: "10.8.0.0/24" })
    assert.deepStrictEqual(parsed("wireguard_endpoint = 203.0.113.7"), { wireguardEndpoint: "203.0.113.7" })
    assert.deepStrictEqual(parsed("wireguard_dns = 10.8.0.1,fd00::1"), { wireguardDns: ["10.8.0.1", "fd00::1"] })
    assert.include(messageOf("wireguard_interface = ../etc"), "wireguard_interface: '../etc' is not an interface name")
    assert.include(messageOf("wireguard_interface = wg0-is-far-too-long"), "is not an interface name")
    assert.include(messageOf("wireguard_subnet = 10.8.0.0/31"), "is not an IPv4 subnet with a prefix from /8 to /30")
    assert.include(messageOf("wireguard_subnet = fd00::/64"), "is not an IPv4 subnet")
    assert.include(messageOf("wireguard_endpoint = \"vpn.example.org:51820\""), "is not the host name or address peers reach this server at")
    assert.include(messageOf("wireguard_dns = 10.8.0.1,resolver"), "'resolver' is not an IP address")
    assert.include(messageOf("wireguard_listen_port = 0"), "out of range")
  })

  it("pool_capacity_percent: three rising whole percentages", () => {
    assert.deepStrictEqual(parsed("pool_capacity_percent = 1,2,100"), { poolCapacityPercent: { warn: 1, high: 2, critical: 100 } })
    assert.deepStrictEqual(parsed(`pool_capacity_percent = "75, 85, 90"`), { poolCapacityPercent: { warn: 75, high: 85, critical: 90 } })
    const expected = "expected three whole percentages, rising, for warn, high and critical, e.g. 80,90,95"
    assert.strictEqual(messageOf("pool_capacity_percent = 80,95,90"), `${FILE}:1: pool_capacity_percent: 80,95,90 are not three rising percentages from 1 to 100; ${expected}`)
    assert.strictEqual(messageOf("pool_capacity_percent = 80,90,101"), `${FILE}:1: pool_capacity_percent: 80,90,101 are not three rising percentages from 1 to 100; ${expected}`)
    assert.strictEqual(messageOf("pool_capacity_percent = 80,80,95"), `${FILE}:1: pool_capacity_percent: 80,80,95 are not three rising percentages from 1 to 100; ${expected}`)
    for (const bad of ["80,90", "80,90,95,99", "80%,90%,95%", "8e1,90,95", "80,,95"]) {
      assert.strictEqual(messageOf(`pool_capacity_percent = ${bad}`), `${FILE}:1: pool_capacity_percent: '${bad}' is not three whole numbers separated by commas; ${expected}`)
    }
  })

  it("snapshot_schedule: ORBIT's cron dialect, or none", () => {
    assert.deepStrictEqual(parsed(`snapshot_schedule = "*/5 * * * *"`), { snapshotSchedule: "*/5 * * * *" })
    assert.deepStrictEqual(parsed("snapshot_schedule = none"), { snapshotSchedule: "none" })
    assert.deepStrictEqual(parsed(`scribe_schedule = "0 6 * * *"`), { scribeSchedule: "0 6 * * *" })
    assert.deepStrictEqual(parsed("scribe_schedule = none"), { scribeSchedule: "none" })
  })

  it("scrub_schedule: ORBIT's cron dialect, or none", () => {
    assert.deepStrictEqual(parsed(`scrub_schedule = "30 2 * * sat"`), { scrubSchedule: "30 2 * * sat" })
    assert.deepStrictEqual(parsed("scrub_schedule = @weekly"), { scrubSchedule: "@weekly" })
    assert.deepStrictEqual(parsed("scrub_schedule = none"), { scrubSchedule: "none" })
    assert.strictEqual(
      messageOf(`scrub_schedule = "0 3 30 feb *"`),
      `${FILE}:1: scrub_schedule: invalid cron expression "0 3 30 feb *": day-of-month '30' never occurs in month 'feb', so it would never run; ` +
        `expected a cron expression such as "0 3 1 * *" (five fields, or an alias like @monthly), or none`
    )
    assert.match(messageOf("scrub_schedule = monthly"), /^.*scrub_schedule: invalid cron expression "monthly": expected 5 fields/)
  })

  it("SENTRY's alert levels: raise above clear; loads may have decimals, percentages may not", () => {
    assert.deepStrictEqual(parsed("cpu_alert_percent = 100,0"), { cpuAlertPercent: { raiseAt: 100, clearAt: 0 } })
    assert.deepStrictEqual(parsed("memory_alert_percent = 95,94"), { memoryAlertPercent: { raiseAt: 95, clearAt: 94 } })
    assert.deepStrictEqual(parsed("disk_busy_alert_percent = 80,60"), { diskBusyAlertPercent: { raiseAt: 80, clearAt: 60 } })
    assert.deepStrictEqual(parsed("load_alert_per_cpu = 1.25,0.75"), { loadAlertPerCpu: { raiseAt: 1.25, clearAt: 0.75 } })
    assert.deepStrictEqual(parsed("load_alert_per_cpu = 3,2"), { loadAlertPerCpu: { raiseAt: 3, clearAt: 2 } })
    const percent = "expected two whole percentages from 0 to 100, raise then a lower clear, e.g. 90,75"
    assert.strictEqual(messageOf("cpu_alert_percent = 75,90"), `${FILE}:1: cpu_alert_percent: 75,90 is not a raise level above a clear level; ${percent}`)
    assert.strictEqual(messageOf("memory_alert_percent = 90,90"), `${FILE}:1: memory_alert_percent: 90,90 is not a raise level above a clear level; ${percent}`)
    assert.strictEqual(messageOf("disk_busy_alert_percent = 101,50"), `${FILE}:1: disk_busy_alert_percent: 101,50 is not a raise level above a clear level; ${percent}`)
    assert.strictEqual(messageOf("cpu_alert_percent = 90.5,75"), `${FILE}:1: cpu_alert_percent: '90.5,75' is not two numbers separated by a comma; ${percent}`)
    const load = "expected two loads per CPU from 0.01 to 1000, raise then a lower clear, e.g. 2.0,1.5"
    assert.strictEqual(messageOf("load_alert_per_cpu = 2"), `${FILE}:1: load_alert_per_cpu: '2' is not two numbers separated by a comma; ${load}`)
    assert.strictEqual(messageOf("load_alert_per_cpu = 1.5,2.0"), `${FILE}:1: load_alert_per_cpu: 1.5,2.0 is not a raise level above a clear level; ${load}`)
    assert.strictEqual(messageOf("load_alert_per_cpu = 2,0"), `${FILE}:1: load_alert_per_cpu: 2.0,0.0 is not a raise level above a clear level; ${load}`)
  })

  it("schedule.NAME: one schedule per line, its message written as TYPE and field=value pairs", () => {
    const text = [
      `schedule.weekly-smart = "0 4 * * sun ORACLE assess"`,
      `schedule.scrub.backup_2 = "@monthly LATTICE scrub pool=backup action=start"`,
      `schedule.trend = "15 6 * * mon-fri ORACLE trend device=/dev/sda days=30 verbose=true"`
    ].join("\n")
    assert.deepStrictEqual(parsed(text), {
      schedules: [
        { name: "weekly-smart", cron: "0 4 * * sun", target: "ORACLE", message: { type: "assess" } },
        { name: "scrub.backup_2", cron: "@monthly", target: "LATTICE", message: { type: "scrub", pool: "backup", action: "start" } },
        { name: "trend", cron: "15 6 * * mon-fri", target: "ORACLE", message: { type: "trend", device: "/dev/sda", days: 30, verbose: true } }
      ]
    })
    assert.strictEqual(
      messageOf(`${text}\nschedule.trend = "@daily ORACLE assess"`),
      `${FILE}:4: schedule.trend: duplicate key, already set on line 3; keep only one of the two lines`
    )
  })

  it("schedule.NAME: each mistake names the schedule and what is expected", () => {
    const expected = `expected "CRON AGENT TYPE [field=value ...]", e.g. "0 4 * * sun ORACLE assess" or "@monthly LATTICE scrub pool=tank action=start"`
    const cases: ReadonlyArray<readonly [string, string]> = [
      [`"0 4 * * sunday ORACLE assess"`, `invalid cron expression "0 4 * * sunday": day-of-week field 'sunday': expected a positive integer; ${expected}`],
      [`"@fortnightly ORACLE assess"`, `invalid cron expression "@fortnightly": unknown alias @fortnightly; known aliases: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly; ${expected}`],
      [`"0 4 * *"`, `invalid cron expression "0 4 * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4; ${expected}`],
      [`"@daily"`, `there is no agent after the cron expression; ${expected}`],
      [`"@daily oracle assess"`, `'oracle' is not an agent name in capitals; ${expected}`],
      [`"@daily ORACLE"`, `there is no message type after ORACLE; ${expected}`],
      [`"@daily ORACLE {\\"type\\":\\"assess\\"}"`, `'{"type":"assess"}' is not a message type; ${expected}`],
      [`"@daily ORACLE trend /dev/sda"`, `'/dev/sda' is not a field=value pair; ${expected}`],
      [`"@daily ORACLE trend days="`, `'days=' is not a field=value pair; ${expected}`],
      [`"@daily ORACLE trend days=1 days=2"`, `the field days is given twice; ${expected}`],
      [`"@daily ORACLE trend type=assess"`, `the field type is given twice; ${expected}`]
    ]
    for (const [value, reason] of cases) {
      assert.strictEqual(messageOf(`schedule.x = ${value}`), `${FILE}:1: schedule.x: ${reason}`)
    }
    assert.strictEqual(
      messageOf(`schedule.no/slash = "@daily ORACLE assess"`),
      `${FILE}:1: schedule.no/slash: 'no/slash' is not a schedule name; expected letters, digits, _ . - (at most 64) after schedule.`
    )
    assert.strictEqual(messageOf(`schedule = "@daily ORACLE assess"`), `${FILE}:1: schedule: unknown key; did you mean 'schedule.NAME'?`)
  })
})

describe("parseConfig: comments, whitespace and quoting", () => {
  it("a # after whitespace ends the value; a # inside a word is part of it", () => {
    assert.deepStrictEqual(parsed("socket = /run/a #comment"), { socket: "/run/a" })
    assert.deepStrictEqual(parsed("socket = /run/a\t# comment = with an equals sign"), { socket: "/run/a" })
    assert.deepStrictEqual(parsed("socket = /run/a#b"), { socket: "/run/a#b" })
    assert.deepStrictEqual(parsed("socket = /run/a#b # and a comment"), { socket: "/run/a#b" })
  })

  it("whitespace around the key and = is free; CRLF and a byte order mark are accepted", () => {
    assert.deepStrictEqual(parsed("log_level=debug"), { logLevel: "debug" })
    assert.deepStrictEqual(parsed("  \tlog_level \t=\t debug \t "), { logLevel: "debug" })
    assert.deepStrictEqual(parsed("\uFEFFlog_level = debug\r\nsocket_mode = 0600\r\n"), {
      logLevel: "debug",
      socketMode: 0o600
    })
  })

  it("double quotes hold spaces, # and = ; \\\" and \\\\ are the escapes", () => {
    assert.deepStrictEqual(parsed(`state_dir = "/srv/sigma vault"`), { stateDir: "/srv/sigma vault" })
    assert.deepStrictEqual(parsed(`state_dir = "/srv/a #b = c" # comment`), { stateDir: "/srv/a #b = c" })
    assert.deepStrictEqual(parsed(`state_dir = "/srv/say \\"hi\\""`), { stateDir: `/srv/say "hi"` })
    assert.deepStrictEqual(parsed(`state_dir = "/srv/back\\\\slash"`), { stateDir: "/srv/back\\slash" })
    assert.deepStrictEqual(parsed(`log_level = "info"`), { logLevel: "info" })
    assert.deepStrictEqual(parsed(`socket_mode = "0660"`), { socketMode: 0o660 })
  })

  it("a backslash in a bare value is literal", () => {
    assert.deepStrictEqual(parsed("state_dir = /srv/a\\b"), { stateDir: "/srv/a\\b" })
  })

  it("formatValue writes what parseConfig reads back", () => {
    assert.strictEqual(formatValue("/run/a"), "/run/a")
    assert.strictEqual(formatValue("/srv/a b"), `"/srv/a b"`)
    assert.strictEqual(formatValue(`/srv/"q"\\`), `"/srv/\\"q\\"\\\\"`)
    assert.strictEqual(formatValue(""), `""`)
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (tail) => {
        const path = `/${tail.replace(/[\x00-\x1f\x7f\n\r]/g, "")}`
        const text = `state_dir = ${formatValue(path)} # comment`
        assert.deepStrictEqual(parsed(text), { stateDir: path })
      })
    )
  })
})

describe("parseConfig: errors name the file, line, key, what is wrong and what is expected", () => {
  it("an unknown key suggests the closest known key", () => {
    const error = failure("log_level = info\nsocket_mod = 0660")
    assert.instanceOf(error, ConfigError)
    assert.strictEqual(error._tag, "ConfigError")
    assert.strictEqual(error.file, FILE)
    assert.strictEqual(error.line, 2)
    assert.strictEqual(error.key, "socket_mod")
    assert.strictEqual(error.reason, "unknown key; did you mean 'socket_mode'?")
    assert.strictEqual(error.message, `${FILE}:2: socket_mod: unknown key; did you mean 'socket_mode'?`)
    assert.strictEqual(messageOf("state-dir = /x"), `${FILE}:1: state-dir: unknown key (keys are lower_snake_case); did you mean 'state_dir'?`)
    assert.strictEqual(messageOf("Log_Level = info"), `${FILE}:1: Log_Level: unknown key (keys are lower_snake_case); did you mean 'log_level'?`)
    assert.strictEqual(messageOf("timeout = 100"), `${FILE}:1: timeout: unknown key; did you mean 'ask_timeout_ms'?`)
  })

  it("an unknown key with nothing close lists the known keys, in the file's order", () => {
    const known = FIELDS.map((field) => KEYS[field].key)
    assert.deepStrictEqual(known.slice(0, 5), ["socket", "socket_group", "socket_mode", "state_dir", "runtime_dir"])
    for (const key of ["schedule.NAME", "scrub_schedule", "link_error_burst", "audit_allowed_ports", "wireguard_dns", "file_roots"]) {
      assert.include(known, key)
    }
    assert.strictEqual(messageOf("zfs_pool = tank"), `${FILE}:1: zfs_pool: unknown key; known keys: ${known.join(", ")}`)
  })

  it("suggestions come from spelling, not chance", () => {
    assert.strictEqual(closestKey("socket_mdoe"), "socket_mode")
    assert.strictEqual(closestKey("loglevel"), "log_level")
    assert.strictEqual(closestKey("state_directory"), "state_dir")
    assert.strictEqual(closestKey("shutdown_deadline"), "shutdown_deadline_ms")
    assert.strictEqual(closestKey("color"), undefined)
  })

  it("watch_services refuses names that are not systemd units (hostile ones included)", () => {
    assert.deepStrictEqual(parsed("watch_services = smbd,zfs-zed"), { watchServices: ["smbd", "zfs-zed"] })
    for (const bad of ["-x", "../etc", "a;b", "smbd,$(reboot)"]) {
      assert.match(messageOf(`watch_services = ${bad}`), /watch_services: .* is not a systemd unit name; expected systemd unit names separated by commas/)
    }
  })

  it("a bad value names the value and what is expected", () => {
    assert.strictEqual(
      messageOf("socket_mode = 0666"),
      `${FILE}:1: socket_mode: 0666 grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as 0660`
    )
    assert.strictEqual(
      messageOf("socket_mode = 777"),
      `${FILE}:1: socket_mode: 0777 grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as 0770`
    )
    assert.strictEqual(
      messageOf("socket_mode = 0004"),
      `${FILE}:1: socket_mode: 0004 grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as 0660`
    )
    for (const mode of ["rw-rw----", "0o660", "0680", "10660", "66"]) {
      assert.strictEqual(
        messageOf(`socket_mode = ${mode}`),
        `${FILE}:1: socket_mode: '${mode}' is not an octal mode; expected an octal mode such as 0660 (three octal digits, optionally after a 0)`
      )
    }
    assert.strictEqual(
      messageOf("socket = run/control.sock"),
      `${FILE}:1: socket: 'run/control.sock' is not an absolute path; expected an absolute path (starting with /)`
    )
    assert.strictEqual(
      messageOf(`socket = /${"s".repeat(107)}`),
      `${FILE}:1: socket: the path is 108 bytes long; a Unix socket path may be at most 107 bytes`
    )
    assert.strictEqual(
      messageOf(`runtime_dir = ""`),
      `${FILE}:1: runtime_dir: '' is not an absolute path; expected an absolute path (starting with /)`
    )
    assert.strictEqual(
      messageOf(`state_dir = "/srv/a\tb"`),
      `${FILE}:1: state_dir: the path '/srv/a\\tb' contains a control character; expected an absolute path (starting with /)`
    )
    assert.strictEqual(
      messageOf("log_level = verbose"),
      `${FILE}:1: log_level: 'verbose' is not a log level; expected trace, debug, info, warn or error`
    )
    assert.strictEqual(
      messageOf("shutdown_deadline_ms = 5s"),
      `${FILE}:1: shutdown_deadline_ms: '5s' is not a whole number; expected a whole number from 0 to 600000`
    )
    for (const number of ["1e3", "+5", "5.0", "0x10", "5_000"]) {
      assert.strictEqual(
        messageOf(`ask_timeout_ms = ${number}`),
        `${FILE}:1: ask_timeout_ms: '${number}' is not a whole number; expected a whole number from 1 to 3600000`
      )
    }
    assert.strictEqual(
      messageOf("max_frame_bytes = 99999999999999999999999"),
      `${FILE}:1: max_frame_bytes: '99999999999999999999999' is out of range; expected a whole number from 1024 to 67108864`
    )
    const groupExpected =
      "expected a group name such as sigmavault (letters, digits, _ . -; at most 32 characters) or a gid from 0 to 4294967294"
    assert.strictEqual(messageOf(`socket_group = "nas admins"`), `${FILE}:1: socket_group: 'nas admins' is not a group name or gid; ${groupExpected}`)
    assert.strictEqual(messageOf("socket_group = -wheel"), `${FILE}:1: socket_group: '-wheel' is not a group name or gid; ${groupExpected}`)
    assert.strictEqual(messageOf(`socket_group = ${"g".repeat(33)}`), `${FILE}:1: socket_group: '${"g".repeat(33)}' is not a group name or gid; ${groupExpected}`)
    assert.strictEqual(messageOf("socket_group = 4294967295"), `${FILE}:1: socket_group: gid 4294967295 is out of range; ${groupExpected}`)
  })

  it("a duplicate key names both lines", () => {
    const error = failure("log_level = info\n\n# later\nlog_level = debug")
    assert.deepStrictEqual([error.line, error.key], [4, "log_level"])
    assert.strictEqual(error.message, `${FILE}:4: log_level: duplicate key, already set on line 1; keep only one of the two lines`)
  })

  it("a missing value is an error, never the default", () => {
    assert.strictEqual(
      messageOf("state_dir ="),
      `${FILE}:1: state_dir: missing value after '='; expected an absolute path (starting with /), or remove the line to use the default`
    )
    assert.strictEqual(
      messageOf("log_level =   # to be decided"),
      `${FILE}:1: log_level: missing value after '='; expected trace, debug, info, warn or error, or remove the line to use the default`
    )
  })

  it("malformed lines", () => {
    assert.strictEqual(messageOf("socket /run/x"), `${FILE}:1: socket: missing '='; expected 'socket = value'`)
    assert.strictEqual(messageOf("socket: /run/x"), `${FILE}:1: socket: missing '='; expected 'socket = value'`)
    assert.strictEqual(messageOf("[daemon]"), `${FILE}:1: sections are not supported; expected 'key = value' lines`)
    assert.strictEqual(messageOf("enable everything"), `${FILE}:1: malformed line 'enable everything'; expected 'key = value' or a # comment`)
    assert.strictEqual(messageOf("verbose # = yes"), `${FILE}:1: malformed line 'verbose # = yes'; expected 'key = value' or a # comment`)
    assert.strictEqual(messageOf("= /run/x"), `${FILE}:1: missing key before '='; expected 'key = value'`)
    const error = failure("\n\nenable everything")
    assert.deepStrictEqual([error.line, error.key], [3, undefined])
  })

  it("quoting mistakes", () => {
    assert.strictEqual(
      messageOf(`socket = "/run/x`),
      `${FILE}:1: socket: unterminated quoted value; expected a closing " on the same line`
    )
    assert.strictEqual(
      messageOf(`socket = "/run/x\\`),
      `${FILE}:1: socket: unterminated quoted value; expected a closing " on the same line`
    )
    assert.strictEqual(
      messageOf(`socket = "/run/\\n"`),
      `${FILE}:1: socket: unknown escape '\\n' in a quoted value; only \\" and \\\\ are allowed`
    )
    assert.strictEqual(
      messageOf(`socket = "/run/x" extra`),
      `${FILE}:1: socket: unexpected text 'extra' after the closing quote; expected the end of the line or a # comment`
    )
    assert.strictEqual(
      messageOf("socket_group = wheel staff"),
      `${FILE}:1: socket_group: unquoted value 'wheel staff' contains whitespace; put the value in double quotes`
    )
    assert.strictEqual(
      messageOf(`state_dir = /srv/"x"`),
      `${FILE}:1: state_dir: unquoted value '/srv/"x"' contains a '"'; put the whole value in double quotes, writing \\" for a quote`
    )
  })

  it("an unknown key is reported as such even when its value is malformed too", () => {
    assert.strictEqual(messageOf(`sockt = "/run/x`), `${FILE}:1: sockt: unknown key; did you mean 'socket'?`)
  })

  it("the first problem in the file is the one reported", () => {
    assert.strictEqual(failure("log_level = info\nsocket_mode = 0666\nbogus = 1").line, 2)
  })

  it("control characters and long text in a message are escaped and cut short", () => {
    const message = messageOf(`log_level = "${"\u0007".repeat(3)}${"x".repeat(100)}"`)
    assert.notInclude(message, "\u0007")
    assert.include(message, "'\\u0007\\u0007\\u0007xxx")
    assert.include(message, "…' is not a log level")
  })
})

describe("decodeSetting / encodeSetting", () => {
  it("every key's default survives encode then decode, and decodes from the file as the same value", () => {
    for (const field of FIELDS) {
      if (defaults[field] === undefined) continue
      // Every setting with a default is a single line: only `schedules`, which has none, differs.
      const value = defaults[field] as LineValue<typeof field>
      const text = encodeSetting(field, value)
      assert.deepStrictEqual(decodeSetting(field, text), Result.succeed(value))
      assert.deepStrictEqual(parsed(`${KEYS[field].key} = ${formatValue(text)}`), { [field]: value })
    }
    assert.strictEqual(encodeSetting("socketMode", 0o640), "0640")
    assert.strictEqual(encodeSetting("socketMode", 0o7), "0007")
    assert.deepStrictEqual(decodeSetting("stateDir", "relative"), Result.fail("'relative' is not an absolute path; expected an absolute path (starting with /)"))
  })
})

describe("parseConfig never throws", () => {
  const fragments = fc.constantFrom(
    ...FIELDS.map((field) => KEYS[field].key),
    "=", " = ", "\"", "\\", "\\\"", "#", " #", "\n", "\r\n", "\r", "\t", " ", "\uFEFF", "[x]", "0660", "0666",
    "/run/x", "info", "4096", "-1", "99999999999999999999", "\u0000", "\uD800", "é", "socket_mod"
  )
  const texts = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.array(fragments, { maxLength: 40 }).map((parts) => parts.join(""))
  )

  it("any text gives a Result: settings, or a ConfigError with a one-line message", () => {
    fc.assert(
      fc.property(texts, (text) => {
        const result = parseConfig(text, FILE)
        assert.isTrue(Result.isResult(result))
        if (Result.isFailure(result)) {
          assert.instanceOf(result.failure, ConfigError)
          assert.isTrue(result.failure.message.startsWith(`${FILE}:`))
          assert.notMatch(result.failure.message, /[\n\r]/)
        }
      }),
      { numRuns: 2000 }
    )
  })
})
