/**
 * Where a passphrase comes from: `SIGMAVAULT_PASSPHRASE`, else a prompt on
 * the controlling terminal (/dev/tty, so stdin and stdout stay free for the
 * data being encrypted or decrypted), read without echo. Ctrl-C at the
 * prompt restores the terminal and exits 130, as a shell expects.
 */
import { openSync, writeSync } from "node:fs"
import * as tty from "node:tty"
import { Result } from "effect"

export class NoPassphrase extends Error {
  override readonly name = "NoPassphrase"
}

/** Reads one line from the terminal without echoing it. */
const promptOnTerminal = (prompt: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const opened = Result.try(() => openSync("/dev/tty", "r+"))
    if (Result.isFailure(opened)) {
      reject(new NoPassphrase("no terminal to ask for a passphrase on"))
      return
    }
    const fd = opened.success
    // One descriptor: the read stream owns it and closes it when destroyed.
    const input = new tty.ReadStream(fd)
    const say = (text: string) => Result.try(() => writeSync(fd, text))
    let typed = ""
    const finish = (then: () => void) => {
      input.setRawMode(false)
      input.removeAllListeners("data")
      say("\n")
      input.destroy()
      then()
    }
    input.on("error", (error) => reject(error))
    input.setRawMode(true)
    say(prompt)
    input.on("data", (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish(() => resolve(typed))
        if (char === "\u0003") return finish(() => process.exit(130))
        if (char === "\u0004" && typed === "") return finish(() => reject(new NoPassphrase("no passphrase given (end of input)")))
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("")
        else if (char >= " ") typed += char
      }
    })
    input.resume()
  })

export interface PassphraseOptions {
  readonly env: Readonly<Record<string, string | undefined>>
  /** ask twice and insist they match (a new key) */
  readonly confirm: boolean
  readonly purpose: string
}

/** The passphrase from the environment, else from the terminal; fails when there is neither. */
export const obtainPassphrase = async (options: PassphraseOptions): Promise<string> => {
  const fromEnv = options.env.SIGMAVAULT_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv
  const first = await promptOnTerminal(`Passphrase ${options.purpose}: `).catch((error: unknown) => {
    throw error instanceof NoPassphrase
      ? new NoPassphrase(`${error.message}; set SIGMAVAULT_PASSPHRASE or run on a terminal`)
      : error
  })
  if (first === "") throw new NoPassphrase("the passphrase is empty")
  if (options.confirm) {
    const second = await promptOnTerminal("Same passphrase again: ")
    if (second !== first) throw new NoPassphrase("the two passphrases differ")
  }
  return first
}
