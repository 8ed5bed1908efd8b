export { CompressionAlgorithm } from './entry/entry-header.js'
export {
  CacheClosedError,
  DeadLetterError,
  DecodeError,
  DictWriteError,
  EncodeError,
  ErrorCode,
  FlipCacheError,
  LoaderError,
  LoaderResultError,
  LoaderTimeoutError,
  LockLostError,
  PersistError,
  RedisTimeoutError,
  RedisUnavailableError,
  RestoreError,
  SyncError,
  ValueTooLargeError,
  WriteQueueFullError,
} from './errors.js'
export { type Duration, type ExpirePreset, expire, parseDuration } from './expire/index.js'
export type { DictKey, DictView } from './facade/dict-view.js'
export {
  FlipCache,
  type FlipCacheConstructor,
  type InferringOptions,
  type KeyTypeArg,
  type MissOfDefault,
  type RawOfInput,
  type ValueOfOptions,
} from './flipcache-constructor.js'
export type {
  FlipCacheEvents,
  InvalidateTagsOptions,
  Invalidation,
  KeyedWrapOptions,
  RedisStatusChange,
  SetOptions,
  WrapOptions,
  WrapOptionsArg,
} from './flipcache-types.js'
export type { GetOrSetOptions, LockOptions } from './loading/load-options.js'
export type {
  BatchLoader,
  BatchLoaderContext,
  Loader,
  LoaderContext,
  LoaderTtlOptions,
} from './loading/read-through.js'
export {
  type BreakerChange,
  channelNames,
  type ErrorEvent,
  type InvalidationReceived,
  type InvalidationSent,
  type LoadContext,
  type LocalEviction,
  type LockEvent,
  loadChannelName,
  type OperationContext,
  operationChannelName,
  type Tier,
  type TracedOperation,
  tracedOperations,
} from './observe/channels.js'
export type { AnyFlipCacheOptions, ExpireTime, FlipCacheOptions } from './options.js'
export type { ClusterInput, RedisInput } from './redis/connection.js'
export type { CacheStats } from './stats.js'
export type {
  FlipCounterOptions,
  PersistCounters,
  RestoreCounter,
} from './structures/counter/counter-options.js'
export type { FlipCounterEvents } from './structures/counter/flip-counter.js'
export { FlipCounter, type FlipCounterConstructor } from './structures/counter/flip-counter-constructor.js'
export { FlipList, type FlipListConstructor, type InferringListOptions } from './structures/list/flip-list.js'
export type { FlipListOptions } from './structures/list/list-options.js'
export {
  FlipRanking,
  type FlipRankingConstructor,
  type InferringRankingOptions,
} from './structures/ranking/flip-ranking.js'
export type { FlipRankingOptions } from './structures/ranking/ranking-options.js'
export type { Scored } from './structures/ranking/scores.js'
export { RateLimitAlgorithm, type RateLimiterOptions } from './structures/rate-limit/rate-limit-options.js'
export type { RateLimitResult } from './structures/rate-limit/rate-limit-result.js'
export type { RateLimiterEvents } from './structures/rate-limit/rate-limiter.js'
export { RateLimiter, type RateLimiterConstructor } from './structures/rate-limit/rate-limiter-constructor.js'
export type { StructureEvents } from './structures/structure-events.js'
export { type InvalidationOrigin, SyncMode } from './sync/sync-bus.js'
export {
  type KeyCodec,
  type KeyOfType,
  type KeyType,
  type KeyTypeFor,
  KeyTypeName,
  type KeyTypes,
} from './types/key-type.js'
export { type PythonTupleItem, pythonTupleKey } from './types/python-tuple.js'
export type { RedisValue } from './types/value-codec.js'
export {
  type StructuredValueTypeName,
  type TypedValueType,
  typed,
  type ValueOfType,
  type ValueTypeFor,
  ValueTypeName,
  type ValueTypes,
} from './types/value-type.js'
export type { WriteBehindChange } from './write-behind/changes.js'
export type { FlushChanges } from './write-behind/drain-step.js'
export type { WriteBehindOption, WriteThroughOption } from './write-policy/write-options.js'
