# Shared by the project's scripts (sourced, never run). Sets paths and small helpers.
# shellcheck shell=bash

HC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Caches live outside the clone so that a fresh clone reuses them and `git clean` never drops them.
HC_CACHE="${HC_CACHE:-$HOME/.cache/hc}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HC_CACHE/target}"
# Pinned tool versions.
HC_KOTLIN_VERSION="${HC_KOTLIN_VERSION:-2.4.20}"
HC_KOTLIN_HOME="$HC_CACHE/kotlin-$HC_KOTLIN_VERSION/node_modules/kotlin-compiler"
HC_SWIFT_CHROOT="${HC_SWIFT_CHROOT:-$HC_CACHE/swift-chroot}"; HC_SWIFT_CHROOT="${HC_SWIFT_CHROOT%/}"
# schemathesis (PyPI) in a venv of its own, for the contract stage.
HC_SCHEMATHESIS_VERSION="${HC_SCHEMATHESIS_VERSION:-4.32.5}"
HC_SCHEMATHESIS_VENV="$HC_CACHE/schemathesis-$HC_SCHEMATHESIS_VERSION"
HC_NEXTEST_VERSION="${HC_NEXTEST_VERSION:-0.9.143}"
HC_JNA_JAR=/usr/share/java/jna.jar
HC_JUNIT_LAUNCHER=/usr/share/java/junit-platform-console-standalone.jar

if [ "$(id -u)" -eq 0 ]; then HC_SUDO=(); else HC_SUDO=(sudo); fi
if [ -n "${CI:-}" ]; then export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"; fi

hc_log() { printf '==> %s\n' "$*"; }
hc_die() { printf 'error: %s\n' "$*" >&2; exit 2; }
