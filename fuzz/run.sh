#!/usr/bin/env bash
# Runs every cargo-fuzz target for a fixed time and prints executions, coverage and crashes.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 60 s, every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo fuzz passes nightly-only flags
# (-Zsanitizer, -Cpasses=sancov); RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# HC_FUZZ_SANITIZER=address turns AddressSanitizer on (off by default: the workspace forbids
# `unsafe`, and on two shared cores the 2x speed matters more). Builds go to
# $HC_FUZZ_TARGET_DIR (default fuzz/target). New corpus entries stay in fuzz/corpus/ and crashes
# in fuzz/artifacts/ (both ignored by git); fuzz/seeds/ holds the small committed seed corpus.
# Exits 1 if any target crashed.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(qr_text camera_frame image_file device_json api_bodies cloud_router)
fi
sanitizer="${HC_FUZZ_SANITIZER:-none}"
target_dir="${HC_FUZZ_TARGET_DIR:-$here/target}"
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 2; }
cd "$here/.."

echo "building ${targets[*]} (sanitizer: $sanitizer)"
for t in "${targets[@]}"; do
    cargo fuzz build -s "$sanitizer" --target-dir "$target_dir" "$t" >/dev/null 2>&1 || {
        echo "build of $t failed:"; cargo fuzz build -s "$sanitizer" --target-dir "$target_dir" "$t"; exit 2; }
done

failed=0
printf '\n%-14s %8s %12s %10s %8s %8s %s\n' target seconds executions exec/s cov ft crashes
for t in "${targets[@]}"; do
    corpus="$here/corpus/$t"
    mkdir -p "$corpus" "$here/artifacts/$t"
    seeds=()
    [ -d "$here/seeds/$t" ] && seeds=("$here/seeds/$t")
    log="$here/artifacts/$t/last-run.log"
    cargo fuzz run -s "$sanitizer" --target-dir "$target_dir" "$t" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=1 -max_len=8192 -rss_limit_mb=3072 \
        -timeout=20 >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
    cov=$(grep -oE '(DONE|pulse|NEW|REDUCE) +cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    crashes=$(find "$here/artifacts/$t" -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' | wc -l)
    [ "$status" -ne 0 ] && failed=1
    printf '%-14s %8s %12s %10s %8s %8s %s\n' "$t" "$seconds" "${execs:-?}" \
        "$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))" \
        "$(echo "$cov" | awk '{print $3}')" "$(echo "$cov" | awk '{print $5}')" \
        "$crashes$([ "$status" -ne 0 ] && echo " (exit $status: see $log)")"
done
exit "$failed"
