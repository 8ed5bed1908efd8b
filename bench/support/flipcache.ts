import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The benchmark measures the built package, which is what users run: the sources loaded through
 * tsx carry esbuild's `keepNames` wrappers on every closure, which cost a few µs per call.
 * `npm run bench` builds first; the types come from the sources.
 */
const built = new URL('../../dist/index.js', import.meta.url)
if (!existsSync(fileURLToPath(built))) {
  throw new Error('dist/index.js is missing: run `npm run build` (npm run bench does it for you)')
}
const flipcache = (await import(built.href)) as typeof import('../../src/index.js')

export const { FlipCache } = flipcache
export const { RateLimiter } = flipcache
