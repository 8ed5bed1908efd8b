import { Command, type Redis } from 'ioredis'
import RedisMock from 'ioredis-mock'

/**
 * An in-memory ioredis-mock client, with the three things FlipCache needs of an ioredis client that
 * ioredis-mock 8 does not have: a `status`, `call`, and `sendCommand` of ioredis `Command` objects
 * (flipcache builds its own, to pipeline every tick and to fence timed-out writes), on the client
 * and on its pipelines. Each command runs on ioredis-mock's method of the same name; a command
 * asked for as bytes (flipcache reads values as Buffers) runs on its `…Buffer` variant.
 *
 * For the benchmark's no-Redis mode only: a cache on it keeps to what ioredis-mock emulates when it
 * has `sync: 'none'` and is read from L1 (writes, then L1 hits). It measures flipcache's in-process
 * path, never Redis.
 */
export function inProcessRedis(): Redis {
  const mock = new RedisMock() as unknown as Redis & Record<string, unknown>
  const run = async (command: Command): Promise<unknown> => {
    const name = command.name.toLowerCase()
    const bytes = (command as unknown as { replyEncoding?: string | null }).replyEncoding === null
    const method = (bytes ? mock[`${name}Buffer`] : undefined) ?? mock[name]
    if (typeof method !== 'function') {
      command.reject(new Error(`ioredis-mock has no '${name}' command (no-Redis benchmark mode)`))
      return command.promise
    }
    try {
      command.resolve(await (method as (...args: unknown[]) => Promise<unknown>).apply(mock, command.args))
    } catch (error) {
      command.reject(error as Error)
    }
    return command.promise
  }
  Object.defineProperty(mock, 'status', { value: 'ready', writable: true, configurable: true })
  Object.assign(mock, {
    sendCommand: run,
    call: (name: string, ...args: (string | number | Buffer)[]) =>
      run(new Command(name, args, { replyEncoding: 'utf8' })),
    // One command after the other, each answered in the pipeline's results, as ioredis's exec() does.
    pipeline: () => {
      const queued: Command[] = []
      return {
        sendCommand(command: Command) {
          queued.push(command)
        },
        async exec(): Promise<[Error | null, unknown][]> {
          const results: [Error | null, unknown][] = []
          for (const command of queued) {
            results.push(
              await run(command).then(
                (result): [null, unknown] => [null, result],
                (error: Error): [Error, null] => [error, null],
              ),
            )
          }
          return results
        },
      }
    },
    quit: async () => {
      mock.disconnect()
      ;(mock as { status: string }).status = 'end'
      return 'OK'
    },
  })
  return mock
}
