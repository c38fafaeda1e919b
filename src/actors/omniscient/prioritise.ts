/**
 * OMNISCIENT's `prioritise`, pure: jobs that want to run, and the leases held
 * now, ordered into waves. A wave's jobs may run together; a job goes to a
 * later wave when it conflicts (ARBITER's matrix, on overlapping resources)
 * with a lease held now — it waits for that lease to end — or with a more
 * urgent job already placed. Urgency is PRIORITY (resilver, scrub,
 * replication, snapshot, prune, verify, migration, compression, benchmark);
 * ties keep the order asked. Greedy and honest: it does not know how long a
 * job runs, so a wave is "after the earlier ones it conflicts with", not a time.
 */
import { clash, type LeaseJob, PRIORITY } from "../shared/leaseRules.ts"

export interface Wanted {
  readonly job: LeaseJob
  readonly resource: string
  readonly agent?: string | undefined
}

export interface Held {
  readonly id: string
  readonly job: LeaseJob
  readonly resource: string
  readonly holder: string
  readonly expiresAt: string
}

export interface Placed {
  readonly position: number
  readonly job: LeaseJob
  readonly resource: string
  readonly agent?: string
  /** 1: may start now; n: after the jobs and leases it waits for. */
  readonly wave: number
  readonly reason: string
  /** What it waits for: a lease held now, or an earlier job by position. */
  readonly waitsFor: ReadonlyArray<string>
}

export const prioritise = (wanted: ReadonlyArray<Wanted>, held: ReadonlyArray<Held>): ReadonlyArray<Placed> => {
  const byUrgency = wanted
    .map((job, index) => ({ job, index }))
    .sort((a, b) => PRIORITY[a.job.job].rank - PRIORITY[b.job.job].rank || a.index - b.index)
  const placed: Array<{ readonly job: Wanted; readonly index: number; readonly wave: number; readonly waitsFor: ReadonlyArray<string>; readonly why: ReadonlyArray<string> }> = []
  for (const { job, index } of byUrgency) {
    let wave = 1
    const waitsFor: Array<string> = []
    const why: Array<string> = []
    for (const lease of held) {
      const reason = clash(job, lease)
      if (reason === undefined) continue
      wave = Math.max(wave, 2)
      waitsFor.push(`${lease.id} (${lease.holder} ${lease.job} on ${lease.resource} until ${lease.expiresAt})`)
      why.push(reason)
    }
    for (const earlier of placed) {
      const reason = clash(job, earlier.job)
      if (reason === undefined) continue
      wave = Math.max(wave, earlier.wave + 1)
      waitsFor.push(`#${earlier.index + 1} ${earlier.job.job} on ${earlier.job.resource}`)
      why.push(reason)
    }
    placed.push({ job, index, wave, waitsFor, why })
  }
  return placed
    .sort((a, b) => a.wave - b.wave || PRIORITY[a.job.job].rank - PRIORITY[b.job.job].rank || a.index - b.index)
    .map((p, i) => {
      const rank = `${p.job.job} is urgency ${PRIORITY[p.job.job].rank + 1} of 9: ${PRIORITY[p.job.job].why}`
      const waits = p.waitsFor.length === 0 ? "; it can start now" : `; it waits for ${p.waitsFor.join(", ")}: ${[...new Set(p.why)].join("; ")}`
      return {
        position: i + 1,
        job: p.job.job,
        resource: p.job.resource,
        ...(p.job.agent === undefined ? {} : { agent: p.job.agent }),
        wave: p.wave,
        reason: rank + waits,
        waitsFor: p.waitsFor
      }
    })
}
