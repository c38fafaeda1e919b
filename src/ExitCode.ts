/**
 * How `sigmavault` ends, for systemd (Restart=on-failure restarts on non-zero)
 * and for scripts calling the CLI. The daemon and every command use this one
 * table; `sigmavault --help` lists the same codes.
 */
export const ExitCode = {
  ok: 0,
  /** Something unexpected, or the daemon could not start or stopped on an escalation past the root. */
  failure: 1,
  usage: 2,
  /** No daemon answers on the socket. */
  notRunning: 3,
  /** The daemon refused the request or the agent answered with an error. */
  refused: 4,
  /** The agent did not answer within the timeout. */
  timeout: 5
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]
