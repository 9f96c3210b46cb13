# Start and stop the servers the binding tests drive: one hc-cloud (SQLite in a fresh data folder) and
# one nvr-sim for each test device (A..G), provisioned by it, all on 127.0.0.1 with free ports. Sourced after common.sh.
#
#   hc_servers_start DIR   # fresh state under DIR; exports the HC_TEST_* variables below and writes
#                          # them to DIR/servers.env (for the Swift chroot)
#   hc_servers_stop        # idempotent; call it from an EXIT trap
#
# The tests get (read by the one test kit per language: android/testkit/kotlin, ios/TestKit):
#   HC_TEST_CLOUD_URL                      the cloud's base URL
#   HC_TEST_NVR_PASSWORD                   the NVRs' initial admin password
#   HC_TEST_MAIL_DIR                       the cloud's mail folder (one .eml file per mail sent)
#   HC_TEST_DEVICE_<X>_{SERIAL,MODEL,LABEL_CODE,JSON,NVR_URL}   for X in $HC_TEST_DEVICES (A B C D E F G)
# Every device starts unbound; the tests add them to accounts and then `POST {NVR_URL}/api/sync`.
# Each scenario uses its own device, so the suites need no order.
# shellcheck shell=bash

HC_SERVER_PIDS=()

hc_servers_stop() {
  local pid i
  for pid in "${HC_SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${HC_SERVER_PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  HC_SERVER_PIDS=()
}

# _hc_start_server NAME LOGDIR CMD...: start CMD in the background and set HC_LAST_URL to the URL on its
# first stdout line (waits up to 60 s). Not in a $(...) subshell: the pid must reach HC_SERVER_PIDS.
_hc_start_server() {
  local name="$1" dir="$2" i url; shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" </dev/null &
  HC_SERVER_PIDS+=($!)
  for i in $(seq 600); do
    url=$(head -n1 "$dir/$name.out" 2>/dev/null | grep -oE 'https?://[^ ]+' || true)
    if [ -n "$url" ]; then HC_LAST_URL="${url%/}"; return 0; fi
    kill -0 "${HC_SERVER_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "servers: $name did not print its URL; its stderr:" >&2
  tail -20 "$dir/$name.err" >&2
  return 1
}

hc_servers_start() {
  local dir="$1" bin_dir cloud nvr d serial label url
  if [ -n "${HC_TEST_NO_SERVERS:-}" ]; then hc_log "servers: none (HC_TEST_NO_SERVERS)"; return 0; fi
  bin_dir="$CARGO_TARGET_DIR/${HC_SERVERS_PROFILE_DIR:-debug}"
  cloud="$bin_dir/hc-cloud"; nvr="$bin_dir/nvr-sim"
  [ -x "$cloud" ] && [ -x "$nvr" ] || { echo "servers: build hc-cloud and nvr-sim first ($bin_dir)" >&2; return 1; }
  rm -rf "$dir"; mkdir -p "$dir/cloud"
  # Every suite registers an account or more per test, all from 127.0.0.1: more than the 30 an hour
  # the cloud lets one real address register.
  _hc_start_server cloud "$dir" "$cloud" serve --listen 127.0.0.1:0 --data-dir "$dir/cloud" \
    --rate-limit-register 1000 || return 1
  export HC_TEST_CLOUD_URL="$HC_LAST_URL"
  # Without an SMTP relay the cloud writes each mail as <unix_ms>-<outbox id>.eml here (its default
  # --mail-dir, DATA_DIR/mail): the test kits read the mailed codes from it.
  export HC_TEST_MAIL_DIR="$dir/cloud/mail"
  export HC_TEST_NVR_PASSWORD="Nvr-Keeper-2024"
  local labels=(ABCDEF GHIJKL MNOPQR STUVWX YZABCD FGHJKM NPQRST) i=0
  export HC_TEST_DEVICES="${HC_TEST_DEVICES:-A B C D E F G}"
  for d in $HC_TEST_DEVICES; do
    i=$((i + 1)); serial=$(printf 'HCTEST%03d' "$i")   # nine characters, as serials are
    label="${labels[$(( (i - 1) % ${#labels[@]} ))]}"
    mkdir -p "$dir/$d/state"
    "$cloud" provision --serial "$serial" --model "DS-7608NI-K2" --firmware "V4.30.005" --label-code "$label" \
      --out "$dir/$d/device.json" --data-dir "$dir/cloud" >"$dir/$d/provision.log" 2>&1 \
      || { echo "servers: provisioning $serial failed:" >&2; cat "$dir/$d/provision.log" >&2; return 1; }
    _hc_start_server "nvr-$d" "$dir" "$nvr" serve --device "$dir/$d/device.json" --state "$dir/$d/state" \
      --listen 127.0.0.1:0 --cloud "$HC_TEST_CLOUD_URL" --admin-password "$HC_TEST_NVR_PASSWORD" || return 1
    url="$HC_LAST_URL"
    export "HC_TEST_DEVICE_${d}_SERIAL=$serial" "HC_TEST_DEVICE_${d}_MODEL=DS-7608NI-K2" \
           "HC_TEST_DEVICE_${d}_LABEL_CODE=$label" "HC_TEST_DEVICE_${d}_JSON=$dir/$d/device.json" \
           "HC_TEST_DEVICE_${d}_NVR_URL=$url"
  done
  local v
  for v in $(compgen -e | grep '^HC_TEST_' | sort); do printf 'export %s=%q\n' "$v" "${!v}"; done >"$dir/servers.env"
  hc_log "servers: cloud $HC_TEST_CLOUD_URL; NVRs for devices $HC_TEST_DEVICES (state in $dir)"
}
