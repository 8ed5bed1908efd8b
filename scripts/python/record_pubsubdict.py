"""Records what Python's redis_pubsub_dict (RedisDict, PubSubRedisDict) writes to Redis and publishes,
and checks that it reads what flipcache (TypeScript, `pubsubDict: true`) writes:
test/fixtures/python/pubsubdict.json.

Optional: the required tests read the fixture and need no Python. Run with a Python that has
redis-py, msgpack and redis_pubsub_dict (with pylru) importable, from the repository (it runs
flipcache through node_modules/.bin/tsx to have it write the same values), against a Redis you
started (never one with data you keep: it writes keys under `psd-rec/` and `psd-ts/`):

    python3 scripts/python/record_pubsubdict.py 6390
"""

import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
    import redis
    from redis_pubsub_dict import PubSubRedisDict, RedisDict
except ImportError as missing:  # the recording is optional
    print(f"record_pubsubdict: skipped, {missing.name} is not importable ({missing})")
    sys.exit(0)

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
tsx = os.path.join(root, "node_modules", ".bin", "tsx")
if not os.path.exists(tsx):
    print("record_pubsubdict: skipped, node_modules/.bin/tsx is missing (run npm ci first)")
    sys.exit(0)

port = int(sys.argv[1])
raw = redis.Redis(port=port)
prefix = "psd-rec"
ts_prefix = "psd-ts"


def tag(value):
    """Tagged JSON (test/support/python-fixtures.ts) of a Python value."""
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return {"$number": "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, (list, tuple)):
        return [tag(item) for item in value]
    return value


cases = []

# Values: what RedisDict stores (msgpack.dumps) at <prefix>/<str(key)>. Maps and integers past 2**32
# are left to the msgpack fixture; 0 and strings that start with NUL too (issue 15, item 3).
values = [
    ("int 1", 1),
    ("int -1", -1),
    ("int 300", 300),
    ("int 2**31", 2**31),
    ("float 1.5", 1.5),
    ("float 0.1", 0.1),
    ("float -2.25e-10", -2.25e-10),
    ("True", True),
    ("False", False),
    ("None", None),
    ("str", "hello"),
    ("str unicode", "grüße ✓ 𝄞"),
    ("str empty", ""),
    ("str with quotes and newline", "it's \"x\"\n"),
    ("bytes", b"\x01\x02\xff"),
    ("list", [1, "two", 3.5, None, True, [4, b"\x05"]]),
    ("tuple (a list to msgpack)", ("complex", 1)),
    ("int 0 (one NUL byte)", 0),
    ("int 2**40", 2**40),
    ("int -2**40", -(2**40)),
    ("int 2**53-1", 2**53 - 1),
    ("str starting with NUL", "\x00abc"),
    ("dict", {"a": 1, "b": [1, 2], "c": {"d": None}}),
    ("dict with __proto__", {"__proto__": {"x": 1}}),
]
for index, (label, value) in enumerate(values):
    key = f"v{index}"
    d = RedisDict(raw, prefix=prefix)
    d[key] = value
    stored = raw.get(f"{prefix}/{key}")
    assert stored == msgpack.dumps(value), label
    cases.append({
        "name": f"value {label}",
        "kind": "value",
        "python": f"reddict[{key!r}] = {value!r}",
        "key": f"{prefix}/{key}",
        "jsKey": key,
        "pythonBytes": stored.hex(),
        "js": tag(list(value) if isinstance(value, tuple) else value),
    })
    raw.delete(f"{prefix}/{key}")

# Keys: RedisDict stores at '{}/{}'.format(prefix, key), i.e. str(key) after '<prefix>/'.
keys = [
    ("str key", "a", "string", "a"),
    ("str key with space, slash and colon", "a b/c:d", "string", "a b/c:d"),
    ("str key unicode", "ünï ✓", "string", "ünï ✓"),
    ("int key", 15, "int", 15),
    ("negative int key", -3, "int", -3),
    ("float key", 1.5, "float", 1.5),
]
for label, key, key_type, js_key in keys:
    RedisDict(raw, prefix=prefix)[key] = "x"
    found = [k.decode() for k in raw.scan_iter(match=f"{prefix}/*")]
    assert len(found) == 1, found
    cases.append({
        "name": label,
        "kind": "key",
        "python": f"reddict[{key!r}] = 'x'",
        "key": found[0],
        "keyType": key_type,
        "jsKey": js_key,
        "pythonBytes": msgpack.dumps("x").hex(),
        "js": "x",
    })
    raw.delete(found[0])

# Tuple keys: str(tuple), with repr's quoting. Items are what pythonTupleKey takes (no float that is
# integral: a JavaScript number cannot say it was a float).
tuples = [
    ("complex", 1),
    ("one",),
    (),
    ("it's",),
    ('say "hi"',),
    ("both ' and \"",),
    ("back\\slash", "tab\tnew\nline\rret"),
    ("nul \x00 bel \x07 del \x7f",),
    ("ünï ✓ 𝄞 \u00a0 \u00ad \u2028 \u200b \ue000 \U0001f600",),
    (True, False, None),
    (-5, 2**70, 0.5, 1e-05, 1.5e-07, 1.25e-300, 1.5e300, 1e16 + 2, 2.0**60, 2.0**53 + 2, float("inf"), float("-inf"), float("nan")),
    (123456789.125, 0.0001, -0.0),
]
for items in tuples:
    d = RedisDict(raw, prefix=prefix)
    d[items] = "x"
    found = [k for k in raw.scan_iter(match=f"{prefix}/*")]
    assert len(found) == 1, found
    text = found[0].decode("utf-8", "surrogatepass")
    assert text == f"{prefix}/{str(items)}"
    cases.append({
        "name": f"tuple key {str(items)[:40]}",
        "kind": "tuple",
        "python": f"reddict[{items!r}] = 'x'",
        "key": text,
        "items": [({"$bigint": str(item)} if isinstance(item, int) and not isinstance(item, bool)
                   and abs(item) > 2**53 else tag(item)) for item in items],
        "pythonBytes": found[0][len(prefix) + 1:].hex(),
    })
    raw.delete(found[0])

# Channels: what PubSubRedisDict publishes after a set (on <prefix>/update) and a delete (on
# <prefix>/delete), heard through its own subscribe(), as PubSubCacheManager hears them.
heard = []
listener = PubSubRedisDict(redis.Redis(port=port), prefix=prefix)
listener.subscribe(update=lambda key: heard.append(("update", key)),
                   delete=lambda key: heard.append(("delete", key)))
time.sleep(0.2)
writer = PubSubRedisDict(redis.Redis(port=port), prefix=prefix)
channel_ops = [
    ("set", "a", "string", "a", "reddict['a'] = 1"),
    ("delete", "a", "string", "a", "del reddict['a']"),
    ("set", "ünï ✓", "string", "ünï ✓", "reddict['ünï ✓'] = 1"),
    ("set", 15, "int", 15, "reddict[15] = 1"),
    ("delete", 15, "int", 15, "del reddict[15]"),
    ("set", 1.5, "float", 1.5, "reddict[1.5] = 1"),
]
for op, key, _, _, _ in channel_ops:
    if op == "set":
        writer[key] = 1
    else:
        del writer[key]
deadline = time.time() + 5
while len(heard) < len(channel_ops) and time.time() < deadline:
    time.sleep(0.05)
assert len(heard) == len(channel_ops), heard
for (op, key, key_type, js_key, python), (kind, message) in zip(channel_ops, heard):
    assert kind == ("update" if op == "set" else "delete")
    cases.append({
        "name": f"{op} {key!r} publishes on {prefix}/{kind}",
        "kind": "channel",
        "python": python,
        "op": op,
        "channel": f"{prefix}/{kind}",
        "keyType": key_type,
        "jsKey": js_key,
        "pythonBytes": message.hex(),
    })
    raw.delete(f"{prefix}/{key}")
# PubSubRedisDict cannot publish a tuple (or bool) key: redis-py refuses it after the SET.
try:
    writer[("complex", 1)] = 1
    publishes_tuples = True
except redis.exceptions.DataError:
    publishes_tuples = False
assert not publishes_tuples
raw.delete(f"{prefix}/('complex', 1)")

# Python's clear() (on a decode_responses client: keys() strips the prefix as a set of characters,
# so 'psd-rec/drop' comes back as 'o') deletes and publishes key by key.
heard.clear()
text_client = redis.Redis(port=port, decode_responses=True)
for key in ["k1", "k2", "drop"]:
    writer[key] = 1
time.sleep(0.3)
heard.clear()
PubSubRedisDict(text_client, prefix=prefix).clear()
deadline = time.time() + 5
while len(heard) < 3 and time.time() < deadline:
    time.sleep(0.05)
cases.append({
    "name": "Python's clear() publishes each key it deletes, one per message, on <prefix>/delete",
    "kind": "clear",
    "python": "reddict.clear()  # on a decode_responses=True client: keys() fails on bytes",
    "pythonBytes": "",
    "heard": sorted(message.decode() for kind, message in heard if kind == "delete"),
    "left": sorted(k.decode() for k in raw.scan_iter(match=f"{prefix}/*")),
})
for key in raw.scan_iter(match=f"{prefix}/*"):
    raw.delete(key)
listener.close()
writer.pubsub.close()

# What flipcache writes for the same values and keys (through tsx), read back by Python.
writes = [{"key": c["jsKey"], "keyType": "string", "js": c["js"]} for c in cases if c["kind"] == "value"]
writes += [{"key": c["jsKey"], "keyType": c["keyType"], "js": c["js"]} for c in cases if c["kind"] == "key"]
writes += [{"tuple": c["items"], "keyType": "string", "js": "x"} for c in cases if c["kind"] == "tuple"]
ts_program = """
import { FlipCache, pythonTupleKey } from 'ROOT/src/index.ts'
import { untag } from 'ROOT/test/support/python-fixtures.ts'
const [url, prefix, text] = process.argv.slice(-3)
const out = []
for (const write of JSON.parse(text)) {
  const cache = new FlipCache(prefix, { redis: url, pubsubDict: true, valueType: 'msgpack', keyType: write.keyType, localMax: 0 })
  const key = write.tuple === undefined ? write.key : pythonTupleKey(untag(write.tuple))
  await cache.set(key, untag(write.js))
  await cache.close()
  out.push(key)
}
console.log(JSON.stringify(out))
"""
with tempfile.NamedTemporaryFile("w", suffix=".mts", delete=False) as program:
    program.write(ts_program.replace("ROOT", os.path.abspath(root)))
try:
    result = subprocess.run(
        [tsx, program.name, f"redis://127.0.0.1:{port}", ts_prefix, json.dumps(writes)],
        cwd=root, capture_output=True, text=True,
    )
finally:
    os.unlink(program.name)
if result.returncode != 0:
    sys.exit(f"record_pubsubdict: flipcache's writes failed:\n{result.stderr}")
ts_keys = json.loads(result.stdout.strip().splitlines()[-1])
reader = RedisDict(raw, prefix=ts_prefix)
targets = [c for c in cases if c["kind"] in ("value", "key", "tuple")]
for case, ts_key in zip(targets, ts_keys):
    if case["kind"] == "value":
        python_key, want = case["jsKey"], msgpack.loads(bytes.fromhex(case["pythonBytes"]))
    elif case["kind"] == "key":
        python_key = next(k for label, k, _, _ in keys if label == case["name"])
        want = "x"
    else:
        python_key = next(t for t in tuples if f"{prefix}/{str(t)}" == case["key"])
        want = "x"
    got = reader[python_key]
    if isinstance(want, tuple):
        want = list(want)
    assert got == want, f"{case['name']}: Python read {got!r} from flipcache's write, wanted {want!r}"
    stored = raw.get(f"{ts_prefix}/{str(python_key)}")
    if case["kind"] == "value" and stored.hex() != case["pythonBytes"]:
        case["tsBytes"] = stored.hex()
    if case["kind"] == "tuple":
        assert ts_key == str(python_key), f"{case['name']}: pythonTupleKey gave {ts_key!r}"
for key in raw.scan_iter(match=f"{ts_prefix}/*"):
    raw.delete(key)

fixture = {
    "library": "redis_pubsub_dict 0.0.2 (RedisDict, PubSubRedisDict), redis-py 4.3.4, msgpack 1.0.3",
    "recorded": "scripts/python/record_pubsubdict.py against redis-server 7.0.15",
    "cases": cases,
}
out = os.path.join(root, "test", "fixtures", "python", "pubsubdict.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w", encoding="utf-8") as handle:
    json.dump(fixture, handle, indent=2, ensure_ascii=False)
    handle.write("\n")
# In the layout the repository's formatter keeps (`npm run lint` checks it).
subprocess.run([os.path.join(root, "node_modules", ".bin", "biome"), "format", "--write", out],
               cwd=root, capture_output=True, check=True)
print(f"record_pubsubdict: {len(cases)} cases written to {os.path.relpath(out)}")
