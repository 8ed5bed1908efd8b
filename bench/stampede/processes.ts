import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CallersOutcome } from './callers.js'

const childScript = fileURLToPath(new URL('./child.ts', import.meta.url))

/**
 * The stampede across `processes` processes: each child opens `subject`, says it is ready, and
 * runs its share of the callers when told to go, so that every process starts at once; it closes
 * its instance only when told to, after every child has answered. `around` wraps the stampede
 * itself, from the go to the last answer (to read the server's counters around it).
 */
export async function acrossProcesses(
  processes: number,
  args: {
    subject: string
    redisUrl: string
    namespace: string
    key: string
    callers: number
    loaderMs: number
  },
  around: <T>(run: () => Promise<T>) => Promise<T> = (run) => run(),
): Promise<CallersOutcome> {
  const share = Math.ceil(args.callers / processes)
  const children = Array.from({ length: processes }, () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        childScript,
        args.subject,
        args.redisUrl,
        args.namespace,
        args.key,
        String(share),
        String(args.loaderMs),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    let buffered = ''
    const lines: string[] = []
    const waiters: (() => void)[] = []
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        lines.push(buffered.slice(0, end))
        buffered = buffered.slice(end + 1)
        for (const wake of waiters.splice(0)) wake()
      }
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const line = async (prefix: string): Promise<string> => {
      for (;;) {
        const found = lines.find((each) => each.startsWith(prefix))
        if (found !== undefined) return found
        const code = await Promise.race([
          new Promise<'more'>((resolve) => waiters.push(() => resolve('more'))),
          exited,
        ])
        if (code !== 'more')
          throw new Error(`stampede child (${args.subject}) exited with ${code} before '${prefix}'`)
      }
    }
    return { child, line, exited }
  })
  try {
    await Promise.all(children.map(({ line }) => line('ready')))
    const results = await around(() => {
      for (const { child } of children) child.stdin.write('go\n')
      return Promise.all(children.map(({ line }) => line('result ')))
    })
    for (const { child } of children) child.stdin.end('close\n')
    const outcomes = results.map((text) => JSON.parse(text.slice('result '.length)) as CallersOutcome)
    await Promise.all(children.map(({ exited }) => exited))
    return {
      loaderCalls: outcomes.reduce((sum, each) => sum + each.loaderCalls, 0),
      values: outcomes.flatMap((each) => each.values),
      latencies: outcomes.flatMap((each) => each.latencies),
    }
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill()
  }
}
