/**
 * What flipcache's `'msgpack'` codec writes for each value: reads a JSON array of tagged values (the
 * format of test/support/python-fixtures.ts) on stdin, prints a JSON array of hex encodings. Used by
 * record_msgpack.py, so that the fixture's `tsBytes` are the codec's own bytes:
 *
 *   echo '[{"$bigint": "1099511627776"}]' | npx tsx scripts/python/encode_msgpack.ts
 */

import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { untag } from '../../test/support/python-fixtures.js'

const chunks: Buffer[] = []
for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
const values = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[]
const encoded = values.map((tagged) => (msgpackCodec.encode(untag(tagged)) as Buffer).toString('hex'))
process.stdout.write(`${JSON.stringify(encoded)}\n`)
