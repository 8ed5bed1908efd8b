"""Records test/fixtures/python/json.json: what Python writes as JSON, what flipcache reads of it,
and what Python reads of what flipcache writes (issue 15, item 6).

Run with Debian's Python, the libraries on PYTHONPATH, against a redis-server of your own:

    PYTHONPATH=/tmp/pylibs /usr/bin/python3 scripts/python/record_json.py <redis port>

Python flipcache (`FlipCache(..., value_type='json')`, whose encoder is `json.dumps` and decoder
`json.loads`, as dogpile's json serializers are) writes each case's value to Redis; the bytes it
stored are the case's `pythonBytes`. Cases written "compact" are `json.dumps(value,
separators=(',', ':'))` set directly, as other programs may write. The script then stores what
flipcache (TypeScript) writes for the value (`TS` below, checked by
test/integration/python-json.test.ts against what flipcache really writes) and checks that Python
flipcache reads it back as the value, or as the case's `reads_ts` where it cannot.
The required tests never run this script.
"""

import json
import math
import os
import subprocess
import sys

try:
    import redis
except ImportError:
    print("record_json.py: redis-py (Debian's python3-redis) is missing; nothing recorded")
    sys.exit(0)
try:
    from flipcache import FlipCache
except ImportError:
    print("record_json.py: Python flipcache is missing (put it on PYTHONPATH); nothing recorded")
    sys.exit(0)

NAN_ENVELOPE = '{"json":"NaN","meta":{"values":["number"],"v":1}}'

# name, Python expression, what flipcache writes for it per valueType (when not Python's bytes),
# what Python reads of that (an expression, when not the value), how flipcache reads Python's
# bytes where that is not the value itself (tagged JSON, per valueType), and who writes it.
CASES = [
    dict(name="NaN", python="float('nan')",
         ts={"json": "null", "superjson": NAN_ENVELOPE},
         reads_ts={"json": "None",
                   "superjson": "{'json': 'NaN', 'meta': {'values': ['number'], 'v': 1}}"}),
    dict(name="Infinity", python="float('inf')",
         ts={"json": "null", "superjson": '{"json":"Infinity","meta":{"values":["number"],"v":1}}'},
         reads_ts={"json": "None",
                   "superjson": "{'json': 'Infinity', 'meta': {'values': ['number'], 'v': 1}}"}),
    dict(name="-Infinity", python="float('-inf')",
         ts={"json": "null", "superjson": '{"json":"-Infinity","meta":{"values":["number"],"v":1}}'},
         reads_ts={"json": "None",
                   "superjson": "{'json': '-Infinity', 'meta': {'values': ['number'], 'v': 1}}"}),
    dict(name="non-finite floats in a list", python="[1.5, float('nan'), float('inf'), float('-inf')]",
         ts={"json": "[1.5,null,null,null]",
             "superjson": '{"json":[1.5,"NaN","Infinity","-Infinity"],"meta":{"values":{"1":["number"],"2":["number"],"3":["number"]},"v":1}}'},
         reads_ts={"json": "[1.5, None, None, None]",
                   "superjson": "{'json': [1.5, 'NaN', 'Infinity', '-Infinity'], 'meta': {'values': {'1': ['number'], '2': ['number'], '3': ['number']}, 'v': 1}}"}),
    dict(name="non-finite values beside the same words in strings",
         python="{'score': float('nan'), 'NaN': 'NaN', 'max': float('inf'), 'min': ' -Infinity'}",
         ts={"json": '{"score":null,"NaN":"NaN","max":null,"min":" -Infinity"}',
             "superjson": '{"json":{"score":"NaN","NaN":"NaN","max":"Infinity","min":" -Infinity"},"meta":{"values":{"score":["number"],"max":["number"]},"v":1}}'},
         reads_ts={"json": "{'score': None, 'NaN': 'NaN', 'max': None, 'min': ' -Infinity'}",
                   "superjson": "{'json': {'score': 'NaN', 'NaN': 'NaN', 'max': 'Infinity', 'min': ' -Infinity'}, 'meta': {'values': {'score': ['number'], 'max': ['number']}, 'v': 1}}"}),
    dict(name="-0.0", python="-0.0",
         ts={"json": "0", "superjson": '{"json":"-0","meta":{"values":["number"],"v":1}}'},
         reads_ts={"json": "0", "superjson": "{'json': '-0', 'meta': {'values': ['number'], 'v': 1}}"}),
    dict(name="a string of the tokens", python="'NaN Infinity -Infinity'", ts={}),
    dict(name="2**53, the largest integer a JS number holds exactly", python="2**53", ts={}),
    dict(name="2**53 + 1, read as the nearest number", python="2**53 + 1",
         ts={"json": "9007199254740992", "superjson": "9007199254740992"},
         reads_ts={"json": "2**53", "superjson": "2**53"}),
    dict(name="2**64, a number JSON.stringify writes in 17 digits", python="2**64",
         ts={"json": "18446744073709552000", "superjson": "18446744073709552000"},
         reads_ts={"json": "18446744073709552000", "superjson": "18446744073709552000"}),
    dict(name="-2**63", python="-2**63",
         ts={"json": "-9223372036854776000", "superjson": "-9223372036854776000"},
         reads_ts={"json": "-9223372036854776000", "superjson": "-9223372036854776000"}),
    dict(name="10**21, which JSON.stringify writes as 1e+21", python="10**21",
         ts={"json": "1e+21", "superjson": "1e+21"},
         reads_ts={"json": "1e+21", "superjson": "1e+21"}),
    dict(name="1.0", python="1.0", ts={"json": "1", "superjson": "1"},
         reads_ts={"json": "1", "superjson": "1"}),
    dict(name="1e-07", python="1e-07", ts={"json": "1e-7", "superjson": "1e-7"}),
    dict(name="a tuple", python="(1, 2)", ts={"json": "[1,2]", "superjson": "[1,2]"},
         reads_ts={"json": "[1, 2]", "superjson": "[1, 2]"}),
    dict(name="number dict keys", python="{1: 'a', 2.5: 'b'}",
         ts={"json": '{"1":"a","2.5":"b"}', "superjson": '{"1":"a","2.5":"b"}'},
         reads_ts={"json": "{'1': 'a', '2.5': 'b'}", "superjson": "{'1': 'a', '2.5': 'b'}"}),
    dict(name="non-ASCII text (ensure_ascii escapes)", python="'ünï 😀'",
         ts={"json": '"ünï 😀"', "superjson": '"ünï 😀"'}),
    dict(name="a record", python="{'id': 1, 'name': 'Ada', 'tags': ['a', 'b'], 'ok': True, 'none': None}",
         ts={"json": '{"id":1,"name":"Ada","tags":["a","b"],"ok":true,"none":null}',
             "superjson": '{"id":1,"name":"Ada","tags":["a","b"],"ok":true,"none":null}'}),
    dict(name="{'json': 1}", python="{'json': 1}",
         ts={"json": '{"json":1}', "superjson": '{"json":{"json":1}}'},
         reads_ts={"superjson": "{'json': {'json': 1}}"}),
    dict(name="{'json': {'json': 1}}", python="{'json': {'json': 1}}",
         ts={"json": '{"json":{"json":1}}', "superjson": '{"json":{"json":{"json":1}}}'},
         reads_ts={"superjson": "{'json': {'json': {'json': 1}}}"}),
    dict(name="{'json': ..., 'meta': ...} of an API", python="{'json': [1, 2], 'meta': {'page': 1}}",
         ts={"json": '{"json":[1,2],"meta":{"page":1}}',
             "superjson": '{"json":{"json":[1,2],"meta":{"page":1}}}'},
         reads_ts={"superjson": "{'json': {'json': [1, 2], 'meta': {'page': 1}}}"}),
    dict(name="{'json': ..., 'meta': ...} shaped like superjson's",
         python="{'json': '1970-01-01T00:00:00.000Z', 'meta': {'values': ['Date'], 'v': 1}}",
         ts={"json": '{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}',
             "superjson": '{"json":{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}}'},
         reads_ts={"superjson": "{'json': {'json': '1970-01-01T00:00:00.000Z', 'meta': {'values': ['Date'], 'v': 1}}}"}),
    dict(name="{'meta': ..., 'json': ...}", python="{'meta': {'values': ['Date']}, 'json': 'x'}",
         ts={"json": '{"meta":{"values":["Date"]},"json":"x"}',
             "superjson": '{"json":{"meta":{"values":["Date"]},"json":"x"}}'},
         reads_ts={"superjson": "{'json': {'meta': {'values': ['Date']}, 'json': 'x'}}"}),
    dict(name="compact {'json': 1}", python="{'json': 1}", writer="compact",
         ts={"superjson": '{"json":{"json":1}}'},
         reads_ts={"superjson": "{'json': {'json': 1}}"}),
    dict(name="compact {'json': [1, 2], 'meta': {'page': 1}}",
         python="{'json': [1, 2], 'meta': {'page': 1}}", writer="compact",
         ts={"superjson": '{"json":{"json":[1,2],"meta":{"page":1}}}'},
         reads_ts={"superjson": "{'json': {'json': [1, 2], 'meta': {'page': 1}}}"}),
    # flipcache's own bytes: 'superjson' reads them as the envelope they are (documented).
    dict(name="compact {'json': {'json': 1}}, flipcache's own wrapper", python="{'json': {'json': 1}}",
         writer="compact", js={"superjson": {"json": 1}},
         ts={"superjson": '{"json":{"json":1}}'}),
]

VALUE_TYPES = ("json", "superjson")


def tag(value):
    """The tagged JSON of test/support/python-fixtures.ts for what JavaScript reads of `value`."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        # Beyond 2**53, the nearest number (written out in full, which JavaScript reads exactly).
        return value if abs(value) <= 2**53 else int(float(value))
    if isinstance(value, float):
        if math.isnan(value):
            return {"$number": "NaN"}
        if math.isinf(value):
            return {"$number": "Infinity" if value > 0 else "-Infinity"}
        if value == 0 and math.copysign(1, value) < 0:
            return {"$number": "-0"}
        # Exponents as text, where JSON formatters disagree on the spelling (1e-07, 1e-7).
        return {"$number": repr(value)} if "e" in repr(value) else value
    if isinstance(value, (list, tuple)):
        return [tag(item) for item in value]
    if isinstance(value, dict):
        fields = {json.loads(json.dumps({k: 0})).popitem()[0]: tag(v) for k, v in value.items()}
        return {"$object": fields} if any(k.startswith("$") for k in fields) else fields
    raise TypeError(repr(value))


def same(a, b):
    """Equality that takes NaN as NaN and tells -0.0 from 0.0 and 1 from 1.0."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def main(port):
    text = redis.Redis(port=port, decode_responses=True)
    raw = redis.Redis(port=port)
    name = "pyjson"
    out = []
    failures = []
    for index, case in enumerate(CASES):
        value = eval(case["python"])
        key = f"{name}:{index}"
        writer = case.get("writer", "flipcache")
        if writer == "compact":
            text.set(key, json.dumps(value, separators=(",", ":")))
            expression = f"json.dumps({case['python']}, separators=(',', ':'))"
        else:
            FlipCache(name, value_type="json", redis_protocol=text)[index] = value
            expression = case["python"]
        python_bytes = raw.get(key)
        for value_type in VALUE_TYPES:
            js = case.get("js", {}).get(value_type, tag(value))
            recorded = {
                "name": f"{case['name']} ({value_type})",
                "python": expression,
                "writer": "Python flipcache, value_type='json'" if writer == "flipcache" else "json.dumps, compact",
                "valueType": value_type,
                "pythonBytes": python_bytes.hex(),
                "js": js,
            }
            ts_text = case["ts"].get(value_type)
            ts_bytes = python_bytes if ts_text is None else ts_text.encode()
            if ts_bytes != python_bytes:
                recorded["tsBytes"] = ts_bytes.hex()
            # What Python flipcache reads of flipcache's bytes, from a fresh instance (empty L1).
            raw.set(key, ts_bytes)
            read = FlipCache(name, value_type="json", redis_protocol=text)[index]
            expected_expression = case.get("reads_ts", {}).get(value_type)
            expected = value if expected_expression is None else eval(expected_expression)
            if not same(read, expected):
                failures.append(f"{recorded['name']}: Python read {read!r}, expected {expected!r}")
            if expected_expression is not None:
                recorded["pythonReadsTs"] = expected_expression
            out.append(recorded)
            raw.set(key, python_bytes)
        raw.delete(key)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    fixture = {
        "library": "Python json module (json.dumps / json.loads) through Python flipcache, value_type='json'",
        "recorded": "PYTHONPATH=/tmp/pylibs /usr/bin/python3 scripts/python/record_json.py <redis port>",
        "cases": out,
    }
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "test", "fixtures", "python", "json.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump(fixture, file, indent=2, ensure_ascii=False)
        file.write("\n")
    # In the project's own JSON style, so that `npm run lint` passes on it.
    biome = os.path.join(root, "node_modules", ".bin", "biome")
    if os.path.exists(biome):
        subprocess.run([biome, "format", "--write", path], check=True, capture_output=True)
    print(f"record_json.py: {len(out)} cases written to {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: record_json.py <redis port>")
        sys.exit(2)
    main(int(sys.argv[1]))
