import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  entry: ['src/index.ts'],
  dts: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
}

export default defineConfig([
  { ...shared, format: ['esm'] },
  // quick-lru ships as ES modules only: a require() of it hands CommonJS the module namespace, not
  // its class, so the CommonJS build carries its own copy.
  { ...shared, format: ['cjs'], noExternal: ['quick-lru'] },
])
