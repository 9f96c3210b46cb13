#!/usr/bin/env bash
# THE test command (README, .ci/run, CI): installs what the tests need, then runs every check and every
# test suite of the project. Exits non-zero if anything failed; ends with a summary and per-stage timings.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh rust kotlin     # only some stages: deps fmt clippy device-lib rust doc kotlin swift
#
# Environment:
#   CARGO_TARGET_DIR   default $HOME/.cache/hc/target (outside the clone, shared by fresh clones)
#   HC_CACHE           default $HOME/.cache/hc (Kotlin compiler, Swift chroot, target dir)
#   HC_SKIP_INSTALL=1  skip scripts/install-test-deps.sh
# Tests that need servers (PostgreSQL, hc-cloud, nvr-sim) start and stop them themselves.
set -uo pipefail
exec </dev/null
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$HC_ROOT"

ALL_STAGES=(deps fmt clippy device-lib rust doc kotlin swift kotlin-presentation swift-presentation)
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
  SUMMARY+=("$(printf '%-7s %5ss  %s' "$name" "$((SECONDS - t0))" "$line")")
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
  cargo clippy --workspace --all-targets --locked -- -D warnings && echo "clippy: ok" \
    || { echo "clippy: FAILED"; return 1; }
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
  local rc out="$LOG_DIR/rust.raw"
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
    # nextest: "Summary [  12.3s] 42 tests run: 41 passed, 1 failed, 0 skipped"
    awk -v rc="$rc" '/Summary \[/ && /tests? run:/ {
          for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p = $(i-1); if ($(i) ~ /^failed/) f = $(i-1);
                                      if ($(i) ~ /^timed/) f += $(i-1) }
        }
        END { p += 0; f += 0; if (rc != 0 && f == 0) f = 1; printf "rust: %d passed, %d failed\n", p, f }' "$out"
  else
    cargo test --workspace --locked --no-fail-fast --lib --bins --tests --examples 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
    awk -v rc="$rc" '/^test result:/ { p += $4; f += $6 }
        END { if (rc != 0 && f == 0) f = 1; printf "rust: %d passed, %d failed\n", p, f }' "$out"
  fi
  return "$rc"
}

stage_doc() {
  local rc out="$LOG_DIR/doc.raw"
  cargo test --doc --workspace --locked --no-fail-fast 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
  awk -v rc="$rc" '/^test result:/ { p += $4; f += $6 }
      END { if (rc != 0 && f == 0) f = 1; printf "doc: %d passed, %d failed\n", p, f }' "$out"
  return "$rc"
}

stage_bindings() {  # LANG: the suites start their own hc-cloud and nvr-sim
  local script="$HC_ROOT/bindings/scripts/test-$1.sh"
  if [ ! -f "$script" ]; then echo "$1: skipped (no $script yet)"; return 0; fi
  bash "$script"
}
stage_kotlin() { stage_bindings kotlin; }
stage_swift()  { stage_bindings swift; }
# The shells' platform-free screen models, on the desktop JVM and Linux Swift, against the real parts.
stage_kotlin-presentation() { bash "$HC_ROOT/android/scripts/test-presentation.sh"; }
stage_swift-presentation()  { bash "$HC_ROOT/ios/scripts/test-presentation.sh"; }

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
