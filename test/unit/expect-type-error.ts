import { expect } from 'vitest'

/**
 * Runs `run` and expects it to throw a `TypeError` whose message contains every fragment (such as
 * the bad value quoted the way flipcache quotes it: `` `'5x'` (string) ``). Returns the error.
 */
export function expectTypeError(run: () => unknown, ...fragments: string[]): TypeError {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(TypeError)
  const error = thrown as TypeError
  for (const fragment of fragments) expect(error.message).toContain(fragment)
  return error
}
