import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, delimiter, dirname, join, resolve } from 'node:path'

/**
 * Which server the tests and benchmarks start: a path (or a name on the PATH) of a `redis-server`
 * or a `valkey-server`. `.ci/run` sets it to run the suite on every server of the matrix.
 */
export const serverVariable = 'FLIPCACHE_REDIS_SERVER'

/** The CLI that joins test clusters (`--cluster create`); by default the one next to the server. */
export const cliVariable = 'FLIPCACHE_REDIS_CLI'

export type Environment = Readonly<Record<string, string | undefined>>

const chosen = (env: Environment, variable: string): string | undefined => {
  const value = env[variable]?.trim()
  if (value === undefined || value === '') return undefined
  // A path is made absolute once, so it means the same from any working directory.
  return value.includes('/') ? resolve(value) : value
}

/** The server binary: `FLIPCACHE_REDIS_SERVER`, else `redis-server` on the PATH. */
export function serverBinary(env: Environment = process.env): string {
  return chosen(env, serverVariable) ?? 'redis-server'
}

/** Where a command name is found on `env.PATH`, or `undefined`. */
function onPath(name: string, env: Environment, exists: (path: string) => boolean): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && exists(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/**
 * The CLI for the server: `FLIPCACHE_REDIS_CLI`; else, when `FLIPCACHE_REDIS_SERVER` is set, a
 * `valkey-cli` or `redis-cli` in the server's directory (the server's own family first); else
 * `redis-cli` on the PATH.
 */
export function cliBinary(
  env: Environment = process.env,
  exists: (path: string) => boolean = existsSync,
): string {
  const cli = chosen(env, cliVariable)
  if (cli !== undefined) return cli
  const server = chosen(env, serverVariable)
  if (server !== undefined) {
    const path = server.includes('/') ? server : onPath(server, env, exists)
    if (path !== undefined) {
      const names = basename(path).startsWith('valkey')
        ? ['valkey-cli', 'redis-cli']
        : ['redis-cli', 'valkey-cli']
      const sibling = names.map((name) => join(dirname(path), name)).find((candidate) => exists(candidate))
      if (sibling !== undefined) return sibling
    }
  }
  return 'redis-cli'
}

/** A server binary, as its `--version` names it. */
export interface ServerIdentity {
  /** 'Redis' or 'Valkey' (the first word of `--version`). */
  readonly name: string
  /** Such as '7.0.15' or '8.0.1'. */
  readonly version: string
  /** The binary that was asked, as given (a path or a name on the PATH). */
  readonly binary: string
}

/**
 * Reads `redis-server --version` (`Redis server v=7.0.15 sha=…`) or `valkey-server --version`
 * (`Valkey server v=8.0.1 sha=…`).
 */
export function parseServerVersion(output: string, binary: string): ServerIdentity {
  const match = /^(\w+) server v=(\d+\.\d+\.\d+)/m.exec(output)
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`${binary} --version did not say which server it is: ${JSON.stringify(output.trim())}`)
  }
  return { name: match[1], version: match[2], binary }
}

/** What to tell someone whose server binary is missing. */
export function installHint(binary: string): string {
  return (
    `${binary} was not found. Install Redis (Debian/Ubuntu: \`apt-get install redis-server\`, ` +
    `macOS: \`brew install redis\`), set ${serverVariable} to the path of a redis-server or ` +
    'valkey-server, or set REDIS_URL to a server flipcache may write to.'
  )
}

/** Runs `<binary> --version` and says which server it is. */
export function identifyServer(binary: string = serverBinary()): ServerIdentity {
  let output: string
  try {
    output = execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(installHint(binary))
    throw error
  }
  return parseServerVersion(output, binary)
}
