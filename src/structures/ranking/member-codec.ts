import { defaultMaxKeyLength, type KeyCodec, type KeyTypeFor, keyCodecFor } from '../../types/key-type.js'

/** A key type's error message, as it reads for a ranking's members (`memberType`, `maxMemberLength`). */
function asMemberMessage(message: string): string {
  return message
    .replaceAll('a key of keyType', 'a member of memberType')
    .replaceAll('a key of at most', 'a member of at most')
    .replaceAll('`maxKeyLength`', '`maxMemberLength`')
    .replaceAll('`keyType', '`memberType')
    .replaceAll('stored key', 'stored member')
    .replaceAll('for key', 'for member')
}

function renamed<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(asMemberMessage(error.message), { cause: error })
    throw error
  }
}

/**
 * The codec of a ranking's members: the key type `memberType` names (a name, or your codec), with
 * members of at most `maxMemberLength` characters; its `TypeError`s speak of members.
 */
export function memberCodecFor<M>(
  memberType: KeyTypeFor<M>,
  maxMemberLength = defaultMaxKeyLength,
): KeyCodec<M> {
  const codec = renamed(() => keyCodecFor<M>(memberType, maxMemberLength))
  return {
    encode: (member) => renamed(() => codec.encode(member)),
    decode: (encoded) => renamed(() => codec.decode(encoded)),
  }
}
