# The Swift toolchain (Debian trixie `swiftlang`, which needs a newer libc than the bookworm host) lives
# in a debootstrap chroot at $HC_SWIFT_CHROOT and never on the host. Sourced after common.sh.
# Every mount made here is undone by hc_chroot_cleanup (call it from an EXIT trap). The chroot is never
# deleted while anything is mounted inside it: a bind-mounted project would be deleted with it.
# shellcheck shell=bash

HC_CHROOT_MOUNTS=()

hc_chroot_lock() {  # one user of the chroot's mounts at a time
  mkdir -p "$HC_CACHE"
  exec 8>"$HC_CACHE/swift-chroot.lock"
  flock 8
}

hc_chroot_cleanup() {
  local i
  for (( i=${#HC_CHROOT_MOUNTS[@]}-1; i>=0; i-- )); do
    umount "${HC_CHROOT_MOUNTS[$i]}" 2>/dev/null || umount -l "${HC_CHROOT_MOUNTS[$i]}" 2>/dev/null || true
  done
  HC_CHROOT_MOUNTS=()
}

hc_chroot_mount_proc() {
  mountpoint -q "$HC_SWIFT_CHROOT/proc" || mount -t proc proc "$HC_SWIFT_CHROOT/proc"
  HC_CHROOT_MOUNTS+=("$HC_SWIFT_CHROOT/proc")
}

# Bind-mount a host directory at the same absolute path inside the chroot (build paths then agree).
hc_chroot_bind() {
  local dir="$1"
  mkdir -p "$HC_SWIFT_CHROOT$dir"
  mountpoint -q "$HC_SWIFT_CHROOT$dir" || mount --bind "$dir" "$HC_SWIFT_CHROOT$dir"
  HC_CHROOT_MOUNTS+=("$HC_SWIFT_CHROOT$dir")
}

# Run a command inside the chroot with a clean environment (no host PATH, cargo or pyenv leaking in).
hc_in_chroot() {
  chroot "$HC_SWIFT_CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}

hc_chroot_ready() {
  [ -f "$HC_SWIFT_CHROOT/.hc-swift-ready" ]
}

# The host's own Debian mirror (the first non-security URI of its apt sources).
hc_debian_mirror() {
  local m
  m=$( { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
         grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'; } \
       | grep -v -- '-security' | head -n1 ) || true
  echo "${m:-http://deb.debian.org/debian}"
}

# Create the chroot and install swiftlang into it (idempotent; ~560 MB download, 2.6 GB on disk).
hc_chroot_install() {
  [ "$(id -u)" -eq 0 ] || hc_die "the Swift chroot needs root (debootstrap, chroot, mount)"
  local mirror log_dir="$HC_CACHE/logs"
  mirror="${DEBIAN_MIRROR:-$(hc_debian_mirror)}"
  mkdir -p "$log_dir"
  if [ ! -f "$HC_SWIFT_CHROOT/.debootstrap-complete" ]; then
    [ -e /usr/share/debootstrap/scripts/trixie ] || hc_die "this debootstrap does not know trixie"
    if [ -d "$HC_SWIFT_CHROOT" ] && [ -n "$(ls -A "$HC_SWIFT_CHROOT" 2>/dev/null)" ]; then
      # Half-made chroot from an interrupted run: unmount, then delete on this file system only.
      mountpoint -q "$HC_SWIFT_CHROOT/proc" && umount "$HC_SWIFT_CHROOT/proc"
      grep -q " $HC_SWIFT_CHROOT/" /proc/mounts && hc_die "something is still mounted under $HC_SWIFT_CHROOT"
      rm -rf --one-file-system "$HC_SWIFT_CHROOT"
    fi
    hc_log "debootstrap --variant=minbase trixie $HC_SWIFT_CHROOT ($mirror)"
    mkdir -p "$HC_SWIFT_CHROOT"
    debootstrap --variant=minbase trixie "$HC_SWIFT_CHROOT" "$mirror" >"$log_dir/debootstrap.log" 2>&1 \
      || { tail -30 "$log_dir/debootstrap.log"; hc_die "debootstrap failed (log: $log_dir/debootstrap.log)"; }
    touch "$HC_SWIFT_CHROOT/.debootstrap-complete"
  fi
  # Name resolution and apt settings inside the chroot (refreshed every time; cheap).
  cp -f /etc/hosts "$HC_SWIFT_CHROOT/etc/hosts"
  cp -fL /etc/resolv.conf "$HC_SWIFT_CHROOT/etc/resolv.conf" 2>/dev/null || true
  echo "deb $mirror trixie main" >"$HC_SWIFT_CHROOT/etc/apt/sources.list"
  cat >"$HC_SWIFT_CHROOT/etc/apt/apt.conf.d/99hc" <<'APT'
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT::Install-Recommends "false";
APT
  if ! hc_chroot_ready; then
    hc_chroot_mount_proc
    hc_log "apt-get install swiftlang libc6-dev (inside the chroot)"
    hc_in_chroot 'apt-get update -q && apt-get install -y -q --no-install-recommends swiftlang libc6-dev && apt-get clean' \
      >"$log_dir/apt-swiftlang.log" 2>&1 \
      || { tail -30 "$log_dir/apt-swiftlang.log"; hc_chroot_cleanup; hc_die "swiftlang install failed"; }
    hc_in_chroot 'command -v swift >/dev/null && test -e /usr/include/stdio.h' \
      || { hc_chroot_cleanup; hc_die "swift missing in the chroot after install"; }
    touch "$HC_SWIFT_CHROOT/.hc-swift-ready"
    hc_chroot_cleanup
  fi
}
