import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The child scripts of the multi-process tests, bundled to plain JavaScript that `node` runs as is. */
export interface ChildScripts {
  /** get-or-set-child.ts, bundled. */
  getOrSet: string
  /** sync-child.ts, bundled. */
  sync: string
  /** write-behind-child.ts, bundled. */
  writeBehind: string
  /** rate-limit-child.ts, bundled. */
  rateLimit: string
  /** list-ranking-child.ts, bundled. */
  listRanking: string
  /** counter-child.ts, bundled. */
  counter: string
}

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Bundles the child scripts with esbuild, once per run, so that the tests start children with plain
 * `node` instead of `node --import tsx` (which compiles TypeScript at every start: seconds under load).
 * flipcache's source is bundled in; packages stay imports, so the bundles live under
 * node_modules/.cache, from where Node finds the project's node_modules. `remove` deletes them.
 */
export async function bundleChildScripts(): Promise<ChildScripts & { remove(): void }> {
  const cache = join(root, 'node_modules', '.cache')
  mkdirSync(cache, { recursive: true })
  const outdir = mkdtempSync(join(cache, 'flipcache-test-children-'))
  try {
    await build({
      entryPoints: {
        'get-or-set-child': join(root, 'test/support/get-or-set-child.ts'),
        'sync-child': join(root, 'test/support/sync-child.ts'),
        'write-behind-child': join(root, 'test/support/write-behind-child.ts'),
        'rate-limit-child': join(root, 'test/support/rate-limit-child.ts'),
        'list-ranking-child': join(root, 'test/support/list-ranking-child.ts'),
        'counter-child': join(root, 'test/support/counter-child.ts'),
      },
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    })
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true })
    throw error
  }
  return {
    getOrSet: join(outdir, 'get-or-set-child.mjs'),
    sync: join(outdir, 'sync-child.mjs'),
    writeBehind: join(outdir, 'write-behind-child.mjs'),
    rateLimit: join(outdir, 'rate-limit-child.mjs'),
    listRanking: join(outdir, 'list-ranking-child.mjs'),
    counter: join(outdir, 'counter-child.mjs'),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  }
}
