#!/usr/bin/env bash
# The `schemathesis` stage of scripts/test.sh: a client no one here wrote checks the contract.
# Starts a real hc-cloud (SQLite in a temp folder, a free port on 127.0.0.1), registers and logs in
# an account, provisions a device and adds it to the account, then runs schemathesis against
# /openapi.json with every check, the account's bearer token, and a bounded number of examples.
# Fails on any failure; stops the server on exit. Last line: `schemathesis: N passed, M failed`,
# counted per operation (and the stateful run) from schemathesis's JUnit reports, which are kept in
# build/test-logs/schemathesis/.
#
# Environment: HC_SCHEMATHESIS_EXAMPLES (default 100 per operation and phase),
#              HC_SCHEMATHESIS_SEED (default fixed, so a red run is reproducible; set another to explore).
set -uo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$HC_ROOT"

ST="$HC_SCHEMATHESIS_VENV/bin/schemathesis"
[ -x "$ST" ] || { echo "schemathesis: FAILED (not installed; run: scripts/install-test-deps.sh schemathesis)"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hc-schemathesis.XXXXXX")
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
  rm -rf "$WORK"
}
trap stop_server EXIT
trap 'exit 130' INT TERM HUP
fail() { echo "schemathesis: FAILED ($*)"; exit 1; }

hc_log "build hc-cloud"
cargo build -p hc-cloud --bin hc-cloud --locked || fail "hc-cloud does not build"
CLOUD="$CARGO_TARGET_DIR/debug/hc-cloud"

SERIAL=HCSCHEMA1 LABEL=QWERTY
"$CLOUD" provision --serial "$SERIAL" --model DS-7608NI-K2 --firmware V4.30.005 --label-code "$LABEL" \
  --out "$WORK/device.json" --data-dir "$WORK/cloud" >"$WORK/provision.log" 2>&1 \
  || { cat "$WORK/provision.log"; fail "provisioning a device"; }

# Limits high enough that the examples reach the handlers' logic instead of 429 (429 is in the
# document and would pass, but would test nothing).
"$CLOUD" serve --listen 127.0.0.1:0 --data-dir "$WORK/cloud" \
  --rate-limit-account 100000 --rate-limit-device 100000 --rate-limit-add-device 100000 \
  --rate-limit-login 100000 --rate-limit-login-addr 100000 --rate-limit-register 100000 \
  --rate-limit-register-email 100000 --rate-limit-unverified-addr 100000 \
  --rate-limit-sync-device 100000 --rate-limit-sync-addr 100000 \
  --code-resends-per-account 100000 --code-forgot-per-email 100000 --code-forgot-per-addr 100000 \
  --code-tries-per-account 100000 --code-tries-per-addr 100000 \
  >"$WORK/cloud.out" 2>"$WORK/cloud.err" </dev/null &
SERVER_PID=$!
URL=""
for _ in $(seq 600); do
  URL=$(head -n1 "$WORK/cloud.out" 2>/dev/null | grep -oE 'http://127\.0\.0\.1:[0-9]+' || true)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { tail -20 "$WORK/cloud.err"; fail "hc-cloud did not start"; }
hc_log "hc-cloud at $URL"

# post PATH JSON [TOKEN]: prints the body, fails unless 2xx.
post() {
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  curl -sS --fail-with-body --max-time 30 -H 'Content-Type: application/json' "${auth[@]}" \
    -d "$2" "$URL$1"
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

EMAIL=contract@example.com PASSWORD=contract-test-password
post /v1/accounts "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null || fail "registering"
TOKEN=$(post /v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json_field access_token) \
  || fail "logging in"
# The sign-up mail (the cloud has no relay: it writes mail to its data folder) has the code that
# verifies the address; an unverified account could not add the device.
CODE=""
for _ in $(seq 150); do
  CODE=$(cat "$WORK/cloud/mail/"*.eml 2>/dev/null | tr -d '\r' | grep -m1 -xE '[0-9]{6}' || true)
  [ -n "$CODE" ] && break
  sleep 0.1
done
[ -n "$CODE" ] || fail "no sign-up mail in $WORK/cloud/mail"
post /v1/accounts/verify "{\"code\":\"$CODE\"}" "$TOKEN" >/dev/null || fail "verifying the address"
post /v1/devices "{\"serial\":\"$SERIAL\",\"label_code\":\"$LABEL\"}" "$TOKEN" >/dev/null || fail "adding the device"

mkdir -p "$HC_ROOT/build/test-logs"
REPORTS="$HC_ROOT/build/test-logs/schemathesis"
rm -rf "$REPORTS"; mkdir -p "$REPORTS"
# st_run NAME ARGS...: one schemathesis run, its JUnit report in $REPORTS/TEST-NAME.xml.
st_run() {
  local name="$1"; shift
  # From the temp folder: schemathesis keeps its crash cache (.schemathesis/) and Hypothesis its
  # database (.hypothesis/) in the working directory, which must not be the clone.
  (cd "$WORK" && "$ST" --no-color --config-file "$HC_ROOT/scripts/lib/schemathesis.toml" run "$URL/openapi.json" \
    --checks all \
    --max-examples "${HC_SCHEMATHESIS_EXAMPLES:-100}" \
    --seed "${HC_SCHEMATHESIS_SEED:-2026}" \
    --workers 1 \
    --generation-database none \
    --header "Authorization: Bearer $TOKEN" \
    --report junit --report-junit-path "$REPORTS/TEST-$name.xml" "$@")
}
hc_log "schemathesis $HC_SCHEMATHESIS_VERSION: all checks, ${HC_SCHEMATHESIS_EXAMPLES:-100} examples, seed ${HC_SCHEMATHESIS_SEED:-2026}"
# Log-out-everywhere ends the token the other operations need: it runs alone, last.
st_run all --exclude-operation-id logoutAll; rc=$?
st_run logout-all --include-operation-id logoutAll || rc=1
# One test case per operation (and one for the stateful run) in the reports.
python3 "$HC_ROOT/scripts/lib/junit-count.py" schemathesis "$rc" "$REPORTS"
