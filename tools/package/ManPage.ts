/**
 * sigmavault(8), written from the CLI's own help: `sigmavault --help` names
 * the commands, `sigmavault COMMAND --help` gives each one's usage, summary,
 * options and details. Nothing here is typed twice, so the page cannot drift
 * from the binary it ships with. Pure: text in, roff out.
 */

export interface CommandHelp {
  readonly name: string
  /** "AGENT JSON", "" */
  readonly args: string
  readonly summary: string
  readonly options: ReadonlyArray<Option>
  /** free text after the options (examples, pointers), lines kept */
  readonly details: ReadonlyArray<string>
}

export interface Option {
  readonly label: string
  readonly help: string
}

export interface MainHelp {
  readonly commands: ReadonlyArray<string>
  readonly options: ReadonlyArray<Option>
  /** the "Exit codes:" paragraph, as one line */
  readonly exitCodes: string
}

export class HelpFormatError extends Error {}

const sections = (text: string): Map<string, ReadonlyArray<string>> => {
  // A section starts at a line "Title:" or "Title: rest" at column 0; its body runs to the next one.
  const result = new Map<string, Array<string>>()
  let current: Array<string> = []
  result.set("", current)
  for (const line of text.split("\n")) {
    const heading = /^([A-Z][A-Za-z ]*):(?:\s+(.*))?$/.exec(line)
    if (heading !== null) {
      current = heading[2] === undefined ? [] : [heading[2]]
      result.set(heading[1]!, current)
    } else {
      current.push(line)
    }
  }
  return result
}

/** "  --socket PATH     control socket ..." (two or more spaces between label and help). */
const parseOptions = (lines: ReadonlyArray<string>, where: string): ReadonlyArray<Option> => {
  const options: Array<Option> = []
  for (const line of lines) {
    if (line.trim() === "") {
      if (options.length > 0) break
      continue
    }
    const match = /^ {2}(\S.*?) {2,}(\S.*)$/.exec(line)
    if (match === null) throw new HelpFormatError(`${where}: not an option line: '${line}'`)
    options.push({ label: match[1]!, help: match[2]! })
  }
  return options
}

export const parseMainHelp = (text: string): MainHelp => {
  const parts = sections(text)
  const commandLines = parts.get("Commands")
  if (commandLines === undefined) throw new HelpFormatError("sigmavault --help: no 'Commands:' section")
  const commands = commandLines.filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim().split(/\s+/)[0]!)
  if (commands.length === 0) throw new HelpFormatError("sigmavault --help: no command listed")
  const exit = parts.get("Exit codes")
  return {
    commands,
    options: parseOptions(parts.get("Options") ?? [], "sigmavault --help"),
    exitCodes: (exit ?? []).map((line) => line.trim()).filter((line) => line !== "").join(" ")
  }
}

export const parseCommandHelp = (name: string, text: string): CommandHelp => {
  const where = `sigmavault ${name} --help`
  const lines = text.split("\n")
  const usage = new RegExp(`^Usage: sigmavault ${name.replace(/[^a-z0-9-]/g, "")}(?: (.*?))? \\[options\\]$`).exec(lines[0] ?? "")
  if (usage === null) throw new HelpFormatError(`${where}: first line is not 'Usage: sigmavault ${name} … [options]': '${lines[0] ?? ""}'`)
  const summary = (lines[2] ?? "").trim().replace(/\.$/, "")
  if (summary === "" || lines[1] !== "") throw new HelpFormatError(`${where}: no summary on its third line`)
  const optionsAt = lines.indexOf("Options:")
  if (optionsAt < 0) throw new HelpFormatError(`${where}: no 'Options:' section`)
  const options = parseOptions(lines.slice(optionsAt + 1), where)
  // Details: what follows the blank line that ends the options.
  let end = optionsAt + 1
  while (end < lines.length && lines[end]!.trim() !== "") end++
  const details = lines.slice(end).map((line) => line.trimEnd())
  while (details.length > 0 && details[0] === "") details.shift()
  while (details.length > 0 && details[details.length - 1] === "") details.pop()
  return { name, args: usage[1] ?? "", summary, options, details }
}

// ---------------------------------------------------------------- roff

/** Text for a roff line: backslashes escaped, hyphens as minus signs where options are, no leading control character. */
export const escape = (text: string): string => {
  const escaped = text.replace(/\\/g, "\\e").replace(/-/g, "\\-")
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped
}

const bold = (text: string) => `\\fB${escape(text)}\\fR`

/** An option label: flags bold, their value names italic ("--socket PATH", "-o, --output FILE"). */
const optionLabel = (label: string): string =>
  label
    .split(/(, | )/)
    .map((part) => (part === ", " || part === " " ? part : part.startsWith("-") ? bold(part) : `\\fI${escape(part)}\\fR`))
    .join("")

const optionList = (options: ReadonlyArray<Option>): ReadonlyArray<string> =>
  options.flatMap((option) => [".TP", optionLabel(option.label), escape(option.help)])

export interface PageInfo {
  readonly version: string
  /** YYYY-MM-DD */
  readonly date: string
}

const DESCRIPTION = [
  "SigmaVault is a NAS daemon: 40 supervised agents in one executable.",
  ".B sigmavault run",
  "starts the daemon (the sigmavault.service unit runs it under systemd); every other command",
  "is a client of its control socket, or works on files by itself",
  "(keygen, encrypt, decrypt, compress, decompress, store)."
]

const FILES: ReadonlyArray<readonly [string, string]> = [
  ["/etc/sigmavault/sigmavault.conf", "the configuration; every key is described in /usr/share/doc/sigmavault/docs/configuration.md"],
  ["/run/sigmavault/control.sock", "the control socket; who may use it is set by socket_group and socket_mode"],
  ["/var/lib/sigmavault", "the agents' persistent state"],
  ["/lib/systemd/system/sigmavault.service", "the systemd unit"],
  ["/usr/share/doc/sigmavault", "the documentation"]
]

export const render = (main: MainHelp, commands: ReadonlyArray<CommandHelp>, info: PageInfo): string => {
  const lines: Array<string> = [
    `.\\" Generated by tools/package.ts from 'sigmavault --help' and 'sigmavault COMMAND --help'. Do not edit.`,
    `.TH SIGMAVAULT 8 "${info.date}" "sigmavault ${escape(info.version)}" "System Administration"`,
    ".SH NAME",
    "sigmavault \\- SigmaVault NAS daemon and its command\\-line client",
    ".SH SYNOPSIS",
    ".B sigmavault",
    ".I command",
    "[\\fIoptions\\fR]",
    ".br",
    ".B sigmavault",
    "[\\fB\\-h\\fR|\\fB\\-\\-help\\fR|\\fB\\-\\-version\\fR]",
    ".SH DESCRIPTION",
    ...DESCRIPTION,
    ".SH COMMANDS"
  ]
  for (const command of commands) {
    lines.push(".SS " + `${escape(command.name)}${command.args === "" ? "" : ` ${escape(command.args)}`}`)
    lines.push(`${escape(command.summary)}.`)
    if (command.options.length > 0) lines.push(".PP", "Options:", ".RS", ...optionList(command.options), ".RE")
    if (command.details.length > 0) {
      lines.push(".PP", ".nf", ...command.details.map((line) => (line === "" ? "" : escape(line))), ".fi")
    }
  }
  lines.push(".SH OPTIONS", ...optionList(main.options))
  if (main.exitCodes !== "") lines.push(".SH EXIT STATUS", escape(main.exitCodes))
  lines.push(".SH FILES")
  for (const [path, what] of FILES) lines.push(".TP", `.I ${escape(path)}`, escape(what))
  lines.push(
    ".SH SEE ALSO",
    ".BR systemctl (1),",
    ".BR journalctl (1),",
    ".BR systemd.exec (5)",
    ".PP",
    "/usr/share/doc/sigmavault/README.md and the documents beside it."
  )
  return `${lines.join("\n")}\n`
}
