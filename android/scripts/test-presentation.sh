#!/usr/bin/env bash
# The Android shell's platform-free module (:presentation) on the desktop JVM, against the real core,
# cloud and NVR simulator. Reuses the bindings harness (bindings/scripts/): the same pinned kotlinc,
# JNA, JUnit 5, generated Kotlin bindings and server start-up.
#   1. build hc-ffi (+ hc-cloud, nvr-sim) and generate the Kotlin bindings (bindings/scripts/generate.sh);
#   2. compile the bindings + android/hc-core/src/main/kotlin (the feed as a Flow) +
#      android/presentation/src/{main,test}/kotlin + the shared test kit
#      (android/testkit/kotlin) with plain kotlinc at the
#      language level of the Gradle build's Kotlin: no android.jar on the class path, so any Android
#      API in :presentation fails here;
#   3. start hc-cloud and three nvr-sim devices, run JUnit 5 (the message test also reads
#      android/app/src/main/res/values{,-zh-rCN}/strings.xml), stop the servers.
# Ends with "kotlin-presentation: N passed, M failed".
set -euo pipefail
ANDROID="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../../scripts/lib/common.sh
source "$ANDROID/../scripts/lib/common.sh"
# shellcheck source=../../bindings/scripts/lib/servers.sh
source "$HC_ROOT/bindings/scripts/lib/servers.sh"

NAME=kotlin-presentation
WORK="$HC_ROOT/build/$NAME"
CLASSES="$WORK/classes"
LOG="$WORK/junit.log"
mkdir -p "$WORK"
fail() { echo "test-presentation: $*" >&2; echo "$NAME: 0 passed, 1 failed"; exit 1; }

[ -n "${HC_SKIP_INSTALL:-}" ] || bash "$HC_ROOT/scripts/install-test-deps.sh" apt kotlin
KOTLINC="$HC_KOTLIN_HOME/bin/kotlinc"; K="$HC_KOTLIN_HOME/lib"
for f in "$KOTLINC" "$HC_JNA_JAR" "$HC_JUNIT_LAUNCHER"; do [ -e "$f" ] || fail "missing $f"; done

# HC_SKIP_GENERATE=1 with HC_BINDINGS_DIR=<dir holding kotlin/ and lib/>: test against bindings made
# elsewhere (CARGO_TARGET_DIR must then hold debug/hc-cloud and debug/nvr-sim).
GEN="${HC_BINDINGS_DIR:-$HC_ROOT/build/bindings}"
if [ -z "${HC_SKIP_GENERATE:-}" ]; then
  HC_BUILD_PACKAGES="${HC_BUILD_PACKAGES-hc-cloud nvr-sim}" bash "$HC_ROOT/bindings/scripts/generate.sh" kotlin \
    || fail "generate failed"
fi

mapfile -t SOURCES < <(find "$GEN/kotlin" "$ANDROID/hc-core/src/main/kotlin" "$ANDROID/presentation/src/main/kotlin" \
  "$ANDROID/testkit/kotlin" "$ANDROID/presentation/src/test/kotlin" -name '*.kt' | sort)
CP="$HC_JNA_JAR:$K/kotlinx-coroutines-core-jvm.jar:$K/kotlin-test.jar:$K/kotlin-test-junit5.jar"
CP+=":/usr/share/java/junit-jupiter-api.jar:/usr/share/java/apiguardian-api.jar:/usr/share/java/opentest4j.jar"
# The Gradle build compiles :presentation with the Kotlin of gradle/libs.versions.toml, older than this
# kotlinc: hold the sources to that language and library level so that both accept them.
KOTLIN_LEVEL=$(sed -n 's/^kotlin = "\([0-9]*\.[0-9]*\).*/\1/p' "$ANDROID/gradle/libs.versions.toml")
[ -n "$KOTLIN_LEVEL" ] || fail "no kotlin version in gradle/libs.versions.toml"
LEVEL_ARGS=(-language-version "$KOTLIN_LEVEL" -api-version "$KOTLIN_LEVEL")
STAMP=$( { echo "$HC_KOTLIN_VERSION $KOTLIN_LEVEL $CP"; cat "${SOURCES[@]}"; } | sha256sum | cut -c1-64)
if [ "$(cat "$WORK/classes.stamp" 2>/dev/null)" != "$STAMP" ]; then
  hc_log "kotlinc $HC_KOTLIN_VERSION: ${#SOURCES[@]} source file(s)"
  rm -rf "$CLASSES" "$WORK/classes.stamp"; mkdir -p "$CLASSES"
  "$KOTLINC" -jvm-target 17 "${LEVEL_ARGS[@]}" -nowarn -classpath "$CP" -d "$CLASSES" "${SOURCES[@]}" \
    || fail "kotlinc failed"
  echo "$STAMP" >"$WORK/classes.stamp"
else
  hc_log "kotlinc: sources unchanged, reusing $CLASSES"
fi

export HC_TEST_DEVICES="A B C D E F G H I J K"
trap hc_servers_stop EXIT
trap 'exit 130' INT TERM HUP
hc_servers_start "$WORK/servers" || fail "could not start the cloud and the NVRs"

RUN_CP="$CLASSES:$HC_JNA_JAR:$K/kotlinx-coroutines-core-jvm.jar:$K/kotlin-stdlib.jar:$K/kotlin-test.jar:$K/kotlin-test-junit5.jar"
SELECT=(--select-package org.hc.presentation); [ $# -gt 0 ] && SELECT=("$@")
rm -rf "$WORK/reports"
set +e
timeout "${HC_KOTLIN_TEST_TIMEOUT:-600}" java -ea -Djava.awt.headless=true \
  -Djna.library.path="$GEN/lib" -Dhc.android.res="$ANDROID/app/src/main/res" \
  -jar "$HC_JUNIT_LAUNCHER" --class-path "$RUN_CP" "${SELECT[@]}" --fail-if-no-tests --disable-banner \
  --disable-ansi-colors --details=tree --reports-dir "$WORK/reports" 2>&1 | tee "$LOG"
RC=${PIPESTATUS[0]}
set -e
hc_servers_stop
# Counted from the launcher's XML reports; a JVM that died before writing them counts as one failure.
python3 "$HC_ROOT/scripts/lib/junit-count.py" "$NAME" "$RC" "$WORK/reports"
