#!/usr/bin/env bash
# Install everything the test command needs, idempotently (a warm machine spends about a second here).
#   - Debian packages: PostgreSQL (cloud tests), HAProxy (the cloud's instances behind a proxy), Chromium + chromedriver (web UI tests), JNA + JUnit 5
#     (Kotlin tests), a JDK, debootstrap (the Swift chroot), fonts, curl. `apt-get update` runs only
#     when something is missing.
#   - The Kotlin compiler from npm (`kotlin-compiler`, pinned) into $HC_CACHE (default ~/.cache/hc).
#   - Debian trixie's Swift toolchain (`swiftlang`) in a debootstrap chroot at $HC_CACHE/swift-chroot,
#     never on the host.
#   - schemathesis from PyPI (pinned) in a venv at $HC_CACHE/schemathesis-<version>.
#   - cargo-nextest from crates.io (pinned) when `cargo nextest` is missing.
# Usage: scripts/install-test-deps.sh [apt] [kotlin] [swift] [schemathesis] [nextest]   (none: all)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/swift-chroot.sh
source "$HC_ROOT/scripts/lib/swift-chroot.sh"

WANT=("$@"); [ ${#WANT[@]} -gt 0 ] || WANT=(apt kotlin swift schemathesis nextest)
wants() { local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

APT_PACKAGES=(
  postgresql chromium chromium-driver fonts-dejavu-core   # cloud + web UI tests
  haproxy                                                 # three cloud instances behind a TLS proxy
  libjna-java junit5 openjdk-17-jdk-headless              # Kotlin tests on the JVM
  debootstrap                                             # the Swift chroot
  curl ca-certificates                                    # test scripts talk to the local servers
  python3 python3-venv                                    # schemathesis, JUnit report counts
)

install_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -eq 0 ]; then hc_log "apt: all ${#APT_PACKAGES[@]} packages present"; return; fi
  hc_log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${HC_SUDO[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q
  "${HC_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
    --no-install-recommends "${missing[@]}"
}

install_kotlin() {
  local prefix="$HC_CACHE/kotlin-$HC_KOTLIN_VERSION"
  if [ -x "$HC_KOTLIN_HOME/bin/kotlinc" ] && [ "$(cat "$HC_KOTLIN_HOME/build.txt" 2>/dev/null)" = "$HC_KOTLIN_VERSION" ]; then
    hc_log "kotlin-compiler $HC_KOTLIN_VERSION present ($HC_KOTLIN_HOME)"; return
  fi
  command -v npm >/dev/null || hc_die "npm is missing (run: $0 apt)"
  hc_log "npm install kotlin-compiler@$HC_KOTLIN_VERSION into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "kotlin-compiler@$HC_KOTLIN_VERSION"
  [ -x "$HC_KOTLIN_HOME/bin/kotlinc" ] || hc_die "kotlinc missing after npm install"
}

install_swift() {
  if hc_chroot_ready; then hc_log "swift chroot present ($HC_SWIFT_CHROOT)"; return; fi
  if [ "$(id -u)" -ne 0 ]; then
    # debootstrap, chroot and mount need root: re-run just this part through sudo.
    sudo env HOME="$HOME" HC_CACHE="$HC_CACHE" "$0" swift; return
  fi
  hc_chroot_lock
  trap hc_chroot_cleanup EXIT
  trap 'exit 130' INT TERM HUP
  command -v debootstrap >/dev/null || hc_die "debootstrap is missing (run: $0 apt)"
  hc_chroot_install
}

install_schemathesis() {
  local venv="$HC_SCHEMATHESIS_VENV" want="schemathesis, version $HC_SCHEMATHESIS_VERSION"
  # The marker is written last: an interrupted install never looks like a finished one.
  if [ -f "$venv/.hc-complete" ] && [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" = "$want" ]; then
    hc_log "schemathesis $HC_SCHEMATHESIS_VERSION present ($venv)"; return
  fi
  command -v python3 >/dev/null || hc_die "python3 is missing (run: $0 apt)"
  hc_log "pip install schemathesis==$HC_SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$HC_SCHEMATHESIS_VERSION"
  [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" = "$want" ] || hc_die "schemathesis missing after pip install"
  touch "$venv/.hc-complete"
}

install_nextest() {
  if cargo nextest --version >/dev/null 2>&1; then hc_log "cargo-nextest present"; return; fi
  hc_log "cargo install cargo-nextest@$HC_NEXTEST_VERSION"
  cargo install --locked "cargo-nextest@$HC_NEXTEST_VERSION"
}

T0=$SECONDS
wants apt && install_apt
wants kotlin && install_kotlin
wants schemathesis && install_schemathesis
wants nextest && install_nextest
wants swift && install_swift
hc_log "test dependencies ready ($((SECONDS - T0)) s)"
