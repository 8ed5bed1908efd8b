/**
 * `vi.waitFor` options for a loaded machine: its default of 1 s is short for a message to cross the
 * bus, a lock release or a reconnection when the CPU is contended. It only waits as long as needed.
 */
export const patience = { timeout: 10_000, interval: 20 }
