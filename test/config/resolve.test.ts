/**
 * Precedence (defaults < file < environment < flags), where each setting came
 * from, systemd's directory variables, and the print-config rendering.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { type Config, defaults } from "../../src/config/Config.ts"
import { parseConfig } from "../../src/config/parse.ts"
import { configOf, formatSettings, type Layers, resolveSettings, type Settings } from "../../src/config/resolve.ts"

const resolved = (layers: Layers): Settings => {
  const result = resolveSettings(layers)
  if (Result.isFailure(result)) assert.fail(result.failure.message)
  return result.success
}

const errorOf = (layers: Layers): string => {
  const result = resolveSettings(layers)
  if (Result.isSuccess(result)) assert.fail("expected an error")
  return result.failure.message
}

describe("resolveSettings: precedence and sources", () => {
  it("with no layers, every setting is its default", () => {
    const settings = resolved({})
    assert.deepStrictEqual(configOf(settings), defaults)
    for (const setting of Object.values(settings)) assert.strictEqual(setting.source, "default")
  })

  it("the file overrides defaults; only the keys it sets", () => {
    const settings = resolved({ file: { logLevel: "debug", socketGroup: "storage" } })
    assert.deepStrictEqual(settings.logLevel, { value: "debug", source: "file" })
    assert.deepStrictEqual(settings.socketGroup, { value: "storage", source: "file" })
    assert.deepStrictEqual(settings.socketMode, { value: 0o660, source: "default" })
  })

  it("the environment overrides the file; flags override everything", () => {
    const layers: Layers = {
      file: { stateDir: "/srv/file-state", runtimeDir: "/run/file", logLevel: "warn", maxConnections: 10 },
      env: { STATE_DIRECTORY: "/var/lib/sv", RUNTIME_DIRECTORY: "/run/sv" },
      flags: { stateDir: "/tmp/flag-state", logLevel: "trace" }
    }
    const settings = resolved(layers)
    assert.deepStrictEqual(settings.stateDir, { value: "/tmp/flag-state", source: "flag" })
    assert.deepStrictEqual(settings.runtimeDir, { value: "/run/sv", source: "env" })
    assert.deepStrictEqual(settings.logLevel, { value: "trace", source: "flag" })
    assert.deepStrictEqual(settings.maxConnections, { value: 10, source: "file" })
    assert.deepStrictEqual(settings.shutdownDeadlineMs, { value: 5000, source: "default" })
  })

  it("a flag set to undefined is no flag", () => {
    assert.deepStrictEqual(resolved({ file: { socketGroup: "storage" }, flags: { socketGroup: undefined } }).socketGroup, {
      value: "storage",
      source: "file"
    })
  })
})

describe("resolveSettings: systemd's STATE_DIRECTORY and RUNTIME_DIRECTORY", () => {
  it("several colon-separated paths: the first is used", () => {
    const settings = resolved({ env: { STATE_DIRECTORY: "/var/lib/a:/var/lib/b", RUNTIME_DIRECTORY: "/run/a:/run/b" } })
    assert.deepStrictEqual(settings.stateDir, { value: "/var/lib/a", source: "env" })
    assert.deepStrictEqual(settings.runtimeDir, { value: "/run/a", source: "env" })
  })

  it("RUNTIME_DIRECTORY moves the socket there unless the file names one", () => {
    assert.deepStrictEqual(resolved({ env: { RUNTIME_DIRECTORY: "/run/sigmavault2" } }).socket, {
      value: "/run/sigmavault2/control.sock",
      source: "env"
    })
    assert.deepStrictEqual(resolved({ env: { RUNTIME_DIRECTORY: "/run/sv/" } }).socket.value, "/run/sv/control.sock")
    assert.deepStrictEqual(
      resolved({ file: { socket: "/run/custom.sock" }, env: { RUNTIME_DIRECTORY: "/run/sv" } }).socket,
      { value: "/run/custom.sock", source: "file" }
    )
    assert.deepStrictEqual(
      resolved({ env: { RUNTIME_DIRECTORY: "/run/sv" }, flags: { socket: "/tmp/s.sock" } }).socket,
      { value: "/tmp/s.sock", source: "flag" }
    )
  })

  it("other variables are ignored, and an empty variable counts as unset", () => {
    const settings = resolved({ env: { STATE_DIRECTORY: "", RUNTIME_DIRECTORY: "", SIGMAVAULT_SOCKET: "/x", LOG_LEVEL: "debug" } })
    assert.deepStrictEqual(configOf(settings), defaults)
  })

  it("a bad directory from the environment is an error naming the variable", () => {
    assert.strictEqual(
      errorOf({ env: { STATE_DIRECTORY: "var/lib/sv" } }),
      "environment: STATE_DIRECTORY: 'var/lib/sv' is not an absolute path; expected an absolute path (starting with /)"
    )
    assert.strictEqual(
      errorOf({ env: { RUNTIME_DIRECTORY: ":/run/sv" } }),
      "environment: RUNTIME_DIRECTORY: '' is not an absolute path; expected an absolute path (starting with /)"
    )
    assert.strictEqual(
      errorOf({ env: { RUNTIME_DIRECTORY: `/run/${"d".repeat(100)}` } }),
      "environment: RUNTIME_DIRECTORY: the path is 118 bytes long; a Unix socket path may be at most 107 bytes"
    )
  })
})

describe("resolveSettings: flags are checked like the file", () => {
  it("a flag outside its rules is an error naming the setting", () => {
    assert.strictEqual(
      errorOf({ flags: { shutdownDeadlineMs: 700000 } }),
      "command line: shutdown_deadline_ms: 700000 is out of range; expected a whole number from 0 to 600000"
    )
    assert.strictEqual(
      errorOf({ flags: { stateDir: "relative" } }),
      "command line: state_dir: 'relative' is not an absolute path; expected an absolute path (starting with /)"
    )
    assert.strictEqual(
      errorOf({ flags: { socketMode: 0o666 } }),
      "command line: socket_mode: 0666 grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as 0660"
    )
    assert.strictEqual(
      errorOf({ flags: { maxFrameBytes: 2048.5 } }),
      "command line: max_frame_bytes: 2048.5 is not a whole number; expected a whole number from 1024 to 67108864"
    )
  })
})

describe("formatSettings", () => {
  const settings = resolved({
    file: {
      socketMode: 0o640,
      socketGroup: "storage",
      stateDir: "/srv/sigma vault",
      schedules: [
        { name: "smart", cron: "@weekly", target: "ORACLE", message: { type: "assess" } },
        { name: "trend-sda", cron: "0 6 * * *", target: "ORACLE", message: { type: "trend", device: "/dev/sda", days: 7 } }
      ],
      loadAlertPerCpu: { raiseAt: 3, clearAt: 2.5 }
    },
    env: { RUNTIME_DIRECTORY: "/run/sv" },
    flags: { logLevel: "debug" }
  })

  it("renders a configuration file with each setting's source", () => {
    assert.strictEqual(
      formatSettings(settings),
      [
        "socket = /run/sv/control.sock                                         # env",
        "socket_group = storage                                                # file",
        "socket_mode = 0640                                                    # file",
        "state_dir = \"/srv/sigma vault\"                                        # file",
        "runtime_dir = /run/sv                                                 # env",
        "log_level = debug                                                     # flag",
        "shutdown_deadline_ms = 5000                                           # default",
        "max_frame_bytes = 1048576                                             # default",
        "max_connections = 4096                                                # default",
        "client_buffer_events = 1024                                           # default",
        "ask_timeout_ms = 5000                                                 # default",
        "mailbox_capacity = 1024                                               # default",
        "# watch_services is not set                                           # default",
        "watch_services_interval_seconds = 30                                  # default",
        "# time_zone is not set                                                # default",
        "schedule.smart = \"@weekly ORACLE assess\"                              # file",
        "schedule.trend-sda = \"0 6 * * * ORACLE trend device=/dev/sda days=7\"  # file",
        "pool_check_interval_seconds = 60                                      # default",
        "pool_capacity_percent = 80,90,95                                      # default",
        "scrub_schedule = \"0 3 1 * *\"                                          # default",
        "snapshot_schedule = \"*/15 * * * *\"                                    # default",
        "smart_check_interval_hours = 24                                       # default",
        "resource_check_interval_seconds = 10                                  # default",
        "cpu_alert_percent = 90,75                                             # default",
        "memory_alert_percent = 90,80                                          # default",
        "disk_busy_alert_percent = 90,70                                       # default",
        "load_alert_per_cpu = 3.0,2.5                                          # file",
        "resource_alert_samples = 3                                            # default",
        "link_sample_interval_seconds = 10                                     # default",
        "link_error_burst = 10                                                 # default",
        "link_flap_changes = 6                                                 # default",
        "link_flap_window_seconds = 300                                        # default",
        "# role_read is not set                                                # default",
        "# role_operate is not set                                             # default",
        "# role_admin is not set                                               # default",
        "# file_roots is not set                                               # default",
        "file_job_max_bytes = 1099511627776                                    # default",
        "client_idle_timeout_seconds = 300                                     # default",
        "audit_interval_hours = 24                                             # default",
        "audit_sshd_config = /etc/ssh/sshd_config                              # default",
        "audit_smb_config = /etc/samba/smb.conf                                # default",
        "audit_nfs_exports = /etc/exports                                      # default",
        "audit_nfs_exports_dir = /etc/exports.d                                # default",
        "audit_allowed_ports = 22,111,139,445,2049,51820                       # default",
        "wireguard_interface = wg0                                             # default",
        "wireguard_listen_port = 51820                                         # default",
        "wireguard_subnet = 10.8.0.0/24                                        # default",
        "# wireguard_endpoint is not set                                       # default",
        "# wireguard_dns is not set                                            # default",
        "# share_roots is not set                                              # default",
        "# smb_config is not set                                               # default",
        "nfs_exports_dir = /etc/exports.d                                      # default",
        "velocity_size_mib = 256                                               # default",
        "velocity_seconds = 5                                                  # default",
        "velocity_history = 200                                                # default",
        "history_max_series = 2000                                             # default",
        "history_max_bytes = 16777216                                          # default",
        "metrics_interval_seconds = 10                                         # default",
        "tuning = on                                                           # default",
        "tuning_explore_percent = 5                                            # default",
        "tuning_levels = 1,2,3,5,7,9                                           # default",
        "# metrics_listen is not set                                           # default",
        "metrics_listen_remote = false                                         # default",
        "# metrics_textfile is not set                                         # default",
        "metrics_textfile_interval_seconds = 60                                # default",
        "incident_group_wait_seconds = 30                                      # default",
        "incident_group_interval_seconds = 300                                 # default",
        "incident_resolve_timeout_seconds = 86400                              # default",
        "incident_window_seconds = 3600                                        # default",
        "incidents_kept = 500                                                  # default",
        "incident_max_alerts = 200                                             # default",
        "forecast_alert_days = 14                                              # default",
        "forecast_check_interval_hours = 1                                     # default",
        "forecast_window_days = 30                                             # default",
        "flux_max_rules = 200                                                  # default",
        "flux_ring_size = 200                                                  # default",
        "flux_metric_interval_seconds = 15                                     # default",
        "flux_loop_max_firings = 20                                            # default",
        "flux_loop_window_seconds = 60                                         # default",
        "scribe_schedule = \"0 7 * * 1\"                                         # default",
        "scribe_keep = 200                                                     # default",
        "scribe_max_bytes = 67108864                                           # default",
        "update_check_interval_hours = 24                                      # default",
        "update_check_refresh = true                                           # default",
        "# vanguard_apt_config is not set                                      # default",
        "vanguard_reboot_required = /run/reboot-required                       # default",
        "apex_concurrency = 4                                                  # default",
        "apex_task_timeout_seconds = 300                                       # default",
        "apex_plans_kept = 100                                                 # default",
        "apex_max_tasks = 10000                                                # default",
        "apex_max_running_plans = 8                                            # default",
        "lingua_list_ttl_seconds = 30                                          # default",
        "# lingua_llm_url is not set                                           # default",
        ""
      ].join("\n")
    )
  })

  it("an unset socket_group is a comment", () => {
    assert.include(formatSettings(resolved({})), "# socket_group is not set")
  })

  it("what it prints parses back to the same settings", () => {
    for (const each of [settings, resolved({})]) {
      const reparsed = parseConfig(formatSettings(each), "print-config")
      if (Result.isFailure(reparsed)) assert.fail(reparsed.failure.message)
      const expected: Config = configOf(each)
      assert.deepStrictEqual({ ...defaults, ...reparsed.success }, expected)
    }
  })
})
