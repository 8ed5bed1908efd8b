#!/usr/bin/env bash
# Re-records test/fixtures/python/*.json by running the real Python libraries against a private
# redis-server on a free port of 127.0.0.1 (started here, stopped here by its PID), then runs the
# tests that read the fixtures. Optional: the required tests need no Python.
#
#   PYTHON=/usr/bin/python3 PYTHONPATH=<where the libraries are> bash scripts/python/record-all.sh
#
# A recorder whose library is not importable says so and leaves its fixture as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
python="${PYTHON:-python3}"
port="$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
for recorder in scripts/python/record_*.py; do
  "$python" "$recorder" "$port"
done
# In the layout the repository's formatter keeps (`npm run lint` checks it).
npx biome format --write test/fixtures/python >/dev/null
npx vitest run test/integration/python-
