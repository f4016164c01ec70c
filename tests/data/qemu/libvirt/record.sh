#!/usr/bin/env bash
# Record what real libvirt makes of the domain cases: a TCG copy of every
# tests/data/domains/cases/*.xml (tcg-copy.py) through
# `virsh domxml-to-native qemu-argv`, into NAME.argv here; cases libvirt
# refuses get no file (NAME.refused holds its words).  tests/validate-qemu.sh
# checks that validate --qemu of each agrees with validate of the TCG copy.
#
# Runs inside a mount/pid namespace where libvirtd (12.9) runs in a Debian 13
# chroot at $R and /tmp/rs is bind-mounted at the same path, e.g.:
#   unshare --mount --net --pid --fork bash /tmp/rs/ns.sh CHROOT tests/data/qemu/libvirt/record.sh
# (the real-stack tier under tests/realstack/ runs libvirt the same way).
set -euo pipefail
: "${R:?run inside the libvirt namespace: \$R is the chroot}"
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../../domains/cases
work=$(mktemp -d /tmp/rs/record.XXXXXX)
trap 'rm -rf "$work"' EXIT
# libvirt opens /dev/net/tun for <interface> even in domxml-to-native.
mkdir -p "$R/dev/net"
[ -e "$R/dev/net/tun" ] || mknod "$R/dev/net/tun" c 10 200
rm -f "$here"/*.argv "$here"/*.refused
for xml in "$cases"/*.xml; do
  name=$(basename "$xml" .xml)
  /usr/bin/python3 "$here/tcg-copy.py" "$xml" "$work/$name.xml"
  if chroot "$R" virsh -q -c qemu:///system domxml-to-native qemu-argv "$work/$name.xml" \
       >"$work/$name.argv" 2>"$work/$name.err"; then
    # The recording machine's PATH is no part of the case.
    sed -E 's#(^| )PATH=[^ ]*#\1PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin#' \
      "$work/$name.argv" >"$here/$name.argv"
  else
    sed 's/^error: //' "$work/$name.err" | head -1 >"$here/$name.refused"
  fi
done
chroot "$R" virsh -c qemu:///system version | sed -n 's/^Using library: //p' >"$here/VERSION"
echo "record.sh: $(ls "$here"/*.argv | wc -l) converted, $(ls "$here"/*.refused | wc -l) refused by $(cat "$here/VERSION")"
