import { describe, expect, it } from 'vitest'
import { listWindow } from '../../src/structures/list/list-window.js'

/** Redis's LRANGE over `list`, as documented: negative indexes count from the end, out of range is clamped. */
function lrange<T>(list: readonly T[], start: number, stop: number): T[] {
  const length = list.length
  let from = start < 0 ? length + start : start
  let to = stop < 0 ? length + stop : stop
  if (from < 0) from = 0
  if (from > to || from >= length) return []
  if (to >= length) to = length - 1
  return list.slice(from, to + 1)
}

function read<T>(list: readonly T[], start: number, stop: number, maxLength: number): T[] {
  const window = listWindow(start, stop, maxLength)
  const reply = lrange(list, window.start, window.stop)
  return reply.slice(0, Math.max(0, reply.length - window.dropLast))
}

describe('listWindow', () => {
  it('reads exactly what LRANGE reads of every list of at most maxLength values, for every index pair', () => {
    for (const maxLength of [1, 2, 3, 5]) {
      for (let length = 0; length <= maxLength; length++) {
        const list = Array.from({ length }, (_, index) => index)
        for (let start = -maxLength - 3; start <= maxLength + 3; start++) {
          for (let stop = -maxLength - 3; stop <= maxLength + 3; stop++) {
            expect(
              read(list, start, stop, maxLength),
              `${length} of ${maxLength}, ${start}..${stop}`,
            ).toEqual(lrange(list, start, stop))
          }
        }
      }
    }
  })

  it('never reads more than maxLength values of a longer list (written by something else)', () => {
    const list = Array.from({ length: 1000 }, (_, index) => index)
    for (const [start, stop] of [
      [0, -1],
      [0, 999],
      [-1000, -1],
      [-2000, 5000],
      [3, -2],
      [-5000, -3000],
    ] as const) {
      const window = listWindow(start, stop, 10)
      expect(lrange(list, window.start, window.stop).length, `${start}..${stop}`).toBeLessThanOrEqual(10)
    }
    expect(read(list, 0, -1, 10)).toEqual(list.slice(0, 10))
  })
})
