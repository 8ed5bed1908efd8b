/**
 * `work`'s outcome if it settles within `ms`; otherwise what `onTimeout` returns (or throws), and
 * `work`'s later outcome is ignored. The timer is cleared as soon as `work` settles.
 */
export function within<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        resolve(onTimeout())
      } catch (error) {
        reject(error)
      }
    }, ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
