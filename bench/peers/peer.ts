import type { User } from '../support/data.js'

/** 'memory+redis': the library's in-process tier in front of Redis; 'redis': Redis only. */
export type PeerTier = 'memory+redis' | 'redis'

/** One peer library, configured one way, driven through the calls the benchmark makes. */
export interface PeerCache {
  /** Row label, e.g. "BentoCache (memory + Redis)". */
  readonly label: string
  /** The row's exact configuration in one or two sentences (library options used, what is default), for docs/benchmarks.md. */
  readonly config: string
  /** npm package name whose version the report shows, e.g. 'bentocache'. */
  readonly library: string
  get(key: string): Promise<User | undefined>
  /** The library's own batch read if it has one; otherwise Promise.all of get(), and `config` must say so. */
  getMany(keys: string[]): Promise<(User | undefined)[]>
  set(key: string, value: User, ttlMs: number): Promise<void>
  /** The library's own batch write if it has one; otherwise Promise.all of set(), and `config` says so. */
  setMany(entries: [string, User][], ttlMs: number): Promise<void>
  /** Its read-through / stampede-protected API (BentoCache getOrSet, cacheable getOrSet, cache-manager wrap). */
  getOrSet(key: string, loader: () => Promise<User>, ttlMs: number): Promise<User>
  /** Closes everything the adapter opened: connections, timers, buses. */
  close(): Promise<void>
}

export interface PeerOptions {
  /** redis://127.0.0.1:<port> of the benchmark's private server. */
  redisUrl: string
  /** Every Redis key the peer writes must start with this (use the library's namespace/prefix option). */
  namespace: string
  tier: PeerTier
  /** The library's copy-free in-memory mode (no serialize/clone on L1 hits), where it has one. */
  copyFree?: boolean
}

export interface PeerFactory {
  /** 'bentocache' | 'cacheable' | 'cache-manager' */
  readonly name: string
  /** Whether it has a copy-free memory mode (then create() honours copyFree). */
  readonly hasCopyFree: boolean
  create(options: PeerOptions): Promise<PeerCache>
}
