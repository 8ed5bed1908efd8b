import type { PendingCalls } from '../pending-calls.js'

/** What the facade lends every group of its calls (write-calls, read-through-calls, namespace-calls). */
export interface FacadeCallsConfig {
  /** The cache's name, for traces. */
  name: string
  /** The calls close() rejects with E_CLOSED while they wait. */
  pending: PendingCalls
  /** Throws `E_CLOSED` once the cache is closing. */
  checkOpen: () => void
  /** The cache's start (its subscription), while it is still on its way; `undefined` after. */
  starting: () => Promise<void> | undefined
}
