import { loadedValue, type StampedeInstance } from './subjects.js'

/** What one stampede did in one process. */
export interface CallersOutcome {
  loaderCalls: number
  /** The value each caller got (its name says who loaded it). */
  values: string[]
  /** Each caller's wait, from the start to its answer, in ms. */
  latencies: number[]
}

/** `callers` concurrent getOrSet calls of `key`, spread over `instances`, with a loader of `loaderMs`. */
export async function runCallers(
  instances: StampedeInstance[],
  key: string,
  callers: number,
  loaderMs: number,
): Promise<CallersOutcome> {
  let loaderCalls = 0
  const loader = async () => {
    const call = ++loaderCalls
    await new Promise((resolve) => setTimeout(resolve, loaderMs))
    return loadedValue(call)
  }
  const startedAt = performance.now()
  const latencies: number[] = []
  const values = await Promise.all(
    Array.from({ length: callers }, async (_, index) => {
      const instance = instances[index % instances.length] as StampedeInstance
      const value = await instance.getOrSet(key, loader)
      latencies.push(performance.now() - startedAt)
      return value.name
    }),
  )
  return { loaderCalls, values, latencies }
}
