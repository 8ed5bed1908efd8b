import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  entry: { index: 'src/index.ts', otel: 'src/otel/index.ts', keyv: 'src/keyv/index.ts' },
  // No source maps: they would point at sources the package does not ship.
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
}

export default defineConfig([
  // The declarations are built once, here: the build script copies each .d.ts to a .d.cts, which
  // tsup would otherwise build a second time, to the same text, in as long again.
  { ...shared, format: ['esm'], dts: true },
  // quick-lru ships as ES modules only: a require() of it hands CommonJS the module namespace, not
  // its class, so the CommonJS build carries its own copy.
  { ...shared, format: ['cjs'], noExternal: ['quick-lru'] },
])
