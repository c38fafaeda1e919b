import type { Apt } from "../../adapters/apt/Apt.ts"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { vanguardCapabilities, vanguardMachine } from "./machine.ts"
import { Vanguard } from "./messages.ts"

export const vanguardAgent = define<Apt | StateStore>({
  protocol: Vanguard,
  tier: "2",
  description: "Updates: `apt-get -s -V dist-upgrade` read in the C locale, security updates flagged by origin/suite, kept-back and held packages, reboot-required, index refresh, upgrades planned and run only with confirm",
  capabilities: vanguardCapabilities,
  machine: vanguardMachine
})
