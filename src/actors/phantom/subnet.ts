/** The tunnel's IPv4 subnet: the server takes its first host address, peers the next free ones. */

export interface Subnet {
  readonly network: number
  readonly prefix: number
}

const toNumber = (address: string): number | undefined => {
  const parts = address.split(".")
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

export const toAddress = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")

/** An IPv4 subnet with room for the server and at least one peer (prefix 8 to 30), or why not. */
export const parseSubnet = (text: string): Subnet | string => {
  const [address, prefixText, ...rest] = text.split("/")
  const base = address === undefined ? undefined : toNumber(address)
  const prefix = Number(prefixText)
  if (rest.length > 0 || base === undefined || !/^[0-9]{1,2}$/.test(prefixText ?? "") || prefix < 8 || prefix > 30) {
    return `'${text}' is not an IPv4 subnet with a prefix from /8 to /30 (e.g. 10.8.0.0/24)`
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return { network: (base & mask) >>> 0, prefix }
}

export const serverAddress = (subnet: Subnet): string => toAddress(subnet.network + 1)

/** The first host address not in `used` (each "a.b.c.d"), after the server's; undefined when the subnet is full. */
export const nextFree = (subnet: Subnet, used: ReadonlySet<string>): string | undefined => {
  const size = 2 ** (32 - subnet.prefix)
  for (let offset = 2; offset < size - 1; offset++) {
    const candidate = toAddress(subnet.network + offset)
    if (!used.has(candidate)) return candidate
  }
  return undefined
}
