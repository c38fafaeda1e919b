/**
 * The real testparm, exportfs and systemd-analyze on good and bad text, on
 * temporary copies: the host's /etc, /var/lib/nfs and mount table are the same
 * afterwards, and every temporary directory is gone.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as CommandRunnerLive from "../../../src/adapters/command/CommandRunnerLive.ts"
import { ConfigCheck, type Verdict } from "../../../src/adapters/configcheck/ConfigCheck.ts"
import * as ConfigCheckLive from "../../../src/adapters/configcheck/ConfigCheckLive.ts"
import { requireTools } from "../../support/tools.ts"

const live = ConfigCheckLive.layer.pipe(Layer.provide(CommandRunnerLive.layer()))
const ours = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`sigmavault-forge-${process.pid}-`))
const hostState = () => ({
  mounts: readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(`sigmavault-forge-${process.pid}-`)).length,
  exports: existsSync("/etc/exports") ? readFileSync("/etc/exports", "utf8") : undefined,
  exportsD: existsSync("/etc/exports.d"),
  etab: existsSync("/var/lib/nfs/etab") ? readFileSync("/var/lib/nfs/etab", "utf8") : undefined
})

const refused = (verdict: Verdict) => {
  assert.isFalse(verdict.accepted, `expected a refusal, got ${JSON.stringify(verdict)}`)
  return verdict as Extract<Verdict, { accepted: false }>
}

describe("ConfigCheck on the real tools", () => {
  it.effect("testparm: a good stanza passes; an unknown parameter (exit 0) and a bad boolean are refused with the line", () =>
    Effect.gen(function*() {
      requireTools("testparm")
      const check = yield* ConfigCheck
      const good = yield* check.smb("[photos]\n\tpath = /srv/my photos\n\tread only = no\n\thosts allow = 192.168.1.0/24\n")
      assert.isTrue(good.accepted, JSON.stringify(good))
      assert.include(good.reading, "path = /srv/my photos")
      const unknown = refused(yield* check.smb("[photos]\n\tpath = /srv/photos\n\tbogus param = 1\n"))
      assert.include(unknown.reason, "bogus param")
      assert.strictEqual(unknown.line, 3)
      assert.include(refused(yield* check.smb("[photos]\n\tread only = maybe\n")).reason, "not boolean")
      assert.include(refused(yield* check.smb("[photos]\n\tinclude = /etc/shadow\n")).reason, "read other files")
      assert.deepStrictEqual(ours(), [])
    }).pipe(Effect.provide(live)))

  it.effect("exportfs in a private mount namespace: good exports pass and are read back; bad options are refused; the host is untouched", () =>
    Effect.gen(function*() {
      requireTools("exportfs", "unshare", "nsenter", "mount", "umount")
      const before = hostState()
      const check = yield* ConfigCheck
      const good = yield* check.nfs("# a comment\n/tmp 192.168.1.0/24(ro,sync,no_subtree_check,root_squash) 10.0.0.1(rw,sync,no_subtree_check)\n")
      assert.isTrue(good.accepted, JSON.stringify(good))
      assert.include(good.reading, "/tmp")
      assert.include(good.reading, "\t192.168.1.0/24(ro,")
      const bad = refused(yield* check.nfs("/tmp 192.168.1.0/24(ro,bogus)\n"))
      assert.include(bad.reason, "bogus")
      assert.strictEqual(bad.line, 1)
      assert.include(refused(yield* check.nfs(`/nonexistent-${process.pid} *(ro,sync,no_subtree_check)\n`)).reason, "Failed to stat")
      assert.deepStrictEqual(hostState(), before)
      assert.deepStrictEqual(ours(), [])
    }).pipe(Effect.provide(live)))

  it.effect("systemd-analyze: good units pass (a missing binary is stood in for, with a warning); ignored keys and bad calendars are refused", () =>
    Effect.gen(function*() {
      requireTools("systemd-analyze")
      const check = yield* ConfigCheck
      const timer = { name: "sigmavault-t.timer", text: "[Unit]\nDescription=t\n[Timer]\nOnCalendar=daily\nUnit=sigmavault-t.service\n" }
      const service = (exec: string) => ({ name: "sigmavault-t.service", text: `[Unit]\nDescription=t\n[Service]\nType=oneshot\nExecStart=${exec}\n` })
      const good = yield* check.units([timer, service(`/usr/bin/sigmavault-not-here-${process.pid} tell LATTICE "{\\"type\\":\\"scrub\\"}"`)])
      assert.isTrue(good.accepted, JSON.stringify(good))
      assert.isTrue(good.accepted && good.warnings.some((w) => w.includes("stand-in")))
      const ignored = refused(yield* check.units([timer, { ...service("/bin/true"), text: service("/bin/true").text + "Bogus=1\n" }]))
      assert.include(ignored.reason, "Bogus")
      assert.strictEqual(ignored.line, 6)
      assert.include(refused(yield* check.units([{ ...timer, text: timer.text.replace("daily", "blah") }, service("/bin/true")])).reason, "calendar")
      const calendar = yield* check.calendar("Mon *-*-* 02:00")
      assert.deepStrictEqual(calendar.accepted && calendar.reading, "Mon *-*-* 02:00:00")
      assert.include(refused(yield* check.calendar("-1")).reason, "Failed to parse")
      assert.deepStrictEqual(ours(), [])
    }).pipe(Effect.provide(live)))
})
