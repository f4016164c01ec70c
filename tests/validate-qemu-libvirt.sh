#!/usr/bin/env bash
# validate --qemu against libvirt 12.9 itself, in the real-stack tier: every
# domain case goes through `virsh domxml-to-native qemu-argv` afresh
# (tests/data/qemu/libvirt/record.sh in tests/realstack/stack.sh's chroot),
# and validate --qemu of what libvirt prints must give the exit status and
# codes validate gives for the XML (tests/qemu-libvirt.sh, with the cases
# libvirt changes on the way).  validate-qemu.sh runs the same comparison on
# the recorded command lines everywhere; this one proves them current.
# Skipped where the tier cannot run (as tests/realstack.sh: not with CI=true).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/qemu-libvirt.sh"

if ! reason=$(tests/realstack/stack.sh why-not); then
  if [ "${CI:-}" = true ]; then echo "FAIL: the real-stack tier must run in CI, but: $reason"; exit 1; fi
  echo "SKIP: $reason"
  exit 77
fi
mkdir -p "$WORK/live"
if tests/data/qemu/libvirt/record.sh "$WORK/live" >"$WORK/record.log" 2>&1; then ok
else fail "recording with libvirt failed: $(tail -3 "$WORK/record.log")"; fi
cat "$WORK/record.log"
compare_with_libvirt "$WORK/live"
# The recorded command lines are the ones libvirt prints today (MAC addresses
# and UUIDs are chosen afresh each time, tap descriptors are whatever is free).
words () { sed -E 's/"mac":"[^"]*"//; s/-uuid [^ ]+//; s/"fd":"[0-9]+"//g' "$1" | tr ' ' '\n'; }
same=0
for f in "$WORK"/live/*.argv; do
  recorded=tests/data/qemu/libvirt/$(basename "$f")
  if diff <(words "$f") <(words "$recorded") >"$WORK/diff" 2>&1; then
    same=$((same + 1))
  else
    fail "$(basename "$f"): libvirt prints another command line than tests/data/qemu/libvirt/ holds (run record.sh)"
    head -4 "$WORK/diff" >&2
  fi
done
[ "$same" -gt 0 ] && ok || fail "no command line recorded afresh"
finish
