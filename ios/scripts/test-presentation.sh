#!/usr/bin/env bash
# The iOS shell's platform-free module (the SwiftPM package ios/HcPresentation) on Linux, against the
# real core, cloud and NVR simulator. Reuses the bindings harness: generate.sh, the trixie Swift
# chroot (scripts/lib/swift-chroot.sh) and the server start-up (bindings/scripts/lib/servers.sh).
#   1. build hc-ffi (+ hc-cloud, nvr-sim) and generate the Swift bindings on the host;
#   2. copy them into the HcCore package (ios/Sources/*/Generated, git-ignored, only when changed),
#      which ios/HcPresentation depends on by path;
#   3. start hc-cloud and three nvr-sim devices on the host;
#   4. `swift test --disable-swift-testing` in ios/HcPresentation inside the chroot (the message test
#      also reads ios/App/HcApp/Resources/*.lproj and android/app/src/main/res/values*/strings.xml).
# Ends with "swift-presentation: N passed, M failed". Needs root (chroot, mount).
set -euo pipefail
IOS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../../scripts/lib/common.sh
source "$IOS/../scripts/lib/common.sh"
# shellcheck source=../../scripts/lib/swift-chroot.sh
source "$HC_ROOT/scripts/lib/swift-chroot.sh"
# shellcheck source=../../bindings/scripts/lib/servers.sh
source "$HC_ROOT/bindings/scripts/lib/servers.sh"

NAME=swift-presentation
PKG="$IOS/HcPresentation"
GEN="${HC_BINDINGS_DIR:-$HC_ROOT/build/bindings}"
WORK="$HC_ROOT/build/$NAME"
LOG="$WORK/swift-test.log"
TIMEOUT="${HC_SWIFT_TEST_TIMEOUT:-1500}"
mkdir -p "$WORK"
fail() { echo "test-presentation: $*" >&2; echo "$NAME: 0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, mount): run it with sudo"
[ -n "${HC_SKIP_INSTALL:-}" ] || bash "$HC_ROOT/scripts/install-test-deps.sh" swift || fail "installing Swift failed"
hc_chroot_ready || fail "no Swift chroot at $HC_SWIFT_CHROOT (run scripts/install-test-deps.sh swift)"

# HC_SKIP_GENERATE=1 with HC_BINDINGS_DIR=<dir inside the project holding swift/ and lib/>: test
# against bindings made elsewhere (CARGO_TARGET_DIR must then hold debug/hc-cloud and debug/nvr-sim).
if [ -z "${HC_SKIP_GENERATE:-}" ]; then
  HC_BUILD_PACKAGES="${HC_BUILD_PACKAGES-hc-cloud nvr-sim}" bash "$HC_ROOT/bindings/scripts/generate.sh" swift \
    || fail "generate failed"
fi

sync_file() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp -f "$1" "$2"; }
[ -f "$GEN/swift/HcCoreFFI.h" ] && [ -f "$GEN/swift/HcCoreFFI.modulemap" ] && [ -f "$GEN/swift/HcCore.swift" ] \
  || fail "missing generated Swift in $GEN/swift"
sync_file "$GEN/swift/HcCoreFFI.h" "$IOS/Sources/HcCoreFFI/Generated/HcCoreFFI.h"
sync_file "$GEN/swift/HcCoreFFI.modulemap" "$IOS/Sources/HcCoreFFI/Generated/module.modulemap"
sync_file "$GEN/swift/HcCore.swift" "$IOS/Sources/HcCore/Generated/HcCore.swift"
LIB_DIR="$GEN/lib"

hc_chroot_lock
cleanup() { hc_servers_stop; hc_chroot_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
export HC_TEST_DEVICES="A B C D E F G H I J K"
hc_servers_start "$WORK/servers" || fail "could not start the cloud and the NVRs"
cp -f /etc/hosts "$HC_SWIFT_CHROOT/etc/hosts"
hc_chroot_mount_proc
hc_chroot_bind "$HC_ROOT"

args=""; for a in "$@"; do args+=" $(printf '%q' "$a")"; done
hc_log "swift test (XCTest) in $HC_SWIFT_CHROOT: $PKG"
set +e
hc_in_chroot "set -a; . '$WORK/servers/servers.env'; set +a
  cd '$PKG' && timeout $TIMEOUT swift test --disable-swift-testing \
    -Xlinker -L'$LIB_DIR' -Xlinker -rpath -Xlinker '$LIB_DIR'$args" 2>&1 | tee "$LOG"
RC=${PIPESTATUS[0]}
set -e
cleanup
[ "$RC" -ne 124 ] || echo "test-presentation: swift test timed out after ${TIMEOUT}s" >&2
PASSED=$(grep -cE "^Test Case '.*' passed \(" "$LOG" || true)
FAILED=$(grep -cE "^Test Case '.*' failed \(" "$LOG" || true)
if [ "$RC" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; fi
if [ "$RC" -eq 0 ] && [ "$PASSED" -eq 0 ]; then echo "test-presentation: no XCTest case ran" >&2; RC=1; FAILED=1; fi
echo "$NAME: $PASSED passed, $FAILED failed"
exit "$RC"
