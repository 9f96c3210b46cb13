#!/usr/bin/env bash
# Build hc-ffi and generate its Kotlin and Swift bindings with the crate's own pinned uniffi-bindgen,
# in library mode, into build/bindings/ (build output, never committed):
#   build/bindings/kotlin/org/hc/core/*.kt      Kotlin (package from bindings/uniffi.toml)
#   build/bindings/swift/*.swift, *FFI.h, *FFI.modulemap
#   build/bindings/lib/libhc_ffi.so             the library the bindings were generated from
#
#   bash bindings/scripts/generate.sh [kotlin] [swift]     (no argument: both)
# Environment:
#   HC_FFI_PROFILE     cargo profile of the library (default: dev, i.e. target/debug)
#   HC_BUILD_PACKAGES  more packages to build in the same cargo call (the test scripts add the servers,
#                      so that one feature resolution serves all and nothing is compiled twice)
set -euo pipefail
# shellcheck source=../../scripts/lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib/common.sh"
# The workspace that holds hc-ffi (overridable only to try the scripts on a scratch crate).
WORKSPACE="${HC_FFI_WORKSPACE:-$HC_ROOT}"
cd "$WORKSPACE"

LANGS=("$@"); [ ${#LANGS[@]} -gt 0 ] || LANGS=(kotlin swift)
PROFILE="${HC_FFI_PROFILE:-dev}"
case "$PROFILE" in dev|debug) PROFILE=dev; PROFILE_DIR=debug ;; release) PROFILE_DIR=release ;; *) PROFILE_DIR="$PROFILE" ;; esac
OUT="$HC_ROOT/build/bindings"

PKG_ARGS=(-p hc-ffi)
for p in ${HC_BUILD_PACKAGES:-}; do PKG_ARGS+=(-p "$p"); done
hc_log "cargo build --profile $PROFILE ${PKG_ARGS[*]}"
cargo build --locked --profile "$PROFILE" "${PKG_ARGS[@]}"

LIB="$CARGO_TARGET_DIR/$PROFILE_DIR/libhc_ffi.so"
[ -f "$LIB" ] || hc_die "missing $LIB"
# Library mode reads the UNIFFI_META_* symbols: a stripped library has none.
if ! readelf -S "$LIB" 2>/dev/null | grep -q '\.symtab'; then
  hc_die "$LIB is stripped; generate from an unstripped build (HC_FFI_PROFILE=dev)"
fi
# The pinned bindgen is a binary of hc-ffi itself (built above with the library: same uniffi version).
# It runs from the target dir: `cargo run -p hc-ffi` would rebuild it with hc-ffi's features alone
# whenever HC_BUILD_PACKAGES widened the feature set.
BINDGEN="$CARGO_TARGET_DIR/$PROFILE_DIR/uniffi-bindgen"
[ -x "$BINDGEN" ] || hc_die "missing $BINDGEN (hc-ffi must have a uniffi-bindgen binary)"

# Replace a file only when its content changed, so incremental builds downstream stay warm.
sync_file() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp -f "$1" "$2"; }
sync_dir() {  # sync_dir SRC DST: make DST hold exactly SRC's files
  local f
  mkdir -p "$2"
  (cd "$1" && find . -type f) | while read -r f; do sync_file "$1/$f" "$2/$f"; done
  (cd "$2" && find . -type f) | while read -r f; do [ -e "$1/$f" ] || rm -f "$2/$f"; done
}

for lang in "${LANGS[@]}"; do
  case "$lang" in kotlin|swift) ;; *) hc_die "unknown language '$lang'" ;; esac
  tmp="$OUT/.tmp-$lang"
  rm -rf "$tmp"
  # Inside the workspace: library mode runs `cargo metadata` to find bindings/uniffi.toml.
  "$BINDGEN" generate --no-format --library "$LIB" --language "$lang" --out-dir "$tmp"
  sync_dir "$tmp" "$OUT/$lang"
  rm -rf "$tmp"
  hc_log "$lang bindings: $(cd "$OUT/$lang" && find . -type f | sed 's|^\./||' | tr '\n' ' ')"
done
sync_file "$LIB" "$OUT/lib/libhc_ffi.so"
hc_log "library: $OUT/lib/libhc_ffi.so (from $LIB)"
