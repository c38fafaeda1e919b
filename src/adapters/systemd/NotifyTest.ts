/** Collects notifications instead of sending them; setting `failWith` makes every send fail. */
import { Effect, Layer } from "effect"
import { Notify, type NotifyFields, NotifyError, notificationLines } from "./Notify.ts"

export interface NotifyRecorder {
  readonly sent: Array<NotifyFields>
  failWith: string | undefined
  readonly layer: Layer.Layer<Notify>
}

export const make = (): NotifyRecorder => {
  const state: { sent: Array<NotifyFields>; failWith: string | undefined } = { sent: [], failWith: undefined }
  const service = Notify.of({
    notify: (fields) =>
      Effect.gen(function*() {
        // Validated like the live one: a test must not accept what systemd would never receive.
        yield* Effect.fromResult(notificationLines(fields))
        if (state.failWith !== undefined) return yield* Effect.fail(new NotifyError({ reason: state.failWith }))
        state.sent.push({ ...fields })
      })
  })
  return Object.assign(state, { layer: Layer.succeed(Notify, service) })
}
