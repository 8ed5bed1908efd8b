// CommonJS consumers resolve `require` to dist/*.d.cts. tsup builds the declarations once, as ES
// module .d.ts files that may share chunks; each is copied to a .d.cts whose relative imports name
// the .cjs twins, so that TypeScript reads a CommonJS consumer's types as CommonJS throughout.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dist = process.argv[2] ?? 'dist'
for (const file of readdirSync(dist)) {
  if (!file.endsWith('.d.ts')) continue
  const text = readFileSync(join(dist, file), 'utf8')
  const cts = text
    .replace(/(from\s+'\.\/[^']+)\.js'/g, "$1.cjs'")
    .replace(/(import\s+'\.\/[^']+)\.js'/g, "$1.cjs'")
  writeFileSync(join(dist, file.replace(/\.d\.ts$/, '.d.cts')), cts)
}
