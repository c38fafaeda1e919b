/**
 * Every agent's protocol, by agent name: what a client (the CLI, the
 * inspector) decodes replies and rejections with. It imports the agents'
 * messages.ts files only — schemas, no machines, no adapters — so a client
 * loads the protocol without the daemon.
 */
import type { AnyProtocol } from "../runtime/Protocol.ts"
import { Aegis } from "./aegis/messages.ts"
import { Apex } from "./apex/messages.ts"
import { Arbiter } from "./arbiter/messages.ts"
import { Architect } from "./architect/messages.ts"
import { Atlas } from "./atlas/messages.ts"
import { Axiom } from "./axiom/messages.ts"
import { Bridge } from "./bridge/messages.ts"
import { Canvas } from "./canvas/messages.ts"
import { Cipher } from "./cipher/messages.ts"
import { Core } from "./core/messages.ts"
import { Crypto } from "./crypto/messages.ts"
import { Eclipse } from "./eclipse/messages.ts"
import { Flux } from "./flux/messages.ts"
import { Forge } from "./forge/messages.ts"
import { Fortress } from "./fortress/messages.ts"
import { Genesis } from "./genesis/messages.ts"
import { Helix } from "./helix/messages.ts"
import { Lattice } from "./lattice/messages.ts"
import { Ledger } from "./ledger/messages.ts"
import { Lingua } from "./lingua/messages.ts"
import { Mentor } from "./mentor/messages.ts"
import { Morph } from "./morph/messages.ts"
import { Neural } from "./neural/messages.ts"
import { Nexus } from "./nexus/messages.ts"
import { Omniscient } from "./omniscient/messages.ts"
import { Oracle } from "./oracle/messages.ts"
import { Orbit } from "./orbit/messages.ts"
import { Phantom } from "./phantom/messages.ts"
import { Photon } from "./photon/messages.ts"
import { Prism } from "./prism/messages.ts"
import { Pulse } from "./pulse/messages.ts"
import { Quantum } from "./quantum/messages.ts"
import { Scribe } from "./scribe/messages.ts"
import { Sentry } from "./sentry/messages.ts"
import { Stream } from "./stream/messages.ts"
import { Synapse } from "./synapse/messages.ts"
import { Tensor } from "./tensor/messages.ts"
import { Vanguard } from "./vanguard/messages.ts"
import { Velocity } from "./velocity/messages.ts"
import { Vertex } from "./vertex/messages.ts"

export const PROTOCOLS: ReadonlyMap<string, AnyProtocol> = new Map(
  [Aegis, Apex, Arbiter, Architect, Atlas, Axiom, Bridge, Canvas, Cipher, Core, Crypto, Eclipse, Flux, Forge, Fortress, Genesis, Helix, Lattice, Ledger, Lingua, Mentor, Morph, Neural, Nexus, Omniscient, Oracle, Orbit, Phantom, Photon, Prism, Pulse, Quantum, Scribe, Sentry, Stream, Synapse, Tensor, Vanguard, Velocity, Vertex].map((protocol): readonly [string, AnyProtocol] => [protocol.agent, protocol])
)
