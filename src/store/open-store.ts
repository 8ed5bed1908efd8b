import type { ResolvedOptions } from '../options.js'
import type { TransportView } from '../redis/transport-view.js'
import { HashStore } from './hash-store.js'
import type { Store } from './store.js'
import { StringStore } from './string-store.js'

/** The Redis layout the `storage` option asks for: one string per entry, or hash buckets. */
export function openStore<K, V>(
  batcher: TransportView,
  name: string,
  keyPrefix: string,
  options: ResolvedOptions<K, V>,
): Store {
  // Compressed values are bytes: with compression on, replies are read as bytes for every codec.
  const reply = options.compression === undefined ? options.valueCodec.reply : 'buffer'
  const { buckets } = options
  if (buckets === undefined) return new StringStore(batcher, keyPrefix, reply)
  return new HashStore(batcher, keyPrefix, reply, buckets.layout, buckets.expire, (message) =>
    process.emitWarning(`FlipCache \`${name}\`: ${message}`, {
      type: 'FlipCacheWarning',
      code: 'E_LISTPACK',
    }),
  )
}
