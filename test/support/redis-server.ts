import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installHint, serverBinary } from './server-binary.js'

/**
 * A private redis-server on 127.0.0.1, started for tests or benchmarks and stopped by them: the
 * binary `FLIPCACHE_REDIS_SERVER` names (a redis-server or valkey-server), else `redis-server`.
 */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>
  /** Kills the process outright (SIGKILL: no shutdown, no goodbye to a cluster) and waits for it to exit. */
  crash(): Promise<void>
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>
  /**
   * Suspends the process (SIGSTOP): its connections stay open but nothing is answered until `thaw`.
   * Unlike `CLIENT PAUSE ... ALL`, which holds up even the `CLIENT UNPAUSE` meant to end it, this
   * lasts exactly as long as the test wants.
   */
  freeze(): void
  /** Lets a frozen process run again (SIGCONT). */
  thaw(): void
  /** The server's version, such as '7.0.15' (Redis) or '8.0.1' (Valkey). */
  readonly version: string
}

/** Asks the OS for a free TCP port (`--port 0` would turn TCP off in Redis). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port)
        else reject(new Error('Could not get a free port'))
      })
    })
  })
}

function launch(
  port: number,
  dir: string,
  extraArgs: string[],
  binary: string,
): Promise<{ child: ChildProcess; version: string }> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]
  const child = spawn(binary, [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error(`${binary} did not start within 10 s:\n${output}`)), 10_000)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ENOENT' ? new Error(installHint(binary)) : error)
    })
    child.on('exit', (code) =>
      fail(new Error(`${binary} exited with code ${code} before it was ready:\n${output}`)),
    )
    let ready = false
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready) return
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        ready = true
        clearTimeout(timer)
        child.removeAllListeners('exit')
        const version =
          /v=(\d+\.\d+\.\d+)/.exec(output)?.[1] ??
          /(?:Redis|Valkey) version=(\d+\.\d+\.\d+)/.exec(output)?.[1]
        resolve({ child, version: version ?? 'unknown' })
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!ready) output += chunk.toString()
    })
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * Starts a redis-server on a free port of 127.0.0.1 with persistence off. `extraArgs` may be a
 * function, called again for each attempt, for arguments that name ports of their own (a cluster
 * node's bus port): a port another process took between the probe and the launch is then replaced too.
 * `binary` is the server to run (by default the one `FLIPCACHE_REDIS_SERVER` names).
 */
export async function startRedisServer(
  argsOfAttempt: string[] | (() => Promise<string[]>) = [],
  binary: string = serverBinary(),
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'flipcache-redis-'))
  let attempt = 0
  for (;;) {
    const port = await freePort()
    const extraArgs = typeof argsOfAttempt === 'function' ? await argsOfAttempt() : argsOfAttempt
    try {
      let { child, version } = await launch(port, dir, extraArgs, binary)
      let stopped = false
      const thaw = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT')
      }
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        version,
        freeze() {
          child.kill('SIGSTOP')
        },
        thaw,
        async stop() {
          stopped = true
          // A frozen process would not act on SIGTERM until it runs again.
          thaw()
          await exited(child)
          rmSync(dir, { recursive: true, force: true })
        },
        async crash() {
          stopped = true
          if (child.exitCode !== null || child.signalCode !== null) return
          const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
          child.kill('SIGKILL')
          await exit
        },
        async restart() {
          thaw()
          if (!stopped) await exited(child)
          mkdirSync(dir, { recursive: true })
          ;({ child, version } = await launch(port, dir, extraArgs, binary))
          stopped = false
        },
      }
    } catch (error) {
      // Another process may have taken the port between the probe and the launch: try another.
      if (++attempt >= 5 || (error as Error).message === installHint(binary)) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }
}
