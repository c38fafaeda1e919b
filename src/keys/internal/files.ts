/** File-mode helpers for the key modules (their files go through the Files port, src/adapters/fs/Files.ts). */

/** `0644`-style rendering of a mode's permission bits. */
export const octalMode = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, "0")}`

/** Whether anyone but the owner may read, write or search the file. */
export const isOpenToOthers = (mode: number): boolean => (mode & 0o077) !== 0
