#!/usr/bin/env bash
# Record what real libvirt 12.9 makes of the domain cases: a TCG copy of every
# tests/data/domains/cases/*.xml (tcg-copy.py: libvirt refuses KVM domains
# without /dev/kvm) through `virsh domxml-to-native qemu-argv`, into
# OUTDIR/NAME.argv; a case libvirt refuses gets OUTDIR/NAME.refused with its
# words instead.  tests/validate-qemu.sh checks that validate --qemu of each
# agrees with validate of the TCG copy, on these files and, where the
# real-stack tier can run, on a fresh recording.
#
#   tests/data/qemu/libvirt/record.sh [OUTDIR]   (default: this directory; as root)
#
# libvirt runs in the real-stack tier's Debian 13 chroot, profile 'current'
# (tests/realstack/stack.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../../.." && pwd)
cases=$src/tests/data/domains/cases
out=$(realpath "${1:-$here}")

if [ -z "${STACK_ROOT:-}" ]; then
  "$src/tests/realstack/stack.sh" ensure current >/dev/null
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$src/tests/realstack/stack.sh" run current --share "$work" --share "$out" -- "$0" "$out" "$work"
  exit
fi

# In the stack: $2 is a directory both sides see.
work=$2
pairs=()
for xml in "$cases"/*.xml; do pairs+=("$xml" "$work/$(basename "$xml")"); done
/usr/bin/python3 "$here/tcg-copy.py" "${pairs[@]}"
rm -f "$out"/*.argv "$out"/*.refused
for xml in "$cases"/*.xml; do
  name=$(basename "$xml" .xml)
  if stack_chroot virsh -q -c qemu:///system domxml-to-native qemu-argv "$work/$name.xml" \
       >"$work/$name.argv" 2>"$work/$name.err"; then
    # The recording machine's PATH is no part of the case.
    sed -E 's#(^| )PATH=[^ ]*#\1PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin#' \
      "$work/$name.argv" >"$out/$name.argv"
  else
    sed 's/^error: //' "$work/$name.err" | head -1 >"$out/$name.refused"
  fi
done
stack_chroot virsh -c qemu:///system version | sed -n 's/^Using library: //p' >"$out/VERSION"
echo "record.sh: $(ls "$out"/*.argv | wc -l) converted, $(ls "$out"/*.refused | wc -l) refused by $(cat "$out/VERSION")"
