/**
 * Writes `LC_ALL=C apt-get -s -V dist-upgrade` transcripts the way apt 2.6
 * prints them (apt-private/private-output.cc, the -V blocks; pkgSimulate's
 * Inst/Remv/Conf lines), for the parser's property tests and the bench.
 */
import type { KeptBack, PackageChange, Removal, Simulation } from "../../src/adapters/apt/simulate.ts"

const block = (header: string, lines: ReadonlyArray<string>) => (lines.length === 0 ? [] : [header, ...lines.map((l) => `   ${l}`)])

export const renderSimulation = (simulation: Simulation, options: { readonly banner?: boolean; readonly trailing?: boolean } = {}): string => {
  const { installs, keptBack, removals, upgrades } = simulation
  const inst = (p: PackageChange) => `Inst ${p.name}${p.from === null ? "" : ` [${p.from}]`} (${p.to} ${p.origins.join(", ")} [${p.arch}])${options.trailing === true ? " []" : ""}`
  const conf = (p: PackageChange) => `Conf ${p.name} (${p.to} ${p.origins.join(", ")} [${p.arch}])`
  const lines = [
    ...(options.banner === true
      ? [
        "NOTE: This is only a simulation!",
        "      apt-get needs root privileges for real execution.",
        "      Keep also in mind that locking is deactivated,",
        "      so don't depend on the relevance to the real current situation!"
      ]
      : []),
    "Reading package lists...",
    "Building dependency tree...",
    "Calculating upgrade...",
    ...block("The following packages will be REMOVED:", removals.map((r: Removal) => `${r.name} (${r.version})`)),
    ...block("The following NEW packages will be installed:", installs.map((p) => `${p.name} (${p.to})`)),
    ...block("The following packages have been kept back:", keptBack.map((k: KeptBack) => `${k.name} (${k.from} => ${k.to})`)),
    ...block("The following packages will be upgraded:", upgrades.map((p) => `${p.name} (${p.from} => ${p.to})`)),
    `${upgrades.length} upgraded, ${installs.length} newly installed, ${removals.length} to remove and ${keptBack.length} not upgraded.`,
    ...removals.map((r) => `Remv ${r.name} [${r.version}]`),
    // dpkg order interleaves Inst and Conf.
    ...[...installs, ...upgrades].flatMap((p) => [inst(p), conf(p)])
  ]
  return `${lines.join("\n")}\n`
}

/** A transcript of `count` upgrades, every fifth a security one, for the bench. */
export const largeSimulation = (count: number): Simulation => {
  const upgrades: Array<PackageChange> = []
  for (let i = 0; i < count; i++) {
    const security = i % 5 === 0
    const origins = security ? ["Debian:12.15/oldstable", "Debian-Security:12/oldstable-security"] : ["Debian:12.15/oldstable"]
    upgrades.push({
      name: `lib-package-${i}`,
      from: `1.${i}.0-1+deb12u1`,
      to: `1.${i}.0-1+deb12u2`,
      arch: i % 7 === 0 ? "all" : "amd64",
      origins,
      suites: origins.map((o) => o.split("/").pop()!),
      security
    })
  }
  return { upgrades, installs: [], removals: [], keptBack: [], summary: { upgraded: count, newlyInstalled: 0, removed: 0, notUpgraded: 0 } }
}
