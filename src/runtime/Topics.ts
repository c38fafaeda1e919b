/**
 * STREAM's named topics over the inspection stream (docs/topics.md): each
 * topic is a set of inspection event tags. Defined once here for every
 * transport — the control socket's `watch` op, the D-Bus signals, STREAM's
 * named subscriptions and the inspector — so a topic means the same on each.
 */
import type { InspectionEvent } from "./Inspection.ts"

export type EventTag = InspectionEvent["_tag"]

export const TOPICS = {
  /** Alert events: what agents raise about pools, disks, services. */
  alerts: ["Alert"],
  /** Incident events: NEXUS's one notification per group of correlated alerts. */
  incidents: ["Incident"],
  /** Progress of long jobs (an encryption, a compression, a scrub). */
  progress: ["Progress"],
  /** Batches of metric samples as the metric history records them. */
  metrics: ["Metrics"],
  /** The agents' lives: started, stopped, failed, restarted, escalations, dead letters. */
  lifecycle: ["Started", "Stopped", "Failed", "Restarted", "Escalated", "DeadLetter"]
} as const satisfies Record<string, ReadonlyArray<EventTag>>

export type Topic = keyof typeof TOPICS
export const TOPIC_NAMES = Object.keys(TOPICS) as ReadonlyArray<Topic>

export const isTopic = (name: string): name is Topic => Object.hasOwn(TOPICS, name)

/** The topic an event belongs to, if any (Transition and MessageHandled belong to none). */
export const topicOf = (tag: string): Topic | undefined => {
  for (const topic of TOPIC_NAMES) if ((TOPICS[topic] as ReadonlyArray<string>).includes(tag)) return topic
  return undefined
}

/** Per-subscriber buffers: at least one event, at most this many. */
export const MAX_TOPIC_BUFFER = 65_536
export const DEFAULT_TOPIC_BUFFER = 1024
