import type { ReplyMode } from '../redis/steps.js'
import type { TransportView } from '../redis/transport-view.js'
import type { BucketSettings } from './bucket-layout.js'
import { HashStore } from './hash-store.js'
import type { Store } from './store.js'
import { StringStore } from './string-store.js'

/** What the layout needs to know of the cache's options (resolved by options.ts, which imports this folder). */
export interface StoreSettings {
  /** How replies are read: as the value codec wants them, or as bytes when values may be compressed. */
  reply: ReplyMode
  /** Hash buckets (`storage: { kind: 'hash', ... }`), or `undefined` for one string per entry. */
  buckets: BucketSettings | undefined
}

/** The Redis layout the `storage` option asks for: one string per entry, or hash buckets. */
export function openStore(
  batcher: TransportView,
  name: string,
  keyPrefix: string,
  settings: StoreSettings,
): Store {
  const { reply, buckets } = settings
  if (buckets === undefined) return new StringStore(batcher, keyPrefix, reply)
  return new HashStore(batcher, keyPrefix, reply, buckets, (message) =>
    process.emitWarning(`FlipCache \`${name}\`: ${message}`, {
      type: 'FlipCacheWarning',
      code: 'E_LISTPACK',
    }),
  )
}
