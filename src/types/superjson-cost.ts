import { maxNestingDepth } from './nesting.js'

/**
 * superjson applies its metadata in time that can grow with the square of the text: for each
 * annotation it copies and walks the annotation's path from the root, it reaches the nth entry of a
 * Map or Set by stepping through n entries, and it parses BigInts in quadratic time. Stored data can
 * make the most of each: 469 KB of metadata (one path of 20,000 segments with 20,000 annotations
 * below it) held the event loop for 28 s. `checkEnvelope` bounds what applying an envelope would cost
 * superjson, in one pass over the metadata that itself stops at the bound, and refuses metadata over
 * it, or shaped as superjson never writes it. superjson then reads what is left, as always.
 */

/**
 * Steps superjson may take per byte of stored text, above a floor for small values. A step (a path
 * segment copied or walked, a Map entry stepped through) took about 12 ns on a loaded 2-core machine:
 * a 1 MiB value may cost superjson some 35 ms beyond its JSON.parse, a small one 12 ms.
 */
const stepsPerByte = 2
const stepsFloor = 2 ** 20
/**
 * Places the count may note per byte of text, above a floor: the memory the count takes. superjson's
 * own output needs at most about one per 4 bytes (arrays of arrays of `undefined`, nested deep).
 */
const placesPerByte = 1 / 4
const placesFloor = 4096
/** The longest path, in segments: a value nested `maxNestingDepth` deep needs two per level at most (Maps). */
const longestPath = 2 * maxNestingDepth + 2

/**
 * A place in the value that the metadata names (its path), shared by every annotation that names it.
 * Most places have one child or none: a Map is made only for a second one.
 */
interface Place {
  readonly depth: number
  /** What the stored JSON holds there, before superjson changes anything. */
  readonly json: unknown
  onlySegment: string | undefined
  only: Place | undefined
  children: Map<string, Place> | undefined
  /** The annotation superjson applied here: from then on the place holds a Date, a Map... */
  converted: string | undefined
}

function placeAt(depth: number, json: unknown): Place {
  return { depth, json, onlySegment: undefined, only: undefined, children: undefined, converted: undefined }
}

function childOf(place: Place, segment: string): Place | undefined {
  return place.onlySegment === segment ? place.only : place.children?.get(segment)
}

function addChild(place: Place, segment: string, child: Place): void {
  if (place.only === undefined) {
    place.onlySegment = segment
    place.only = child
    return
  }
  place.children ??= new Map()
  place.children.set(segment, child)
}

export interface Envelope {
  json: unknown
  meta?: unknown
}

/**
 * Throws a `TypeError` when superjson would take more than about `2 * textLength + 2^20` steps to
 * apply `envelope.meta`, or when the metadata names a place twice or a path through a place it
 * already converted (superjson never writes either; both would let the cost escape the count).
 */
export function checkEnvelope(envelope: Envelope, textLength: number): void {
  const { meta } = envelope
  if (typeof meta !== 'object' || meta === null) return
  const { values, referentialEqualities, v } = meta as Record<string, unknown>
  const count = new StepCount(
    stepsPerByte * textLength + stepsFloor,
    placesPerByte * textLength + placesFloor,
    typeof v === 'number' && v >= 1,
  )
  const root = placeAt(0, envelope.json)
  if (values) count.values(values, root)
  if (referentialEqualities) count.equalities(referentialEqualities, root)
}

function refuse(why: string): never {
  throw new TypeError(`The superjson metadata ${why}`)
}

class StepCount {
  readonly #budget: number
  readonly #placesBudget: number
  readonly #escapedPaths: boolean
  #steps = 0
  #places = 0

  constructor(budget: number, placesBudget: number, escapedPaths: boolean) {
    this.#budget = budget
    this.#placesBudget = placesBudget
    this.#escapedPaths = escapedPaths
  }

  #spend(steps: number): void {
    this.#steps += steps
    if (this.#steps > this.#budget) {
      refuse(`would take superjson more than ${this.#budget} steps to apply: more than its size allows`)
    }
  }

  /**
   * The value annotations, visited in superjson's order (children before the node that holds them),
   * with a stack of our own: a tree is either an object of paths, or `[annotation, children?]`.
   */
  values(tree: unknown, root: Place): void {
    const stack: { entries: [string, unknown][]; next: number; at: Place; annotation?: unknown }[] = []
    const open = (subtree: unknown, at: Place): void => {
      if (!subtree) return
      if (Array.isArray(subtree)) {
        const [annotation, children] = subtree as [unknown, unknown]
        stack.push({ entries: children ? entriesOf(children) : [], next: 0, at, annotation })
        return
      }
      stack.push({ entries: entriesOf(subtree), next: 0, at })
    }
    open(tree, root)
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as (typeof stack)[number]
      const entry = frame.entries[frame.next++]
      if (entry !== undefined) {
        const [path, subtree] = entry
        const place = this.#follow(frame.at, path)
        // superjson copies the whole path for every entry.
        this.#spend(place.depth)
        open(subtree, place)
        continue
      }
      stack.pop()
      if ('annotation' in frame) this.#convert(frame.at, frame.annotation)
    }
  }

  /** The place `path` names below `from`, refusing a path through a place already converted. */
  #follow(from: Place, path: string): Place {
    let at = from
    for (const segment of parsePath(path, !this.#escapedPaths)) {
      if (at.converted !== undefined) refuse(`names a path through a converted ${at.converted}`)
      let next = childOf(at, segment)
      if (next === undefined) {
        if (++this.#places > this.#placesBudget) refuse('names more places than its size allows')
        next = placeAt(at.depth + 1, step(at.json, segment))
        addChild(at, segment, next)
      }
      at = next
    }
    return at
  }

  /** superjson walks the path again (and checks it for forbidden names) and converts the place. */
  #convert(place: Place, annotation: unknown): void {
    if (place.converted !== undefined) refuse(`converts a place twice`)
    this.#spend(4 * place.depth)
    const name = Array.isArray(annotation) ? annotation[0] : annotation
    // BigInt() of n digits takes time growing with n squared: counted as such.
    // (100,000 digits took 10 ms, about 1.2 million steps.)
    if (name === 'bigint' && typeof place.json === 'string') this.#spend(place.json.length ** 2 / 8192)
    place.converted = typeof name === 'string' ? name : 'value'
  }

  /**
   * The referential equalities, applied once every value is converted: each path is walked from the
   * root, through Maps and Sets entry by entry. `[rootPaths, others?]` or `{ path: [paths] }`.
   */
  equalities(equalities: unknown, root: Place): void {
    let groups: unknown = equalities
    if (Array.isArray(equalities)) {
      const [rootPaths, others] = equalities as [unknown, unknown]
      this.#paths(rootPaths, root)
      groups = others
    }
    if (!groups) return
    for (const [path, identical] of entriesOf(groups)) {
      this.#walk(path, root)
      this.#paths(identical, root)
    }
  }

  #paths(paths: unknown, root: Place): void {
    if (!Array.isArray(paths)) refuse('has referential equalities that are not lists of paths')
    for (const path of paths) {
      if (typeof path !== 'string') refuse('has a referential equality path that is not a string')
      this.#walk(path, root)
    }
  }

  /** What walking `path` costs superjson: each segment, and the entries it steps through in a Map or Set. */
  #walk(path: string, root: Place): void {
    const segments = parsePath(path, !this.#escapedPaths)
    this.#spend(4 * segments.length)
    let at: Place | undefined = root
    for (const segment of segments) {
      if (at === undefined) return
      if (at.converted === 'map' || at.converted === 'set') {
        const index = Number(segment)
        if (index > 0) this.#spend(Math.min(index, this.#budget))
      }
      at = childOf(at, segment)
    }
  }
}

/** What `json[segment]` holds, as superjson reads plain arrays and objects (own fields only). */
function step(json: unknown, segment: string): unknown {
  if (Array.isArray(json)) return json[Number(segment)]
  if (typeof json === 'object' && json !== null && Object.hasOwn(json, segment)) {
    return (json as Record<string, unknown>)[segment]
  }
  return undefined
}

function entriesOf(tree: unknown): [string, unknown][] {
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
    refuse(
      `holds ${Array.isArray(tree) ? 'an array' : typeof tree} where superjson writes an object of paths`,
    )
  }
  return Object.entries(tree)
}

/**
 * A path as superjson reads it: segments split at dots; with `legacy` (metadata without `v`, from
 * superjson 1), a backslash escapes a dot only, else it escapes a dot or a backslash.
 */
export function parsePath(path: string, legacy: boolean): string[] {
  const segments: string[] = []
  let segment = ''
  for (let index = 0; index < path.length; index++) {
    if (segments.length >= longestPath) refuse(`has a path of more than ${longestPath} segments`)
    const char = path.charAt(index)
    const next = path.charAt(index + 1)
    if (char === '\\' && (next === '.' || (!legacy && next === '\\'))) {
      segment += next
      index++
      continue
    }
    if (char === '\\' && !legacy) refuse(`has an invalid path '${path.slice(0, 40)}'`)
    if (char === '.') {
      segments.push(segment)
      segment = ''
      continue
    }
    segment += char
  }
  segments.push(segment)
  return segments
}
