// Adds to package-lock.json the platform-specific optional dependencies (esbuild, rollup, biome,
// msgpackr-extract binaries for other systems) that `npm install` leaves out when the registry it
// talks to does not serve them: without those entries `npm ci` refuses the lockfile ("Missing: ...
// from lock file"). Each entry is marked optional, so npm ci skips what this platform cannot use.
// Run it after any `npm install` that rewrites the lockfile: node .ci/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
const packages = lock.packages
let added = 0
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${location === '' ? '' : `${location}/`}node_modules/${name}`
    const hoisted = `node_modules/${name}`
    if (packages[nested] !== undefined || packages[hoisted] !== undefined) continue
    packages[hoisted] = { version, optional: true }
    added++
  }
}
const [root, ...rest] = Object.entries(packages)
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => a.localeCompare(b))])
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`package-lock.json: ${added} optional platform entr${added === 1 ? 'y' : 'ies'} added`)
