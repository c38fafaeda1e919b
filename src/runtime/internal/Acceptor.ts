/**
 * Whether the machine's current state has a transition for an event type,
 * without computing the transition: a message the state does not take is
 * refused with NotAccepted rather than silently ignored by XState.
 *
 * XState's public `snapshot.can(event)` evaluates guards and computes the
 * whole transition — a second transition computation per message. Instead the
 * active state nodes (`snapshot._nodes`, an internal field XState keeps as
 * the same array while the configuration is unchanged) are read once per
 * configuration into a Set. test/runtime/Acceptor.test.ts pins this to the
 * installed xstate version; should the field ever be missing, `can` answers
 * instead: slower, never wrong.
 *
 * Guards are not evaluated: an accepted event whose guards all refuse is
 * handled as a no-op and acknowledged.
 */
import type { AnyMachineSnapshot } from "xstate"

interface Acceptor {
  readonly all: boolean
  readonly exact: ReadonlySet<string>
  readonly prefixes: ReadonlyArray<string>
}

interface StateNodeLike {
  readonly ownEvents: ReadonlyArray<string>
}

const acceptors = new WeakMap<object, Acceptor>()

const acceptorOf = (nodes: ReadonlyArray<StateNodeLike>): Acceptor => {
  let acceptor = acceptors.get(nodes)
  if (acceptor === undefined) {
    const exact = new Set<string>()
    const prefixes: Array<string> = []
    let all = false
    for (const node of nodes) {
      for (const descriptor of node.ownEvents) {
        if (descriptor === "*") all = true
        else if (descriptor.endsWith(".*")) prefixes.push(descriptor.slice(0, -1))
        else exact.add(descriptor)
      }
    }
    acceptor = { all, exact, prefixes }
    acceptors.set(nodes, acceptor)
  }
  return acceptor
}

export const accepts = (snapshot: AnyMachineSnapshot, type: string): boolean => {
  const nodes = (snapshot as unknown as { readonly _nodes?: ReadonlyArray<StateNodeLike> })._nodes
  if (!Array.isArray(nodes)) return snapshot.can({ type })
  const acceptor = acceptorOf(nodes)
  return acceptor.all || acceptor.exact.has(type) || acceptor.prefixes.some((prefix) => type.startsWith(prefix))
}
