import { describe } from '../errors.js'

/**
 * A tag as an entry carries it: the tag, and its two invalidation counts when the entry was written.
 * A later `invalidateTags` of the tag raises `hard` (the entry is gone) or, with `mode: 'expire'`,
 * `soft` (the entry is stale: served only where a stale value may be, within grace).
 */
export interface TagStamp {
  readonly tag: string
  readonly hard: number
  readonly soft: number
}

/** The longest tag, in UTF-16 units. */
export const maxTagLength = 128
/** The most tags one entry carries. */
export const maxTagsPerEntry = 64
/** The most tags one `invalidateTags` call takes (each is one command in its round trip). */
export const maxTagsInvalidated = 10_000
/** The tag section of a header is at most this long (its length is written as 3 base-36 digits). */
export const maxTagSectionBytes = 36 ** 3 - 1
/** The longest invalidation count a stamp may hold: counts are safe integers, at most 16 digits. */
const countPattern = /^(0|[1-9][0-9]{0,15})$/

/**
 * The tags of a call, checked: an array (or other iterable) of non-empty strings of at most 128
 * characters, at most `maxTags` distinct (64 on an entry); duplicates are dropped, order kept. A
 * `TypeError` names the bad one.
 */
export function checkTags(tags: unknown, option = 'tags', maxTags = maxTagsPerEntry): string[] {
  if (typeof tags === 'string' || tags === null || typeof tags !== 'object' || !(Symbol.iterator in tags)) {
    throw new TypeError(`Expected \`${option}\` to be an array of tag strings, got ${describe(tags)}`)
  }
  const distinct = new Set<string>()
  for (const tag of tags as Iterable<unknown>) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > maxTagLength) {
      throw new TypeError(
        `Expected every tag in \`${option}\` to be a non-empty string of at most ${maxTagLength} characters, got ${describe(tag)}`,
      )
    }
    distinct.add(tag)
  }
  if (distinct.size > maxTags) {
    throw new TypeError(`Expected at most ${maxTags} distinct tags in \`${option}\`, got ${distinct.size}`)
  }
  return [...distinct]
}

/**
 * The tag section of a header: `tag=hard.soft` per stamp, joined by `,`, each tag percent-encoded
 * (`encodeURIComponent`, so the section is ASCII and `=` and `,` appear only as separators).
 */
export function writeStamps(stamps: readonly TagStamp[]): string {
  let section = ''
  for (const { tag, hard, soft } of stamps) {
    if (section !== '') section += ','
    section += `${encodeURIComponent(tag)}=${hard}.${soft}`
  }
  if (section.length > maxTagSectionBytes) {
    throw new TypeError(`The tags of an entry take ${section.length} bytes, more than ${maxTagSectionBytes}`)
  }
  return section
}

/** Reads a tag section back; throws a `TypeError` on anything `writeStamps` would not write. */
export function readStamps(section: string): TagStamp[] {
  if (section === '') throw new TypeError('Stored header has an empty tag section')
  const stamps: TagStamp[] = []
  for (const part of section.split(',')) {
    const equals = part.lastIndexOf('=')
    const dot = part.indexOf('.', equals)
    const hard = part.slice(equals + 1, dot)
    const soft = part.slice(dot + 1)
    if (equals <= 0 || dot < 0 || !countPattern.test(hard) || !countPattern.test(soft)) {
      throw new TypeError(`Stored header has a malformed tag stamp '${part.slice(0, 40)}'`)
    }
    let tag: string
    try {
      tag = decodeURIComponent(part.slice(0, equals))
    } catch {
      throw new TypeError(`Stored header has a malformed tag '${part.slice(0, 40)}'`)
    }
    if (tag.length > maxTagLength) throw new TypeError('Stored header has a tag longer than 128 characters')
    stamps.push({ tag, hard: Number(hard), soft: Number(soft) })
  }
  if (stamps.length > maxTagsPerEntry) throw new TypeError('Stored header has more than 64 tags')
  return stamps
}
