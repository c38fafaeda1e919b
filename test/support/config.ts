/** Configuration file text shared by the tests of the parser and of what reaches the agents. */
import type { Config } from "../../src/config/Config.ts"

/** Every agent key, each set to something other than its default. */
export const AGENT_KEYS_CHANGED: ReadonlyArray<string> = [
  "watch_services_interval_seconds = 60",
  "time_zone = Europe/Berlin",
  `schedule.weekly-smart = "0 4 * * sun ORACLE assess"`,
  "pool_check_interval_seconds = 300",
  "pool_capacity_percent = 70,85,92",
  "scrub_schedule = none",
  "smart_check_interval_hours = 6",
  "resource_check_interval_seconds = 10",
  "cpu_alert_percent = 95,80",
  "memory_alert_percent = 85,70",
  "disk_busy_alert_percent = 99,50",
  "load_alert_per_cpu = 4,3.5",
  "resource_alert_samples = 6",
  "wireguard_interface = wg1",
  "wireguard_listen_port = 51821",
  "wireguard_subnet = 10.66.0.0/16",
  "wireguard_endpoint = vpn.example.org",
  "wireguard_dns = 10.66.0.1,1.1.1.1"
]

/** What `AGENT_KEYS_CHANGED` parses to. */
export const AGENT_SETTINGS_CHANGED = {
  watchServicesIntervalSeconds: 60,
  timeZone: "Europe/Berlin",
  schedules: [{ name: "weekly-smart", cron: "0 4 * * sun", target: "ORACLE", message: { type: "assess" } }],
  poolCheckIntervalSeconds: 300,
  poolCapacityPercent: { warn: 70, high: 85, critical: 92 },
  scrubSchedule: "none",
  smartCheckIntervalHours: 6,
  resourceCheckIntervalSeconds: 10,
  cpuAlertPercent: { raiseAt: 95, clearAt: 80 },
  memoryAlertPercent: { raiseAt: 85, clearAt: 70 },
  diskBusyAlertPercent: { raiseAt: 99, clearAt: 50 },
  loadAlertPerCpu: { raiseAt: 4, clearAt: 3.5 },
  resourceAlertSamples: 6,
  wireguardInterface: "wg1",
  wireguardListenPort: 51821,
  wireguardSubnet: "10.66.0.0/16",
  wireguardEndpoint: "vpn.example.org",
  wireguardDns: ["10.66.0.1", "1.1.1.1"]
} satisfies Partial<Config>
