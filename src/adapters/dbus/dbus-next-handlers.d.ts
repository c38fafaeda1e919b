/** dbus-next's dispatcher of a method call to its exported objects (lib/service/handlers.js), which its typings leave out. */
declare module "dbus-next/lib/service/handlers.js" {
  import type { Message, MessageBus } from "dbus-next"
  /** True when an exported object or a standard interface handled the call (it has replied, or will). */
  const dispatch: (msg: Message, bus: MessageBus) => boolean
  export default dispatch
}
