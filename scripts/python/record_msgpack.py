"""Records what Python's msgpack 1.0 writes (`msgpack.packb` with its defaults, use_bin_type=True)
and checks that it reads what flipcache's `valueType: 'msgpack'` writes:
test/fixtures/python/msgpack.json.

Each case's Python value is written to Redis with redis-py (`SET`) and read back as the bytes a
Python service stores; `js` is what flipcache reads from them. `tsBytes` are the bytes flipcache's
codec writes for `js` (computed by scripts/python/encode_msgpack.ts with the real codec, so Node and
the project's node_modules are needed too); the script checks that `msgpack.unpackb` reads them back
as the case's expression, of the same Python types (or as `pythonReads`, where a JavaScript number
cannot tell `1.0` from `1`). The test test/integration/python-msgpack.test.ts replays the fixture
against real Redis and needs no Python.

Optional: run with a Python that has redis-py and msgpack importable (Debian: python3-redis,
python3-msgpack), against a Redis you started (it writes keys under `pymsgpack-rec:` only):

    python3 scripts/python/record_msgpack.py 6390
"""

import json
import math
import os
import subprocess
import sys

try:
    import msgpack
    import redis
except ImportError as missing:  # the recording is optional
    print(f"record_msgpack: skipped, {missing.name} is not importable ({missing})")
    sys.exit(0)

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
port = int(sys.argv[1])
client = redis.Redis(port=port)
prefix = "pymsgpack-rec"
safe = 2**53 - 1

# (name, Python expression, what Python reads back from flipcache's bytes when not the expression,
#  extra unpackb arguments Python needs for them)
CASES = [
    ("0", "0", None, {}),
    ("-1", "-1", None, {}),
    ("2**31", "2**31", None, {}),
    ("2**40", "2**40", None, {}),
    ("-2**40", "-2**40", None, {}),
    ("2**53-1", "2**53-1", None, {}),
    ("-(2**53-1)", "-(2**53-1)", None, {}),
    ("2**53 (past the safe range: a BigInt)", "2**53", None, {}),
    ("2**64-1", "2**64-1", None, {}),
    ("-2**63", "-2**63", None, {}),
    ("1.5", "1.5", None, {}),
    ("1.0 (a JavaScript number: written back as the integer 1)", "1.0", "1", {}),
    ("-0.0 (written back as the integer 0)", "-0.0", "0", {}),
    ("1e300", "1e300", None, {}),
    ("inf", "float('inf')", None, {}),
    ("nan", "float('nan')", None, {}),
    ("str", "'grüße ✓'", None, {}),
    ("empty str", "''", None, {}),
    ("str starting with NUL", "'\\x00abc'", None, {}),
    ("str of 40 characters (str8)", "'x' * 40", None, {}),
    ("bytes", "b'\\x00\\xff'", None, {}),
    ("empty bytes", "b''", None, {}),
    ("list", "[1, 'a', None, [2.5, True]]", None, {}),
    ("tuple (a list)", "(1, 2)", "[1, 2]", {}),
    ("empty list", "[]", None, {}),
    ("empty dict", "{}", None, {}),
    ("nested dict", "{'user': {'id': 7, 'name': 'Ada', 'tags': ['a', 'b'], 'score': 2.5, 'active': True}}", None, {}),
    ("dict of 20 keys (map16)", "{f'k{i}': i for i in range(20)}", None, {}),
    ("dict with large integers", "{'big': 2**40, 'huge': 2**64-1, 'list': [2**40, -2**40]}", None, {}),
    ("dict with a $ key", "{'$ref': 1}", None, {}),
    ("dict with a __proto__ key", "{'__proto__': {'polluted': True}}", None, {}),
    ("dict with int keys (a Map)", "{1: 'one', 2: 'two'}", None, {"strict_map_key": False}),
    ("dict with mixed keys (a Map)", "{'a': 1, 2: {'x': 2**40}}", None, {"strict_map_key": False}),
    ("dict with bytes keys (a Map)", "{b'k': 1}", None, {}),
    ("None", "None", None, {}),
    ("True", "True", None, {}),
    ("False", "False", None, {}),
]


def tag(value):
    """The tagged JSON (test/support/python-fixtures.ts) of the value flipcache reads."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -safe <= value <= safe else {"$bigint": str(value)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"$number": "NaN"}
        if math.isinf(value):
            return {"$number": "Infinity" if value > 0 else "-Infinity"}
        if value == 0 and math.copysign(1, value) < 0:
            return {"$number": "-0"}
        return value
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, (list, tuple)):
        return [tag(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            fields = {key: tag(item) for key, item in value.items()}
            return {"$object": fields} if any(key.startswith("$") for key in value) else fields
        return {"$map": [[tag(key), tag(item)] for key, item in value.items()]}
    raise TypeError(f"no tag for {value!r}")


def same(a, b):
    """Equal and of the same Python types all the way down (1 is not 1.0; NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    return a == b


values = [eval(expression) for _, expression, _, _ in CASES]  # noqa: S307 (the expressions above)
encoder = subprocess.run(
    ["npx", "tsx", "scripts/python/encode_msgpack.ts"],
    cwd=root,
    input=json.dumps([tag(value) for value in values]),
    capture_output=True,
    text=True,
    check=True,
)
ts_hex = json.loads(encoder.stdout)

cases = []
failures = []
for (name, expression, reads, unpack_args), value, ts in zip(CASES, values, ts_hex):
    key = f"{prefix}:{len(cases)}"
    client.set(key, msgpack.packb(value))
    stored = client.get(key)
    case = {"name": name, "python": f"msgpack.packb({expression})", "pythonBytes": stored.hex(), "js": tag(value)}
    # flipcache's bytes, as another service would find them in Redis.
    client.set(key, bytes.fromhex(ts))
    back = msgpack.unpackb(client.get(key), **unpack_args)
    want = eval(reads) if reads is not None else msgpack.unpackb(stored, **unpack_args)  # noqa: S307
    if isinstance(want, tuple):
        want = list(want)
    if not same(back, want):
        failures.append(f"{name}: Python read {back!r} from flipcache's bytes {ts}, expected {want!r}")
    if ts != case["pythonBytes"]:
        case["tsBytes"] = ts
    if reads is not None:
        case["pythonReads"] = reads
    if unpack_args:
        case["pythonUnpackb"] = ", ".join(f"{k}={v!r}" for k, v in unpack_args.items())
    cases.append(case)
    client.delete(key)

for failure in failures:
    print(f"record_msgpack: {failure}")
fixture = {
    "library": f"msgpack {'.'.join(map(str, msgpack.version))} (Python {sys.version.split()[0]}), redis-py {redis.__version__}",
    "recorded": "scripts/python/record_msgpack.py: msgpack.packb(value) with its defaults, SET by redis-py; "
    "tsBytes from flipcache's codec, each read back by msgpack.unpackb as the expression",
    "cases": cases,
}
path = os.path.join(root, "test", "fixtures", "python", "msgpack.json")
with open(path, "w", encoding="utf-8") as out:
    json.dump(fixture, out, indent=2, ensure_ascii=False)
    out.write("\n")
# The project's formatter has the last word on the layout of its JSON.
subprocess.run(["npx", "biome", "format", "--write", path], cwd=root, capture_output=True, check=True)
print(f"record_msgpack: {len(cases)} cases written to {os.path.relpath(path, root)}, {len(failures)} failed")
sys.exit(1 if failures else 0)
