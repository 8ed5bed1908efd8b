"""Records what dogpile.cache with dogpile_backend_redis_advanced (its hstore backend, raw msgpack
and raw JSON loads/dumps, expiry left to Redis) writes to Redis, and checks that it reads what
flipcache (TypeScript) writes: test/fixtures/python/dogpile.json.

Optional: the required tests read the fixture and need no Python. Run with a Python that has
redis-py, msgpack, dogpile.cache and dogpile_backend_redis_advanced importable, against a Redis you
started (never one with data you keep: it writes and deletes keys under `dp-rec`, `user-`,
`reports:` and `_lock`):

    python3 scripts/python/record_dogpile.py 6390

dogpile_backend_redis_advanced 0.4.1 predates dogpile.cache 1.1's serializer hooks: on 1.1 the
region serializes with pickle itself and calls the backend's get_serialized/set_serialized, which
skip `loads`/`dumps` and the tuple keys, and the backend's own methods use `self.client`, which 1.1
renamed. The region below uses the two-line shim `Hstore` (docs/python/dogpile.md shows it).
"""

import json
import os
import sys
import time

try:
    import redis
except ImportError as missing:  # the recording is optional
    print(f"record_dogpile: skipped, redis-py is not importable ({missing})")
    sys.exit(0)
try:
    import msgpack
except ImportError as missing:
    print(f"record_dogpile: skipped, msgpack is not importable ({missing})")
    sys.exit(0)
try:
    from dogpile.cache import make_region
    from dogpile.cache.api import CachedValue, NO_VALUE
    from dogpile.cache.region import register_backend, value_version
    from dogpile.cache.util import sha1_mangle_key
except ImportError as missing:
    print(f"record_dogpile: skipped, dogpile.cache is not importable ({missing})")
    sys.exit(0)
try:
    from dogpile_backend_redis_advanced.cache.backends.redis_advanced import RedisAdvancedHstoreBackend
except ImportError as missing:
    print(f"record_dogpile: skipped, dogpile_backend_redis_advanced is not importable ({missing})")
    sys.exit(0)

port = int(sys.argv[1])
raw = redis.Redis(port=port)


class Hstore(RedisAdvancedHstoreBackend):
    """The hstore backend on dogpile.cache 1.1: the region leaves (de)serializing to loads/dumps."""

    serializer = None
    deserializer = None

    @property
    def client(self):
        return self.writer_client


register_backend("dp_rec_hstore", __name__, "Hstore")


def cached(payload):
    """What raw loads return: the payload as a CachedValue of now, so dogpile never finds it stale."""
    return CachedValue(payload, {"ct": time.time(), "v": value_version})


serializers = {
    "msgpack": (lambda cv: msgpack.packb(cv.payload), lambda b: cached(msgpack.unpackb(b))),
    "json": (lambda cv: json.dumps(cv.payload).encode(), lambda b: cached(json.loads(b))),
}


def region(value_type, hash_expiry=None, expiration=60, **extra):
    dumps, loads = serializers[value_type]
    arguments = {
        "port": port,
        "loads": loads,
        "dumps": dumps,
        "redis_expiration_time": expiration,
        "redis_expiration_time_hash": hash_expiry,
    }
    arguments.update(extra)
    return make_region().configure("dp_rec_hstore", arguments=arguments, replace_existing_backend=True)


cases = []


def check_reads(reg, key, ts_bytes, want, name):
    """Python's region reads flipcache's bytes back as `want`."""
    bucket, field = key if isinstance(key, tuple) else (None, None)
    if bucket is None:
        raw.set(key, ts_bytes)
    else:
        raw.hset(bucket, field, ts_bytes)
    got = reg.get(key)
    assert got is not NO_VALUE and got == want, f"{name}: Python read {got!r} from {ts_bytes.hex()}"


def record_value(value_type, label, python, value, js, ts_bytes=None, hash_key=True):
    reg = region(value_type)
    key = ("dp-rec-15", "posts") if hash_key else "reports:value"
    raw.delete("dp-rec-15", "reports:value")
    reg.set(key, value)
    stored = raw.hget(*key) if hash_key else raw.get(key)
    case = {
        "name": f"{value_type} {label}" + ("" if hash_key else " (string key)"),
        "kind": "hash" if hash_key else "string",
        "python": f"region.set({key!r}, {python})",
        "key": key[0] if hash_key else key,
        "valueType": value_type,
        "pythonBytes": stored.hex(),
        "js": js,
    }
    if hash_key:
        case["field"] = key[1]
        # dogpile's region sets the bucket's TTL (None: on creation), in whole seconds.
        case["bucketTtlSeconds"] = -(-raw.pttl(key[0]) // 1000)
    if ts_bytes is not None and ts_bytes != stored:
        case["tsBytes"] = ts_bytes.hex()
    check_reads(reg, key, ts_bytes if ts_bytes is not None else stored, value, case["name"])
    cases.append(case)
    raw.delete("dp-rec-15", "reports:value")


# msgpack: scalars, strings, lists, dicts and integers past 32 bits.
for label, python, value, js in [
    ("string", "'mellifluous'", "mellifluous", "mellifluous"),
    ("empty string", "''", "", ""),
    ("unicode string", "'grüße ✓'", "grüße ✓", "grüße ✓"),
    ("string starting with NUL", "'\\x00abc'", "\x00abc", "\x00abc"),
    ("zero", "0", 0, 0),
    ("small int", "15", 15, 15),
    ("negative int", "-1", -1, -1),
    ("uint16", "300", 300, 300),
    ("float", "1.5", 1.5, 1.5),
    ("float 0.1", "0.1", 0.1, 0.1),
    ("True", "True", True, True),
    ("None", "None", None, None),
    ("list", "[1, 'a', [2.5, None]]", [1, "a", [2.5, None]], [1, "a", [2.5, None]]),
    ("bytes", "b'\\x00\\xff'", b"\x00\xff", {"$bytes": "00ff"}),
    ("int 2**40", "2**40", 2**40, 2**40),
    ("int -2**40", "-2**40", -(2**40), -(2**40)),
    ("dict", "{'name': 'Ada', 'tags': ['x']}", {"name": "Ada", "tags": ["x"]}, {"name": "Ada", "tags": ["x"]}),
    ("list of dicts", "[{'id': 1}, {'id': 2, 'seen': 2**40}]", [{"id": 1}, {"id": 2, "seen": 2**40}],
     [{"id": 1}, {"id": 2, "seen": 2**40}]),
]:
    record_value("msgpack", label, python, value, js)
# msgpack zero in a plain string key: the same byte, NUL first (the header question of item 3).
record_value("msgpack", "string", "'Ada'", "Ada", "Ada", hash_key=False)
record_value("msgpack", "list", "[1, 'a']", [1, "a"], [1, "a"], hash_key=False)
record_value("msgpack", "dict", "{'id': 15, 'n': 2**40}", {"id": 15, "n": 2**40}, {"id": 15, "n": 2**40}, hash_key=False)
record_value("msgpack", "zero", "0", 0, 0, hash_key=False)

# JSON: json.dumps writes ', ' and ': ' and \\u escapes; flipcache's JSON.stringify writes neither.
for label, python, value, js, ts in [
    ("string", "'mellifluous'", "mellifluous", "mellifluous", None),
    ("unicode string", "'café'", "café", "café", json.dumps("café", ensure_ascii=False).encode()),
    ("int", "42", 42, 42, None),
    ("float", "2.5", 2.5, 2.5, None),
    ("True", "True", True, True, None),
    ("None", "None", None, None, None),
    ("list", "[1, 'a', None]", [1, "a", None], [1, "a", None], b'[1,"a",null]'),
    ("object", "{'name': 'Ada', 'tags': ['x', 'y'], 'age': 36}",
     {"name": "Ada", "tags": ["x", "y"], "age": 36}, {"name": "Ada", "tags": ["x", "y"], "age": 36},
     b'{"name":"Ada","tags":["x","y"],"age":36}'),
]:
    record_value("json", label, python, value, js, ts)
record_value("json", "object", "{'id': 15}", {"id": 15}, {"id": 15}, b'{"id":15}', hash_key=False)


# Bucket TTLs under each redis_expiration_time_hash, redis_expiration_time=60: what a later write
# does to a bucket whose TTL ran down to 10 s, and to one that persists.
def ttl_class(pttl, before=None):
    if pttl == -2:
        return "gone"
    if pttl == -1:
        return "none"
    if before is not None and pttl <= before:
        return "kept"
    return "set"


for hash_expiry, bucket_expire in [(False, "never"), (None, "on-create"), (True, "always")]:
    reg = region("msgpack", hash_expiry)
    raw.delete("dp-rec-ttl")
    reg.set(("dp-rec-ttl", "a"), "x")
    created = raw.pttl("dp-rec-ttl")
    if created > 0:
        raw.pexpire("dp-rec-ttl", 10_000)
    reg.set(("dp-rec-ttl", "b"), "y")
    later = raw.pttl("dp-rec-ttl")
    raw.persist("dp-rec-ttl")
    reg.set(("dp-rec-ttl", "c"), "z")
    persisting = raw.pttl("dp-rec-ttl")
    cases.append({
        "name": f"bucket TTL, redis_expiration_time_hash={hash_expiry}",
        "kind": "bucket-ttl",
        "python": f"redis_expiration_time=60, redis_expiration_time_hash={hash_expiry}: "
                  "set a (new bucket); PEXPIRE 10 s; set b; PERSIST; set c",
        "key": "dp-rec-ttl",
        "pythonBytes": raw.hget("dp-rec-ttl", "a").hex(),
        "hashExpiry": hash_expiry,
        "bucketExpire": bucket_expire,
        "expireSeconds": 60,
        "onCreate": ttl_class(created),
        "onLaterWrite": ttl_class(later, 10_000),
        "onPersisting": ttl_class(persisting),
    })
    raw.delete("dp-rec-ttl")

# redis_expiration_time unset (0) with redis_expiration_time_hash None or True: EXPIRE 0 deletes the
# bucket right after the write (flipcache, without an expiry, leaves the bucket's TTL alone).
for hash_expiry in (None, True):
    reg = region("msgpack", hash_expiry, expiration=0)
    raw.delete("dp-rec-ttl")
    reg.set(("dp-rec-ttl", "a"), "x")
    assert raw.exists("dp-rec-ttl") == 0, f"hash {hash_expiry}: expected EXPIRE 0 to delete the bucket"
    cases.append({
        "name": f"no redis_expiration_time, redis_expiration_time_hash={hash_expiry}",
        "kind": "bucket-gone",
        "python": f"redis_expiration_time=0, redis_expiration_time_hash={hash_expiry}: set a",
        "key": "dp-rec-ttl",
        "pythonBytes": msgpack.packb("x").hex(),
        "hashExpiry": hash_expiry,
        "bucketExists": False,
    })

# String keys from cache_on_arguments: `module:function|args`, SETEX redis_expiration_time.
reg = region("msgpack")


def total(a, b):
    return a + b


total.__module__ = "reports"
total = reg.cache_on_arguments()(total)
raw.delete("reports:total|1 2")
assert total(1, 2) == 3
cases.append({
    "name": "cache_on_arguments key",
    "kind": "string",
    "python": "@region.cache_on_arguments() def total(a, b) in module reports; total(1, 2)",
    "key": "reports:total|1 2",
    "valueType": "msgpack",
    "pythonBytes": raw.get("reports:total|1 2").hex(),
    "js": 3,
    "ttlSeconds": -(-raw.pttl("reports:total|1 2") // 1000),
})
raw.delete("reports:total|1 2")

# The distributed lock: `_lock` + the key (a tuple key joined with ','), taken with SET NX (PX only
# with lock_timeout), while the creator runs.
for key, lock_key in [("reports:total|1 2", "_lockreports:total|1 2"), (("user-15", "posts"), "_lockuser-15,posts")]:
    reg = region("msgpack", distributed_lock=True, thread_local_lock=False)
    seen = {}

    def creator(lock_key=lock_key):
        seen["value"] = raw.get(lock_key)
        seen["pttl"] = raw.pttl(lock_key)
        return "made"

    raw.delete(lock_key)
    if isinstance(key, tuple):
        raw.delete(key[0])
    else:
        raw.delete(key)
    assert reg.get_or_create(key, creator) == "made"
    assert seen["value"] is not None, f"no lock at {lock_key}"
    cases.append({
        "name": f"lock of {key!r}",
        "kind": "lock",
        "python": f"region.get_or_create({key!r}, creator)  # distributed_lock=True",
        "key": key[0] if isinstance(key, tuple) else key,
        "lockKey": lock_key,
        "lockHasTtl": seen["pttl"] >= 0,
        "pythonBytes": msgpack.packb("made").hex(),
        "js": "made",
    })
    raw.delete(key[0] if isinstance(key, tuple) else key)

# key_mangler: the region hands tuple keys to it; sha1_mangle_key refuses them.
try:
    sha1_mangle_key(("user-15", "posts"))
    mangles_tuples = True
except Exception:  # noqa: BLE001  TypeError on a tuple
    mangles_tuples = False

fixture = {
    "library": "dogpile.cache 1.1.8 with dogpile_backend_redis_advanced 0.4.1 (dogpile_backend_redis_advanced_hstore), redis-py 4.3.4, msgpack 1.0.3",
    "recorded": "scripts/python/record_dogpile.py against redis-server 7.0.15; raw loads/dumps (the payload alone, expiry left to Redis); every tsBytes read back by the region",
    "notes": {
        "shim": "on dogpile.cache 1.1 the hstore backend needs `serializer = None`, `deserializer = None` and `client` = writer_client (class Hstore in the script)",
        "keyMangler": "the region passes tuple keys through key_mangler; sha1_mangle_key accepts them: " + str(mangles_tuples),
    },
    "cases": cases,
}
target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "python", "dogpile.json")
with open(target, "w") as out:
    json.dump(fixture, out, indent=2, ensure_ascii=False)
    out.write("\n")
print(f"record_dogpile: {len(cases)} cases written to test/fixtures/python/dogpile.json")
