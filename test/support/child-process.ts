import { type ChildProcess, spawn } from 'node:child_process'
import { inject } from 'vitest'

/** A child process running a bundled child script (get-or-set-child.ts unless told), with its stdout lines as they come. */
export interface Child {
  process: ChildProcess
  /** Resolves with the first stdout line that starts with `prefix`. */
  line(prefix: string, withinMs?: number): Promise<string>
  /** Tells the child to start its work now (getOrSet, increments, a hand-over). */
  go(): void
}

export function spawnChild(args: string[], script: string = inject('childScripts').getOrSet): Child {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiting: { prefix: string; resolve: (line: string) => void }[] = []
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end)
      buffered = buffered.slice(end + 1)
      lines.push(line)
      for (const waiter of waiting.filter((each) => line.startsWith(each.prefix))) {
        waiting.splice(waiting.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  return {
    process: child,
    go: () => child.stdin?.write('go\n'),
    line: (prefix, withinMs = 15_000) =>
      new Promise<string>((resolve, reject) => {
        const seen = lines.find((line) => line.startsWith(prefix))
        if (seen !== undefined) {
          resolve(seen)
          return
        }
        const timer = setTimeout(
          () => reject(new Error(`child printed no '${prefix}' line in ${withinMs} ms`)),
          withinMs,
        )
        waiting.push({
          prefix,
          resolve: (line) => {
            clearTimeout(timer)
            resolve(line)
          },
        })
      }),
  }
}
