#!/usr/bin/env bash
# The Swift binding tests on Linux, against the real core, cloud and NVR:
#   1. build hc-ffi (+ hc-cloud, nvr-sim) and generate the Swift bindings (generate.sh) on the host;
#   2. copy them into the SwiftPM package ios/ (git-ignored Generated/ folders, only when changed);
#   3. start hc-cloud and two nvr-sim devices (lib/servers.sh) on the host;
#   4. run `swift test` (XCTest) with Debian trixie's Swift inside the chroot at $HC_SWIFT_CHROOT, the
#      project bind-mounted at the same path; the servers are reachable on 127.0.0.1 from inside.
# Ends with "swift: N passed, M failed" (counted per test case). Needs root (chroot, mount).
# Extra arguments go to `swift test` (e.g. `--filter HcCoreTests.ResetFlowTests`).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib/common.sh
source "$HERE/../../scripts/lib/common.sh"
# shellcheck source=../../scripts/lib/swift-chroot.sh
source "$HC_ROOT/scripts/lib/swift-chroot.sh"
# shellcheck source=lib/servers.sh
source "$HERE/lib/servers.sh"

PKG="$HC_ROOT/ios"
GEN="$HC_ROOT/build/bindings"
WORK="$HC_ROOT/build/swift-tests"
LOG="$WORK/swift-test.log"
TIMEOUT="${HC_SWIFT_TEST_TIMEOUT:-1500}"
mkdir -p "$WORK"
result() { echo "swift: $1 passed, $2 failed"; }
fail() { echo "test-swift: $*" >&2; result 0 1; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, mount): run it with sudo"
[ -n "${HC_SKIP_INSTALL:-}" ] || bash "$HC_ROOT/scripts/install-test-deps.sh" swift || fail "installing Swift failed"
hc_chroot_ready || fail "no Swift chroot at $HC_SWIFT_CHROOT (run scripts/install-test-deps.sh swift)"

HC_BUILD_PACKAGES="${HC_BUILD_PACKAGES-hc-cloud nvr-sim}" bash "$HERE/generate.sh" swift || fail "generate failed"

sync_file() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp -f "$1" "$2"; }
shopt -s nullglob
headers=("$GEN"/swift/*FFI.h) modulemaps=("$GEN"/swift/*FFI.modulemap)
shopt -u nullglob
[ ${#headers[@]} -eq 1 ] && [ ${#modulemaps[@]} -eq 1 ] || fail "expected one *FFI.h and one *FFI.modulemap in $GEN/swift"
swift_src="${headers[0]%FFI.h}.swift"
[ -f "$swift_src" ] || fail "missing $swift_src"
sync_file "${headers[0]}" "$PKG/Sources/HcCoreFFI/Generated/$(basename "${headers[0]}")"
sync_file "${modulemaps[0]}" "$PKG/Sources/HcCoreFFI/Generated/module.modulemap"
sync_file "$swift_src" "$PKG/Sources/HcCore/Generated/$(basename "$swift_src")"
LIB_DIR="$GEN/lib"   # inside the project, so inside the bind mount

hc_chroot_lock
cleanup() { hc_servers_stop; hc_chroot_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# A-G for the suites before #21, H for the new account that verifies its address and adds a device.
export HC_TEST_DEVICES="A B C D E F G H"
hc_servers_start "$WORK/servers" || fail "could not start the cloud and the NVRs"
cp -f /etc/hosts "$HC_SWIFT_CHROOT/etc/hosts"
hc_chroot_mount_proc
hc_chroot_bind "$HC_ROOT"

args=""; for a in "$@"; do args+=" $(printf '%q' "$a")"; done
hc_log "swift test (XCTest) in $HC_SWIFT_CHROOT"
set +e
hc_in_chroot "set -a; [ ! -f '$WORK/servers/servers.env' ] || . '$WORK/servers/servers.env'; set +a
  cd '$PKG' && timeout $TIMEOUT swift test --disable-swift-testing \
    -Xlinker -L'$LIB_DIR' -Xlinker -rpath -Xlinker '$LIB_DIR'$args" 2>&1 | tee "$LOG"
RC=${PIPESTATUS[0]}
set -e
cleanup
[ "$RC" -ne 124 ] || echo "test-swift: swift test timed out after ${TIMEOUT}s" >&2
# Per test case (XCTest's "with N failures" counts failed assertions, not tests). A build failure or
# a crash counts as one failure; a run with no test case at all is a failure too.
PASSED=$(grep -cE "^Test Case '.*' passed \(" "$LOG" || true)
FAILED=$(grep -cE "^Test Case '.*' failed \(" "$LOG" || true)
if [ "$RC" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; fi
if [ "$RC" -eq 0 ] && [ "$PASSED" -eq 0 ]; then echo "test-swift: no XCTest case ran" >&2; RC=1; FAILED=1; fi
result "$PASSED" "$FAILED"
exit "$RC"
