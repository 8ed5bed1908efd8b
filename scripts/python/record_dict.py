"""Records what Python flipcache's dict expressions store, for test/fixtures/python/dict.json.

Usage: /usr/bin/python3 scripts/python/record_dict.py <redis port>
(with Python flipcache and redis-py importable, e.g. PYTHONPATH=/path/to/libs). Optional: the
required tests read the fixture and never run this. Writes only keys under `pydict-*`, and removes
them afterwards.

For each case it runs the Python dict expression, records the bytes stored, then writes the bytes
flipcache writes for the same value (`tsBytes`, or `pythonBytes` when absent) and checks that the
Python dict expression reads them back as the value it wrote.
"""

import json
import os
import sys

try:
    import redis
except ImportError:
    print("record_dict.py: redis-py (python3-redis) is missing; nothing recorded")
    sys.exit(0)
try:
    from flipcache import FlipCache
except ImportError:
    print("record_dict.py: Python flipcache is missing (put it on PYTHONPATH); nothing recorded")
    sys.exit(0)

if len(sys.argv) != 2:
    print("usage: record_dict.py <redis port>")
    sys.exit(2)

client = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
raw = redis.Redis(port=int(sys.argv[1]))

# name, options (Python), statement, key read back, the property flipcache uses, value, what
# flipcache writes for it when it differs (hex), flipcache's options
CASES = [
    {
        "name": "int key, str value",
        "cache": "pydict-users",
        "options": {"key_type": "int", "value_type": "str"},
        "python": 'cache[15] = "Ada"',
        "read": 15,
        "property": "15",
        "value": "Ada",
        "ts": {"keyType": "int", "valueType": "string"},
    },
    {
        "name": "int key given as a string with a leading zero",
        "cache": "pydict-users",
        "options": {"key_type": "int", "value_type": "str"},
        "python": 'cache["016"] = "Bob"',
        "read": 16,
        "property": "016",
        "value": "Bob",
        "ts": {"keyType": "int", "valueType": "string"},
    },
    {
        "name": "str key, int value",
        "cache": "pydict-counts",
        "options": {"key_type": "str", "value_type": "int"},
        "python": 'cache["visits"] = 42',
        "read": "visits",
        "property": "visits",
        "value": 42,
        "ts": {"valueType": "int"},
    },
    {
        "name": "str key, json value",
        "cache": "pydict-docs",
        "options": {"key_type": "str", "value_type": "json"},
        "python": 'cache["doc"] = {"a": [1, 2], "b": "x"}',
        "read": "doc",
        "property": "doc",
        "value": {"a": [1, 2], "b": "x"},
        # flipcache's JSON has no spaces; Python's json.loads reads it.
        "tsText": '{"a":[1,2],"b":"x"}',
        "ts": {"valueType": "json"},
    },
]

recorded = []
try:
    for case in CASES:
        cache = FlipCache(case["cache"], redis_protocol=client, **case["options"])
        exec(case["python"], {"cache": cache})
        key = f'{case["cache"]}:{case["read"]}'
        python_bytes = raw.get(key)
        assert python_bytes is not None, f"{case['name']}: nothing stored at {key}"
        ts_bytes = case["tsText"].encode() if "tsText" in case else python_bytes
        raw.set(key, ts_bytes)
        reader = FlipCache(case["cache"], redis_protocol=client, **case["options"])
        got = reader[case["read"]]
        assert got == case["value"], f"{case['name']}: Python read {got!r} from flipcache's bytes"
        # del: the key is gone for both sides.
        del reader[case["read"]]
        assert raw.exists(key) == 0, f"{case['name']}: del left {key}"
        entry = {
            "name": case["name"],
            "python": case["python"],
            "key": key,
            "pythonBytes": python_bytes.hex(),
            "js": case["value"],
            "property": case["property"],
            "options": case["ts"],
        }
        if ts_bytes != python_bytes:
            entry["tsBytes"] = ts_bytes.hex()
        recorded.append(entry)
finally:
    for key in raw.scan_iter(match="pydict-*"):
        raw.delete(key)

out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "python", "dict.json")
with open(out, "w") as f:
    json.dump(
        {
            "library": "flipcache (Python), its dict expressions",
            "recorded": "scripts/python/record_dict.py against redis-server 7.0.15, redis-py 4.3.4",
            "cases": recorded,
        },
        f,
        indent=2,
    )
    f.write("\n")
print(f"record_dict.py: {len(recorded)} cases written to test/fixtures/python/dict.json (run npm run format to lay it out as the linter wants)")
