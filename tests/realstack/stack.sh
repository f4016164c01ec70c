#!/usr/bin/env bash
# The real QEMU and libvirt that smmuctl's facts are checked against, in a
# Debian 13 chroot built once with debootstrap and cached.
#
#   stack.sh ensure PROFILE          build the chroot if needed; print its path
#   stack.sh run PROFILE [--share DIR]… -- CMD…
#                                    run CMD (a host program) in private mount,
#                                    network and PID namespaces, with libvirtd
#                                    started in a throw-away overlay of the chroot
#   stack.sh why-not                 print why this machine cannot build one (exit 1), or nothing
#   stack.sh mirror                  print the Debian mirror this machine's apt uses (exit 1: none)
#
# Profiles (one table below): 'current' = trixie-backports (QEMU 11.1,
# libvirt 12.9), 'trixie' = trixie main (QEMU 10.0, libvirt 11.3).
#
# Inside CMD: $STACK_ROOT is the chroot's root (writable, discarded at exit),
# `stack_chroot PROG…` is how to run one of its programs; each --share DIR is
# bind-mounted at the same path inside it, so file names mean the same on
# both sides.  The host's /run/libvirt is the chroot's (so libvirt clients on
# the host reach its libvirtd) and qemu-system-aarch64 on PATH is the chroot's.  The machine's own /dev, /sys and network are never changed:
# the VFIO-looking bits libvirt wants (/dev/vfio/vfio, an IOMMU group in
# /sys/kernel/iommu_groups) exist only inside the namespace.
set -euo pipefail

CACHE=${SMMUCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smmuctl}/realstack
PACKAGES="qemu-system-arm qemu-efi-aarch64 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libxml2-utils"
# Bump when the way a chroot is built changes: cached ones are rebuilt.
FORMAT=1

# profile → extra apt suite and the release packages come from
profile_suite() {
  case "$1" in
    current) echo "trixie-backports" ;;
    trixie) echo "trixie" ;;
    *) echo "stack.sh: unknown profile '$1' (current, trixie)" >&2; exit 2 ;;
  esac
}

# The Debian mirror this machine's apt uses (deb822 .sources or sources.list),
# skipping security archives: no host is named in this project.
apt_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      { uris = ""; suites = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = $i }
          if ($i ~ /^Enabled:[ \t]*no/) { uris = "" }
        }
        split(uris, u, /[ \t]+/)
        if (u[1] != "" && u[1] !~ /security/ && suites !~ /security/) { print u[1]; exit } }' "$f")
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  if [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $(i-1) !~ /\[[^]]*$/) { print $i; exit } }' \
      /etc/apt/sources.list | grep -v security | head -1 || true)
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  fi
  return 1
}

why_not() {
  [ "$(id -u)" -eq 0 ] || { echo "not root (debootstrap, chroot and namespaces need it)"; return; }
  command -v debootstrap >/dev/null || { echo "debootstrap is not installed (./bootstrap test installs it)"; return; }
  command -v unshare >/dev/null || { echo "unshare (util-linux) is not installed"; return; }
  grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null \
    || { echo "the kernel has no overlay file system"; return; }
  apt_mirror >/dev/null || { echo "no Debian mirror found in /etc/apt/sources.list{,.d}"; return; }
}

stamp() { echo "format=$FORMAT suite=$(profile_suite "$1") packages=$PACKAGES"; }

# Build PROFILE's chroot into a temporary directory and rename it into place,
# so that an interrupted build never leaves a half chroot that looks ready.
build() {
  local profile=$1 suite mirror dir=$CACHE/$1 tmp
  suite=$(profile_suite "$profile")
  mirror=$(apt_mirror)
  tmp=$CACHE/.build-$profile.$$
  rm -rf "$tmp"
  echo "stack.sh: building the '$profile' chroot (Debian 13, $suite) from $mirror; cached in $dir" >&2
  if [ ! -f "$CACHE/base.tar" ]; then
    debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$CACHE/.debootstrap.log" 2>&1 \
      || { tail -5 "$CACHE/.debootstrap.log" >&2; rm -rf "$tmp"; return 1; }
    tar -C "$tmp" -cf "$CACHE/base.tar.tmp" . && mv "$CACHE/base.tar.tmp" "$CACHE/base.tar"
  else
    mkdir -p "$tmp" && tar -C "$tmp" -xf "$CACHE/base.tar"
  fi
  local target=()
  if [ "$suite" != trixie ]; then
    echo "deb $mirror $suite main" >"$tmp/etc/apt/sources.list.d/$suite.list"
    target=(-t "$suite")
  fi
  # Services must not start inside the chroot while packages install.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"; chmod +x "$tmp/usr/sbin/policy-rc.d"
  if ! unshare --mount --pid --fork bash -c '
      set -e; mount --make-rprivate /; mount -t proc proc "$1/proc"
      chroot "$1" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get install -y -qq --no-install-recommends "${@:2}"
      chroot "$1" apt-get clean' _ "$tmp" "${target[@]}" $PACKAGES >"$CACHE/.install-$profile.log" 2>&1; then
    tail -5 "$CACHE/.install-$profile.log" >&2; rm -rf "$tmp"; return 1
  fi
  rm -f "$tmp/usr/sbin/policy-rc.d"
  stamp "$profile" >"$tmp/.smmuctl-stack"
  rm -rf "$dir" && mv "$tmp" "$dir"
  # libvirtd probes QEMU's capabilities on its first start (a few seconds):
  # do it once here, so the cache in the chroot serves every later run.
  STACK_WARMUP=1 "$0" run "$profile" -- true
}

ensure() {
  local profile=$1 reason
  profile_suite "$profile" >/dev/null
  reason=$(why_not)
  [ -z "$reason" ] || { echo "stack.sh: cannot build a chroot here: $reason" >&2; return 1; }
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  if [ "$(cat "$CACHE/$profile/.smmuctl-stack" 2>/dev/null)" != "$(stamp "$profile")" ]; then
    build "$profile" || { echo "stack.sh: building the '$profile' chroot failed (logs in $CACHE)" >&2; return 1; }
  fi
  exec 9>&-
  echo "$CACHE/$profile"
}

# Runs as PID 1 of the new namespaces: every process started here (libvirtd,
# QEMU) dies with it, and every mount disappears with the mount namespace.
inner() {
  local lower=$1; shift
  local shares=()
  while [ "$1" != -- ]; do shares+=("$1"); shift; done
  shift
  mount --make-rprivate /
  # A fixed mount point: each namespace mounts its own tmpfs over it.
  local t=$CACHE/.mnt
  mount -t tmpfs tmpfs "$t"
  mkdir -p "$t/upper" "$t/work" "$t/root"
  local root=$t/root
  if [ -n "${STACK_WARMUP:-}" ]; then
    root=$lower   # warm-up writes the capability cache into the chroot itself
  else
    mount -t overlay overlay -o "lowerdir=$lower,upperdir=$t/upper,workdir=$t/work" "$root"
  fi
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount -t tmpfs tmpfs "$root/sys/kernel/iommu_groups"
  mkdir -p "$root/sys/kernel/iommu_groups/0/devices"
  mount -t tmpfs -o mode=0755 tmpfs "$root/dev"
  local n
  for n in null zero random urandom tty full; do
    touch "$root/dev/$n"; mount --bind "/dev/$n" "$root/dev/$n"
  done
  # libvirt opens /dev/net/tun for <interface> even in domxml-to-native
  mkdir -p "$root/dev/net"; touch "$root/dev/net/tun"; mount --bind /dev/net/tun "$root/dev/net/tun"
  mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/vfio"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mknod "$root/dev/vfio/vfio" c 10 196
  mount -t tmpfs tmpfs "$root/run"
  mount -t tmpfs tmpfs "$root/tmp"
  local s
  for s in "${shares[@]}"; do
    mkdir -p "$root$s"; mount --bind "$s" "$root$s"
  done
  ip link set lo up 2>/dev/null || true
  chroot "$root" /usr/sbin/libvirtd -d
  local i
  for i in $(seq 300); do [ -S "$root/run/libvirt/libvirt-sock" ] && break; sleep 0.05; done
  [ -S "$root/run/libvirt/libvirt-sock" ] || { echo "stack.sh: libvirtd did not start in $lower" >&2; return 1; }
  chroot "$root" virsh -q -c qemu:///system capabilities >/dev/null
  # The host's own programs see this stack as "installed": libvirt's socket at
  # its usual place and qemu-system-aarch64 first on PATH (smmuctl's
  # --target-libvirt/--target-qemu installed, probe's tools section).
  mkdir -p /run/libvirt "$t/bin"
  mount --bind "$root/run/libvirt" /run/libvirt
  printf '#!/bin/sh\nexec chroot %q /usr/bin/qemu-system-aarch64 "$@"\n' "$root" >"$t/bin/qemu-system-aarch64"
  chmod +x "$t/bin/qemu-system-aarch64"
  export PATH=$t/bin:$PATH
  export STACK_ROOT=$root
  stack_chroot() { chroot "$STACK_ROOT" "$@"; }
  export -f stack_chroot
  "$@"
}

case "${1:-}" in
  ensure) ensure "${2:?profile}" ;;
  why-not) r=$(why_not); [ -z "$r" ] || { echo "$r"; exit 1; } ;;
  mirror) apt_mirror ;;
  run)
    profile=${2:?profile}; shift 2
    shares=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
      [ "$1" = --share ] || { echo "stack.sh run: unknown option '$1'" >&2; exit 2; }
      shares+=("$(realpath "$2")"); shift 2
    done
    shift
    root=$CACHE/$profile
    mkdir -p "$CACHE/.mnt"
    [ -f "$root/.smmuctl-stack" ] || { echo "stack.sh: no '$profile' chroot; run: stack.sh ensure $profile" >&2; exit 2; }
    exec unshare --mount --net --pid --fork --kill-child -- "$0" __inner "$root" "${shares[@]}" -- "$@"
    ;;
  __inner) shift; inner "$@" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
