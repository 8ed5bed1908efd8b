import { deflateSync, gzipSync } from 'node:zlib'
import { Packr } from 'msgpackr'

/**
 * Hostile stored values, as another program could write them into a namespace: decompression
 * bombs, absurd sizes and shapes. Shared by test/integration/hostile-values.test.ts and
 * bench/probes/hostile-values.ts.
 */

/**
 * 1,681 bytes of brotli that expand to 1 GiB of spaces (0x20): `createBrotliCompress` at quality 11
 * fed 1,024 chunks of 1 MiB (taking some 30 s, hence this copy). Its expansion is checked, streamed,
 * by test/unit/value-limits.test.ts.
 */
export const brotliBomb1GiB: Buffer = Buffer.from(
  'y///P/glQOKxQCD3/o///3/wSwDEYRGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/x///P/glAOKwAED3/o///3/wSwDEYQGA7v0f////4JcAiMMCAN37P/7//8EvARCHBQC693/8//+DXwIgDgsAdO//+P//B78EQBwWAOje//H//w9+CYA4LADQvf/j//8f/BIAcVgAoHv/Nw==',
  'base64',
)

/** How many bytes `brotliBomb1GiB` expands to. */
export const brotliBomb1GiBExpanded = 2 ** 30

/**
 * Stored data that flipcache's header marks as compressed with `algorithm` ('g' gzip, 'd' deflate,
 * 'b' brotli): NUL, the flags byte '@' + 0x02 = 'B', the algorithm, then `data` (docs/format.md).
 */
export function markedCompressed(algorithm: 'g' | 'd' | 'b', data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`\0B${algorithm}`, 'latin1'), data])
}

/** The brotli bomb as flipcache's header marks it: what a reader of a compressing cache expands. */
export const markedBrotliBomb: Buffer = markedCompressed('b', brotliBomb1GiB)

/** `bytes` spaces, gzipped ('g') or deflated ('d') and marked as such: a bomb of the size asked. */
export function compressedSpaces(algorithm: 'g' | 'd', bytes: number): Buffer {
  const compress = algorithm === 'g' ? gzipSync : deflateSync
  return markedCompressed(algorithm, compress(Buffer.alloc(bytes, 0x20)))
}

/** JSON arrays nested `depth` deep: `[[[...]]]`. */
export function nestedJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

/** A JavaScript array nested `depth` deep, built without recursion. */
export function nestedArray(depth: number): unknown[] {
  let value: unknown[] = []
  for (let level = 1; level < depth; level++) value = [value]
  return value
}

/**
 * MessagePack of an object that holds itself (`a.self === a`), in msgpackr's structured-clone
 * extensions (0x69 id, 0x70 pointer): what a reader with structured clones on turns into a cycle.
 */
export function cyclicMsgpack(): Buffer {
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = cyclic
  return new Packr({ structuredClone: true, moreTypes: true, mapsAsObjects: false }).pack(cyclic)
}

/** Bytes that are not UTF-8: 'a', a lone continuation byte 0xff, 'b'. */
export const invalidUtf8: Buffer = Buffer.from([0x61, 0xff, 0x62])
