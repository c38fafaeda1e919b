/**
 * The port through which SYNAPSE sees the daemon's external endpoints (the
 * control socket now, D-Bus later): what listens where and how many clients
 * are connected. The endpoints register themselves once they are up.
 */
import { Context, Effect, Layer, Schema } from "effect"

export const Endpoint = Schema.Struct({
  kind: Schema.Literals(["control-socket", "dbus", "metrics-http"]),
  address: Schema.String,
  connections: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Epoch milliseconds at which it started listening. */
  since: Schema.Finite
})
export type Endpoint = typeof Endpoint.Type

export interface GatewayShape {
  readonly endpoints: Effect.Effect<ReadonlyArray<Endpoint>>
}

export class Gateway extends Context.Service<Gateway, GatewayShape>()("sigmavault/adapters/socket/Gateway") {}

/** Endpoints that register at run time (the daemon's), read live on every request. */
export const makeRegistry = () => {
  const sources: Array<() => Endpoint> = []
  return {
    register: (source: () => Endpoint) => void sources.push(source),
    layer: Layer.succeed(Gateway, Gateway.of({ endpoints: Effect.sync(() => sources.map((source) => source())) }))
  }
}

/** Fixed endpoints, for tests. */
export const layerTest = (endpoints: ReadonlyArray<Endpoint> = []): Layer.Layer<Gateway> =>
  Layer.succeed(Gateway, Gateway.of({ endpoints: Effect.succeed(endpoints) }))
