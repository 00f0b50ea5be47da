#!/usr/bin/env bash
# Proves the server keeps its OpenAPI document: starts `npm start`'s service on loopback with a throwaway data
# folder, then Schemathesis (from PyPI, in a virtualenv) sends generated requests to every operation in
# /openapi.json and checks: no 5xx, only documented status codes, content types and headers, bodies match the
# schemas, undocumented methods get 405, and authenticated operations refuse requests without credentials.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${SCHEMATHESIS_VENV:-${ROUH_CACHE_DIR:-$HOME/.cache/rouh-actions}/schemathesis-venv}"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
fi
"$VENV/bin/schemathesis" --version

DATA="$(mktemp -d)"
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# Schemathesis sends many deliberately unauthenticated requests from one address: lift the failed-auth limit.
# The service runs as `npm start` runs it (node itself, no npx/tsx wrapper), so $! is its pid and the SIGTERM
# below stops it and its FerretDB; through npx the service outlived the script.
DATA_DIR="$DATA" PORT="$PORT" HOST=127.0.0.1 LOG_LEVEL=warn DEMO_PREP_SECONDS=1 EMAIL_CONFIRM_TIMEOUT_MINUTES=1 AUTH_FAILURES_PER_MINUTE=1000000 \
  node --import tsx main.ts > "$DATA/server.log" 2>&1 &
SERVER=$!
stop() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"; }
trap stop EXIT

for _ in $(seq 1 240); do
  [ -f "$DATA/demo-credentials.json" ] && curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$DATA/server.log"; echo "server exited before it was ready" >&2; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$DATA/server.log"; echo "server not ready after 120 s" >&2; exit 1; }

cred() { node -e "console.log(JSON.parse(require('fs').readFileSync('$DATA/demo-credentials.json','utf8')).$1)"; }
export ROUH_API_KEY="$(cred apiKey)" ROUH_SPACE_ID="$(cred spaceId)" ROUH_PROVIDER_ID="$(cred providerId)"
export ROUH_ADMIN_TOKEN="$(tr -d '\n' < "$DATA/admin-token")"

mkdir -p test-artifacts
status=0
# Schemathesis closes with a pytest-style banner ("=== 3 warnings in 24s ===") that CI reads as a pytest run of
# no tests; its banners are rewritten and that closing one dropped (its own "Test cases:" line says what ran).
"$VENV/bin/schemathesis" --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/openapi.json" \
  --checks "${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,ignored_auth}" \
  --seed 20261130 ${SCHEMATHESIS_ARGS:-} --report junit --report-junit-path test-artifacts/schemathesis-junit.xml 2>&1 \
  | sed -E -e '/^=+ [0-9]+ [a-z]+.* in [0-9.]+m?s =+$/d' -e 's/^=+ (.*) =+$/--- \1 ---/' || status=$?
if grep -q '"level":50' "$DATA/server.log"; then
  echo "== server errors logged during the run:"; grep '"level":50' "$DATA/server.log" | head -20
fi
exit "$status"
