import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Manifest, readManifest, repoRoot, run, unpack } from './pack.js'

/** A fresh project that installs the packed package, as a user's would. */
export interface ConsumerSpec {
  /** Its folder name, and the label of its test. */
  name: string
  /** package.json `type`: how Node loads its .js files. */
  type: 'module' | 'commonjs'
  /** The file of test/package/consumer/ it is written in: `main.ts` (compiled with tsc) or `main.cjs`. */
  source: 'main.ts' | 'main.cjs'
  /** tsc's compilerOptions for a TypeScript consumer (`outDir` is set here). */
  compilerOptions?: Record<string, unknown>
  /** The folder of node_modules/ that holds the ioredis it uses: `ioredis` (6) or `ioredis-5` (5.9, the lowest the peer range accepts). */
  ioredis: 'ioredis' | 'ioredis-5'
}

export interface Consumer {
  dir: string
  /** The file `node` runs. */
  entry: string
  /** The version of the ioredis it got. */
  ioredisVersion: string
  /** The version of the keyv it got (an optional peer, which the consumer installs for flipcache-redis/keyv). */
  keyvVersion: string
  /** The package.json of the flipcache-redis it installed. */
  installed: Manifest
}

const sources = join(repoRoot, 'test/package/consumer')
const modules = join(repoRoot, 'node_modules')
const tsc = join(modules, 'typescript/bin/tsc')

function link(consumerModules: string, name: string, from: string): void {
  const target = join(consumerModules, name)
  mkdirSync(dirname(target), { recursive: true })
  symlinkSync(join(modules, from), target, 'dir')
}

/**
 * Creates the consumer in `parent`: the tarball unpacked into its node_modules/flipcache-redis, and
 * what npm would install beside it, taken from this repository's node_modules (installed by `npm ci`,
 * so no network is needed): only the `dependencies` and `peerDependencies` the packed package.json
 * declares (a dependency it forgot would be missing here too), the chosen ioredis, and for TypeScript
 * @types/node.
 */
export async function createConsumer(parent: string, tarball: string, spec: ConsumerSpec): Promise<Consumer> {
  const dir = join(parent, spec.name)
  const consumerModules = join(dir, 'node_modules')
  mkdirSync(consumerModules, { recursive: true })
  const installed = await unpack(tarball, join(consumerModules, 'flipcache-redis'))
  for (const name of Object.keys(installed.dependencies ?? {})) link(consumerModules, name, name)
  for (const name of Object.keys(installed.peerDependencies ?? {})) {
    link(consumerModules, name, name === 'ioredis' ? spec.ioredis : name)
  }
  const ioredisVersion = readManifest(join(consumerModules, 'ioredis')).version
  // Linked above as a peer of the package; a project using flipcache-redis/keyv lists it itself.
  const keyvVersion = readManifest(join(consumerModules, 'keyv')).version
  const project = {
    name: `consumer-${spec.name}`,
    private: true,
    type: spec.type,
    dependencies: { 'flipcache-redis': installed.version, ioredis: ioredisVersion, keyv: keyvVersion },
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`)
  copyFileSync(join(sources, spec.source), join(dir, spec.source))
  if (spec.compilerOptions === undefined)
    return { dir, entry: join(dir, spec.source), ioredisVersion, keyvVersion, installed }
  link(consumerModules, '@types/node', '@types/node')
  const tsconfig = { compilerOptions: { ...spec.compilerOptions, outDir: 'out' }, files: [spec.source] }
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`)
  return {
    dir,
    entry: join(dir, 'out', spec.source.replace(/\.ts$/, '.js')),
    ioredisVersion,
    keyvVersion,
    installed,
  }
}

/** Type-checks and compiles a TypeScript consumer with this repository's tsc; rejects with tsc's diagnostics. */
export async function compile(consumer: Consumer): Promise<void> {
  try {
    await run(process.execPath, [tsc, '-p', consumer.dir], { cwd: consumer.dir })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`tsc failed in ${consumer.dir}:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

/** Runs the consumer with plain `node` and returns the JSON line it printed; rejects with its stderr. */
export async function runConsumer(consumer: Consumer, env: Record<string, string>): Promise<unknown> {
  try {
    const { stdout } = await run(process.execPath, [consumer.entry], {
      cwd: consumer.dir,
      env: { ...process.env, ...env },
      timeout: 30_000,
    })
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '')
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${consumer.entry} failed:\n${stderr ?? ''}${stdout ?? ''}`)
  }
}
