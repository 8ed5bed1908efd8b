/**
 * The default of the `maxValueBytes` option: 1 MiB, memcached's default item size. What a cache
 * usually holds (pages, API replies, lists of records) fits; and the worst any stored value can cost
 * a reader (expanding a decompression bomb up to the bound, checking its UTF-8, parsing it) stays
 * near the 50 ms the event loop may be held, where 8 MiB of JSON alone took 100 to 500 ms to parse on
 * a loaded 2-core machine. bench/probes/hostile-values.ts measures it; docs/format.md explains it.
 */
export const defaultMaxValueBytes = 2 ** 20

/**
 * The largest `maxValueBytes` may be: Redis's own limit for a string (`proto-max-bulk-len`, 512 MB
 * by default), which is also about the longest string V8 can make.
 */
export const largestMaxValueBytes = 512 * 2 ** 20
