#!/usr/bin/env bash
# THE test command (README, .ci/run, CI): installs what the tests need, then runs every check and every
# test suite of the project. Exits non-zero if anything failed; ends with a summary and per-stage timings.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh rust kotlin     # only some stages (ALL_STAGES below)
#
# Environment:
#   CARGO_TARGET_DIR   default $HOME/.cache/hc/target (outside the clone, shared by fresh clones)
#   HC_CACHE           default $HOME/.cache/hc (Kotlin compiler, Swift chroot, target dir)
#   HC_SKIP_INSTALL=1  skip scripts/install-test-deps.sh
# Tests that need servers (PostgreSQL, hc-cloud, nvr-sim) start and stop them themselves.
# Counts come from the runners' machine-readable reports (nextest's and the JUnit launcher's JUnit
# XML, schemathesis's JUnit XML, XCTest's per-case lines); a runner that fails without a failed case
# counts as one failure, and a stage whose script is missing fails.
set -uo pipefail
exec </dev/null
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$HC_ROOT"

ALL_STAGES=(deps fmt clippy device-lib rust doc schemathesis kotlin swift kotlin-presentation swift-presentation)
STAGES=("$@"); [ ${#STAGES[@]} -gt 0 ] || STAGES=("${ALL_STAGES[@]}")
for s in "${STAGES[@]}"; do
  [[ " ${ALL_STAGES[*]} " == *" $s "* ]] || hc_die "unknown stage '$s' (stages: ${ALL_STAGES[*]})"
done

LOG_DIR="$HC_ROOT/build/test-logs"
mkdir -p "$LOG_DIR"
T_START=$SECONDS
SUMMARY=()
FAILED=0

# run_stage NAME FUNCTION: runs FUNCTION with its output shown and kept in build/test-logs/NAME.log.
# FUNCTION prints its own closing line last ("NAME: ..."); the summary repeats it with the timing.
run_stage() {
  local name="$1" fn="$2" t0=$SECONDS rc line
  printf '\n======== %s ========\n' "$name"
  "$fn" 2>&1 | tee "$LOG_DIR/$name.log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E "^$name: " "$LOG_DIR/$name.log" | tail -n1)
  [ -n "$line" ] || line="$name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)")"
  if [ "$rc" -ne 0 ]; then
    FAILED=1
    [[ "$line" == *FAIL* || "$line" == *failed* ]] || line="$line (FAILED, exit $rc)"
  fi
  SUMMARY+=("$(printf '%-19s %5ss  %s' "$name" "$((SECONDS - t0))" "$line")")
  return "$rc"
}

stage_deps() {
  if [ -n "${HC_SKIP_INSTALL:-}" ]; then echo "deps: skipped (HC_SKIP_INSTALL)"; return 0; fi
  bash "$HC_ROOT/scripts/install-test-deps.sh" && echo "deps: ok"
}

stage_fmt() {
  cargo fmt --all -- --check && echo "fmt: ok" || { echo "fmt: FAILED (run: cargo fmt --all)"; return 1; }
}

stage_clippy() {
  # The fuzz targets are their own workspace (cargo-fuzz builds them with nightly flags); a check needs
  # no nightly, so they are linted here and cannot rot unnoticed.
  cargo clippy --workspace --all-targets --locked -- -D warnings \
    && cargo clippy --manifest-path fuzz/Cargo.toml --all-targets --locked -- -D warnings \
    && echo "clippy: ok" || { echo "clippy: FAILED"; return 1; }
}

# The library a firmware team embeds builds on its own, with none of the simulator's web stack.
stage_device-lib() {
  local tree web
  cargo build -p hc-device --locked || { echo "device-lib: FAILED (cargo build -p hc-device)"; return 1; }
  tree=$(cargo tree -p hc-device -e normal --prefix none --locked) \
    || { echo "device-lib: FAILED (cargo tree -p hc-device)"; return 1; }
  web=$(awk '$1 ~ /^(axum|tokio|reqwest|hyper|tower|image|qrcode)$/ { print $1 }' <<<"$tree" | sort -u | xargs)
  if [ -n "$web" ]; then echo "device-lib: FAILED (hc-device links $web)"; return 1; fi
  echo "device-lib: ok (hc-device builds alone, no web stack in its dependencies)"
}

stage_rust() {
  local rc report candidates
  # nextest keeps its store (and so the report) under the workspace's own target/ folder, not under
  # CARGO_TARGET_DIR: look in both, newest wins, and clear both first so a stale one never counts.
  candidates=("$HC_ROOT/target/nextest/ci/junit.xml" "$CARGO_TARGET_DIR/nextest/ci/junit.xml")
  cargo nextest --version >/dev/null 2>&1 || { echo "rust: FAILED (cargo-nextest missing; run: scripts/install-test-deps.sh nextest)"; return 1; }
  rm -f "${candidates[@]}"
  # Profile `ci` (.config/nextest.toml): no fail-fast, and a JUnit report to count from.
  cargo nextest run --workspace --locked --profile ci; rc=$?
  report=$(ls -t "${candidates[@]}" 2>/dev/null | head -n1)
  python3 "$HC_ROOT/scripts/lib/junit-count.py" rust "$rc" "${report:-${candidates[0]}}"
}

# libtest has no machine-readable output on stable Rust: the counts are its per-crate `test result:`
# lines, and the exit status decides (a failed run without a counted failure is one failure).
stage_doc() {
  local rc out="$LOG_DIR/doc.raw"
  cargo test --doc --workspace --locked --no-fail-fast 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
  awk -v rc="$rc" '/^test result:/ { p += $4; f += $6 }
      END { if (rc != 0 && f == 0) f = 1; printf "doc: %d passed, %d failed\n", p, f }' "$out"
  return "$rc"
}

# A stranger's client against a running cloud: every schemathesis check on /openapi.json.
stage_schemathesis() { run_script schemathesis scripts/lib/schemathesis.sh; }

# run_script NAME PATH: a stage that is a script; a missing script is a failure, never a skip.
run_script() {
  local script="$HC_ROOT/$2"
  if [ ! -f "$script" ]; then echo "$1: FAILED (no $2)"; return 1; fi
  bash "$script"
}
# The suites start their own hc-cloud and nvr-sim.
stage_kotlin() { run_script kotlin bindings/scripts/test-kotlin.sh; }
stage_swift()  { run_script swift bindings/scripts/test-swift.sh; }
# The shells' platform-free screen models, on the desktop JVM and Linux Swift, against the real parts.
stage_kotlin-presentation() { run_script kotlin-presentation android/scripts/test-presentation.sh; }
stage_swift-presentation()  { run_script swift-presentation ios/scripts/test-presentation.sh; }

echo "hc test: stages ${STAGES[*]}; CARGO_TARGET_DIR=$CARGO_TARGET_DIR; logs in build/test-logs/"
for s in "${STAGES[@]}"; do
  run_stage "$s" "stage_$s"
  # Without the tools nothing else can run meaningfully.
  if [ "$s" = deps ] && [ "$FAILED" -ne 0 ]; then break; fi
done

printf '\n======== summary (%ss) ========\n' "$((SECONDS - T_START))"
printf '%s\n' "${SUMMARY[@]}"
if [ "$FAILED" -ne 0 ]; then echo "hc test: FAILED"; exit 1; fi
echo "hc test: all passed"
