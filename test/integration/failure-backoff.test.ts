import { afterEach, describe, expect, it, vi } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { fakeClock } from '../support/fake-clock.js'

/** A loader that always fails with `reason`, counting its calls. */
function failing(reason: string) {
  return vi.fn(async (): Promise<string> => {
    throw new Error(reason)
  })
}

describe('getOrSet() back-off after a failed loader', () => {
  const { cache } = useCaches()
  afterEach(() => {
    vi.useRealTimers()
  })

  it("a call with another loader within the wait runs it, instead of getting the failed loader's error", async () => {
    fakeClock()
    const items = cache<string, string>({ valueType: 'string' })
    const broken = failing('primary down')
    await expect(items.getOrSet('k', broken)).rejects.toMatchObject({ cause: { message: 'primary down' } })
    // Same loader, same instant: held back, its own failure again.
    await expect(items.getOrSet('k', broken)).rejects.toMatchObject({ cause: { message: 'primary down' } })
    expect(broken).toHaveBeenCalledTimes(1)
    // A new loader, still within the 100 ms: it runs.
    const fallback = vi.fn(async () => 'from the fallback')
    expect(await items.getOrSet('k', fallback)).toBe('from the fallback')
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('a new loader that fails too reports its own error, and is held back for its own wait', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string' })
    const first = failing('first down')
    const second = failing('second down')
    await expect(items.getOrSet('k', first)).rejects.toMatchObject({ cause: { message: 'first down' } })
    await expect(items.getOrSet('k', second)).rejects.toMatchObject({ cause: { message: 'second down' } })
    await expect(items.getOrSet('k', second)).rejects.toMatchObject({ cause: { message: 'second down' } })
    expect(second).toHaveBeenCalledTimes(1)
    clock.advance(101)
    await expect(items.getOrSet('k', second)).rejects.toMatchObject({ cause: { message: 'second down' } })
    expect(second).toHaveBeenCalledTimes(2)
    expect(first).toHaveBeenCalledTimes(1)
  })

  it("wrap() backs off per wrapped function: its calls' closures count as that function", async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string' })
    const fetchName = vi.fn(async (_id: string): Promise<string> => {
      throw new Error('names down')
    })
    const name = items.wrap(fetchName)
    await expect(name('ada')).rejects.toMatchObject({ code: 'E_LOADER' })
    await expect(name('ada')).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(fetchName).toHaveBeenCalledTimes(1)
    // Another function for the same key runs.
    expect(await items.wrap(async (id: string) => `Ada (${id})`)('ada')).toBe('Ada (ada)')
    clock.advance(101)
    expect(await name('ada')).toBe('Ada (ada)')
  })
})
