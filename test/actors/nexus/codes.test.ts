/** NEXUS and finding codes: the code of each alert is kept in its view, and where an agent's text was the kind, the code is. */
import { describe, expect, it } from "vitest"
import { defaultNexusConfig } from "../../../src/actors/nexus/config.ts"
import { alertView, emptyState, ingest, type Settings } from "../../../src/actors/nexus/correlate.ts"
import { emptyGraph, kindOf } from "../../../src/actors/nexus/subjects.ts"

const settings: Settings = { ...defaultNexusConfig }

describe("NEXUS with finding codes", () => {
  it("kindOf uses the code where it had to read the text: PHOTON's kinds, FORTRESS/HELIX/AXIOM/MORPH", () => {
    expect(kindOf("PHOTON", "link eth0", "warning", "eth0: 12 errors in 30 s", "PHOTON-LINK-FLAPPING").kind).toBe("flapping")
    expect(kindOf("PHOTON", "link eth0", "warning", "eth0 is flapping: 9 carrier changes").kind).toBe("flapping")
    expect(kindOf("FORTRESS", "sshd", "warning", "SSH_ROOT_LOGIN: sshd lets root log in (sshd -T: permitrootlogin yes)", "FORTRESS-SSH-ROOT-LOGIN").kind).toBe("FORTRESS-SSH-ROOT-LOGIN")
    expect(kindOf("HELIX", "snapshots of tank/a", "info", "tank/a: fine", "HELIX-SNAPSHOTS-STALE")).toMatchObject({ kind: "*", recovery: true })
    // Without a code, the text is still read as before.
    expect(kindOf("MORPH", "migration m-1", "warning", "migration m-1 stopped: no space").kind).toBe("<s> stopped: no space")
  })

  it("an alert's code is in its view, and the latest raise's code replaces an earlier one; two raises of one code fold together", () => {
    const state = emptyState()
    const raise = (text: string, code?: string) =>
      ingest(state, settings, emptyGraph, { agent: "FORTRESS", severity: "warning", subject: "sshd", text, ...(code === undefined ? {} : { code }) }, 1_000)
    raise("SSH_ROOT_LOGIN: sshd lets root log in (sshd -T: permitrootlogin yes)", "FORTRESS-SSH-ROOT-LOGIN")
    raise("SSH_ROOT_LOGIN: sshd lets root log in (sshd -T from a drop-in: permitrootlogin yes)", "FORTRESS-SSH-ROOT-LOGIN")
    const alerts = state.incidents.flatMap((i) => i.alerts)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.count).toBe(2)
    expect(alertView(alerts[0]!)).toMatchObject({ code: "FORTRESS-SSH-ROOT-LOGIN", kind: "FORTRESS-SSH-ROOT-LOGIN" })
    const plain = emptyState()
    ingest(plain, settings, emptyGraph, { agent: "LATTICE", severity: "warning", subject: "pool tank", text: "pool tank is DEGRADED" }, 1_000)
    expect("code" in alertView(plain.incidents[0]!.alerts[0]!)).toBe(false)
  })
})
