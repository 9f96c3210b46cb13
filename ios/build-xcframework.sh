#!/usr/bin/env bash
# macOS only. Builds the Rust core (hc-ffi) for iOS devices and simulators, generates the Swift
# bindings with the crate's pinned uniffi-bindgen, and packages the C side as an XCFramework:
#   ios/build/HcCoreFFI.xcframework           static libhc_ffi.a + HcCoreFFI.h + module.modulemap
#                                            (ios-arm64, ios-arm64_x86_64-simulator)
#   ios/Sources/HcCore/Generated/HcCore.swift the Swift API (git-ignored build output)
# The HcCore package (ios/Package.swift) uses the XCFramework as its `HcCoreFFI` binary target on
# Apple platforms (see ios/README.md). Environment: HC_IOS_PROFILE (default mobile: small, LTO),
# IPHONEOS_DEPLOYMENT_TARGET (default 16.0).
set -euo pipefail
IOS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$IOS/.." && pwd)"
PROFILE="${HC_IOS_PROFILE:-mobile}"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$IOS/build"
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh: needs macOS with Xcode (xcodebuild, lipo)" >&2; exit 2; }
command -v xcodebuild >/dev/null || { echo "build-xcframework.sh: install Xcode and run xcode-select" >&2; exit 2; }
installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || { echo "==> rustup target add $t"; rustup target add "$t"; }
done

cd "$ROOT"
for t in "${TARGETS[@]}"; do
  echo "==> cargo build -p hc-ffi --lib --profile $PROFILE --target $t"
  cargo build --locked -p hc-ffi --lib --profile "$PROFILE" --target "$t"
done

# The bindings come from a host build (library mode reads the library's uniffi metadata) with the
# uniffi-bindgen binary of hc-ffi itself, so the generator and the library agree on the uniffi version.
echo "==> cargo build -p hc-ffi (host, for uniffi-bindgen)"
cargo build --locked -p hc-ffi
rm -rf "$OUT/swift" "$OUT/headers" "$OUT/ios-sim" "$OUT/HcCoreFFI.xcframework"
mkdir -p "$OUT/swift" "$OUT/headers" "$OUT/ios-sim"
"$TARGET_DIR/debug/uniffi-bindgen" generate --no-format --library "$TARGET_DIR/debug/libhc_ffi.dylib" \
  --language swift --out-dir "$OUT/swift"
# The module map must be called module.modulemap and sit at the top of Headers, where Xcode's
# (explicit) module scanner finds it. Xcode copies a static XCFramework's Headers into the build's
# shared include/ folder, so a second package with a top-level module.modulemap would collide; this
# app has one.
cp "$OUT/swift/HcCoreFFI.h" "$OUT/headers/"
cp "$OUT/swift/HcCoreFFI.modulemap" "$OUT/headers/module.modulemap"
mkdir -p "$IOS/Sources/HcCore/Generated"
cp "$OUT/swift/HcCore.swift" "$IOS/Sources/HcCore/Generated/HcCore.swift"

# One library per platform: the two simulator architectures go into one fat library.
lib() { echo "$TARGET_DIR/$1/$PROFILE/libhc_ffi.a"; }
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$OUT/ios-sim/libhc_ffi.a"

xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$OUT/headers" \
  -library "$OUT/ios-sim/libhc_ffi.a" -headers "$OUT/headers" \
  -output "$OUT/HcCoreFFI.xcframework"

for t in aarch64-apple-ios; do
  echo "libhc_ffi.a [$t]: $(( $(stat -f %z "$(lib $t)") / 1024 )) KiB (static, before the app's dead-code stripping)"
done
echo "==> $OUT/HcCoreFFI.xcframework and Sources/HcCore/Generated/HcCore.swift are ready"
