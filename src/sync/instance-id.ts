import { randomBytes } from 'node:crypto'

/** A random id for a cache instance, carried by its sync messages and lock notices (so it skips its own). */
export function instanceId(): string {
  return randomBytes(6).toString('base64url')
}
