#!/usr/bin/env bash
# The Kotlin binding tests on the desktop JVM, against the real core, cloud and NVR:
#   1. build hc-ffi (+ hc-cloud, nvr-sim) and generate the Kotlin bindings (generate.sh);
#   2. compile the bindings, the hand-written Kotlin beside them (android/hc-core/src/main/kotlin/: the
#      feed as a Flow), the shared test kit android/testkit/kotlin/ and android/hc-core/src/test/kotlin/
#      with the npm kotlinc (skipped when no source changed);
#   3. start hc-cloud and two nvr-sim devices (lib/servers.sh), run the tests with the JUnit 5 console
#      launcher (JNA from Debian loads build/bindings/lib/libhc_ffi.so), stop the servers.
# Ends with "kotlin: N passed, M failed". Extra arguments go to the JUnit launcher (e.g.
# `--select-method org.hc.core.ResetFlowTest#codeReady`; then pass them instead of the class-path scan).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib/common.sh
source "$HERE/../../scripts/lib/common.sh"
# shellcheck source=lib/servers.sh
source "$HERE/lib/servers.sh"

TEST_SRC="${HC_KOTLIN_TEST_DIR:-$HC_ROOT/android/hc-core/src/test/kotlin}"
WORK="$HC_ROOT/build/kotlin-tests"
CLASSES="$WORK/classes"
LOG="$WORK/junit.log"
mkdir -p "$WORK"
result() { echo "kotlin: $1 passed, $2 failed"; }
fail() { echo "test-kotlin: $*" >&2; result 0 1; exit 1; }

[ -n "${HC_SKIP_INSTALL:-}" ] || bash "$HC_ROOT/scripts/install-test-deps.sh" apt kotlin
KOTLINC="$HC_KOTLIN_HOME/bin/kotlinc"; K="$HC_KOTLIN_HOME/lib"
for f in "$KOTLINC" "$HC_JNA_JAR" "$HC_JUNIT_LAUNCHER"; do [ -e "$f" ] || fail "missing $f"; done

HC_BUILD_PACKAGES="${HC_BUILD_PACKAGES-hc-cloud nvr-sim}" bash "$HERE/generate.sh" kotlin || fail "generate failed"

# The shared Kotlin test kit (android/testkit/kotlin) is compiled with the tests.
TESTKIT="$HC_ROOT/android/testkit/kotlin"
# The hand-written part of :hc-core (android/hc-core/src/main/kotlin) is compiled with the bindings.
CORE_SRC="$HC_ROOT/android/hc-core/src/main/kotlin"
mapfile -t SOURCES < <(find "$HC_ROOT/build/bindings/kotlin" "$CORE_SRC" "$TESTKIT" "$TEST_SRC" -name '*.kt' | sort)
[ -d "$TEST_SRC" ] && [ -n "$(find "$TEST_SRC" -name '*.kt' -print -quit)" ] || fail "no Kotlin tests in $TEST_SRC"
COMPILE_CP="$HC_JNA_JAR:$K/kotlinx-coroutines-core-jvm.jar:$K/kotlin-test.jar:$K/kotlin-test-junit5.jar"
COMPILE_CP+=":/usr/share/java/junit-jupiter-api.jar:/usr/share/java/apiguardian-api.jar:/usr/share/java/opentest4j.jar"
STAMP=$( { echo "$HC_KOTLIN_VERSION $COMPILE_CP"; cat "${SOURCES[@]}"; } | sha256sum | cut -c1-64)
if [ "$(cat "$WORK/classes.stamp" 2>/dev/null)" != "$STAMP" ]; then
  hc_log "kotlinc $HC_KOTLIN_VERSION: ${#SOURCES[@]} source file(s)"
  rm -rf "$CLASSES" "$WORK/classes.stamp"; mkdir -p "$CLASSES"
  "$KOTLINC" -jvm-target 17 -nowarn -classpath "$COMPILE_CP" -d "$CLASSES" "${SOURCES[@]}" || fail "kotlinc failed"
  echo "$STAMP" >"$WORK/classes.stamp"
else
  hc_log "kotlinc: sources unchanged, reusing $CLASSES"
fi

trap hc_servers_stop EXIT
trap 'exit 130' INT TERM HUP
# A-G for the suites before #21, H for the new account that verifies its address and adds a device.
export HC_TEST_DEVICES="A B C D E F G H"
hc_servers_start "$WORK/servers" || fail "could not start the cloud and the NVRs"

RUN_CP="$CLASSES:$HC_JNA_JAR:$K/kotlinx-coroutines-core-jvm.jar:$K/kotlin-stdlib.jar:$K/kotlin-test.jar:$K/kotlin-test-junit5.jar"
SELECT=(--scan-class-path "$CLASSES"); [ $# -gt 0 ] && SELECT=("$@")
hc_log "JUnit 5 console launcher"
rm -rf "$WORK/reports"
set +e
timeout "${HC_KOTLIN_TEST_TIMEOUT:-900}" java -ea -Djna.library.path="$HC_ROOT/build/bindings/lib" -jar "$HC_JUNIT_LAUNCHER" \
  --class-path "$RUN_CP" "${SELECT[@]}" --fail-if-no-tests --disable-banner --disable-ansi-colors \
  --details=tree --reports-dir "$WORK/reports" 2>&1 | tee "$LOG"
RC=${PIPESTATUS[0]}
set -e
hc_servers_stop
# Counted from the launcher's XML reports; a JVM that died before writing them counts as one failure.
python3 "$HC_ROOT/scripts/lib/junit-count.py" kotlin "$RC" "$WORK/reports"
