"""Records what Python's flipcache (the library this project is modelled on) writes to Redis and
checks that it reads what flipcache (TypeScript) writes: test/fixtures/python/flipcache.json.

Optional: the required tests read the fixture and need no Python. Run with a Python that has
redis-py and flipcache importable, against a Redis you started (never one with data you keep:
it writes keys under `pyfc-rec:`):

    python3 scripts/python/record_flipcache.py 6390
"""

import json
import os
import sys

try:
    import redis
    from flipcache import FlipCache
except ImportError as missing:  # the recording is optional
    print(f"record_flipcache: skipped, {missing.name} is not importable ({missing})")
    sys.exit(0)

port = int(sys.argv[1])
client = redis.Redis(port=port, decode_responses=True)
raw = redis.Redis(port=port)
name = "pyfc-rec"

cases = []


def record(case_name, python, key_type, value_type, key, write, js, ts_bytes=None, reads=None, extra=None):
    """Runs `write` (a Python FlipCache write), records the bytes it stored at `name:key`."""
    cache = FlipCache(name, key_type=key_type, value_type=value_type, redis_protocol=client, local_max=0)
    write(cache)
    stored = raw.get(f"{name}:{key}")
    case = {
        "name": case_name,
        "python": python,
        "key": f"{name}:{key}",
        "keyType": "int" if key_type == "int" else "string",
        "pythonBytes": stored.hex(),
    }
    if js is not None:
        case["js"] = js
    if ts_bytes is not None:
        # What flipcache writes for `js`: Python must read it back as `reads` (default: what it wrote).
        raw.set(f"{name}:{key}", bytes.fromhex(ts_bytes))
        fresh = FlipCache(name, key_type=key_type, value_type=value_type, redis_protocol=client, local_max=0)
        got = fresh[key]
        want = reads(got) if callable(reads) else got
        assert want, f"{case_name}: Python read {got!r} from flipcache's bytes {ts_bytes}"
        case["tsBytes"] = ts_bytes
    if extra:
        case.update(extra)
    cases.append(case)
    raw.delete(f"{name}:{key}")


def hexed(text):
    return text.encode().hex()


# Keys: key_type 'int' writes str(int(key)), so '016' and 16 are one key.
record("int key", "cache['016'] = 'x'  # key_type='int'", "int", "str", 16,
       lambda c: c.__setitem__("016", "x"), "x", hexed("x"), lambda got: got == "x", {"valueType": "string", "jsKey": 16})
record("str key with spaces and unicode", "cache['a b ü'] = 'x'", "str", "str", "a b ü",
       lambda c: c.__setitem__("a b ü", "x"), "x", hexed("x"), lambda got: got == "x", {"valueType": "string", "jsKey": "a b ü"})

# value_type 'str' writes str(value).
for label, value, js, value_type, ts in [
    ("str", "hello", "hello", "string", "hello"),
    ("str unicode", "grüße ✓", "grüße ✓", "string", "grüße ✓"),
    ("str(1.5)", 1.5, 1.5, "float", "1.5"),
    ("str(float('inf'))", float("inf"), {"$number": "Infinity"}, "float", "Infinity"),
    ("str(float('-inf'))", float("-inf"), {"$number": "-Infinity"}, "float", "-Infinity"),
    ("str(float('nan'))", float("nan"), {"$number": "NaN"}, "float", "NaN"),
    ("str(-0.0)", -0.0, {"$number": "-0"}, "float", "-0"),
    ("str(1e300)", 1e300, 1e300, "float", "1e+300"),
    ("str(True)", True, True, "bool", None),
    ("str(False)", False, False, "bool", None),
]:
    def check(got, value=value, ts=ts):
        if isinstance(value, float):
            f = float(got)
            return (f != f and value != value) or (f == value and str(f)[0] == str(value)[0])
        return got == str(value)
    record(f"value {label}", f"cache['k'] = {value!r}", "str", "str", "k",
           lambda c, value=value: c.__setitem__("k", value), js,
           None if ts is None else hexed(ts), check, {"valueType": value_type, "jsKey": "k"})

# value_type 'int'
record("value_type int", "cache['k'] = 2**53 - 1  # value_type='int'", "str", "int", "k",
       lambda c: c.__setitem__("k", 2**53 - 1), 2**53 - 1, hexed(str(2**53 - 1)),
       lambda got: got == 2**53 - 1, {"valueType": "int", "jsKey": "k"})
record("value_type int, negative", "cache['k'] = -42  # value_type='int'", "str", "int", "k",
       lambda c: c.__setitem__("k", -42), -42, hexed("-42"), lambda got: got == -42,
       {"valueType": "int", "jsKey": "k"})

# An empty string is stored as such, and Python's flipcache reads it as a miss (`if data:`).
cache = FlipCache(name, redis_protocol=client, local_max=0)
raw.set(f"{name}:empty", b"")
python_reads_empty = cache["empty"]
assert python_reads_empty is None, python_reads_empty
cases.append({
    "name": "empty string",
    "python": "cache['empty'] = ''  # and cache['empty'] reads None",
    "key": f"{name}:empty",
    "keyType": "string",
    "valueType": "string",
    "jsKey": "empty",
    "pythonBytes": "",
    "js": "",
    "pythonReads": None,
})
raw.delete(f"{name}:empty")

# expire_time is in seconds: expire_time=5 is a 5 s TTL (flipcache: expireTime '5s', or 5000 ms).
timed = FlipCache(name, expire_time=5, redis_protocol=client, local_max=0)
timed["ttl"] = "x"
pttl = raw.pttl(f"{name}:ttl")
assert 4000 < pttl <= 5000, pttl
cases.append({
    "name": "expire_time is seconds",
    "python": "FlipCache(name, expire_time=5)['ttl'] = 'x'",
    "key": f"{name}:ttl",
    "keyType": "string",
    "valueType": "string",
    "jsKey": "ttl",
    "pythonBytes": hexed("x"),
    "js": "x",
    "pythonTtlMs": 5000,
})
raw.delete(f"{name}:ttl")

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "python", "flipcache.json")
with open(out, "w") as f:
    json.dump({
        "library": "flipcache (Python) 1.3, on redis-py " + redis.__version__,
        "recorded": "scripts/python/record_flipcache.py",
        "cases": cases,
    }, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(f"record_flipcache: {len(cases)} cases written to {os.path.normpath(out)}")
