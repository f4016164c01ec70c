#!/usr/bin/env bash
# Inside `stack.sh run` (QEMU 11.1 of the real-stack chroot on PATH): boot
# every job of LIST, GUESTBOOT_JOBS at a time (default 2), then decode each
# guest's IORT with ACPICA's iasl (run in the chroot: it is built for
# Debian 13's C library).
#
#   boot-all.sh LIST     LIST: one boot directory per line, each holding the
#                        planned run.sh and an env file (the GUESTBOOT_*
#                        variables of qemu-standin.py); results land there
set -uo pipefail
LIST=${1:?usage: boot-all.sh LIST}
: "${IASL:?} ${STANDIN:?}"
JOBS=${GUESTBOOT_JOBS:-2}

boot_one() {
  local dir=$1
  (
    cd "$dir" || exit 1
    set -a; . ./env; set +a
    QEMU=$STANDIN sh ./run.sh >boot.log 2>&1
    echo $? >boot.status
  )
}

running=0
while read -r dir; do
  [ -n "$dir" ] || continue
  boot_one "$dir" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done <"$LIST"
wait

while read -r dir; do
  iort=$dir/out/tree/sys/firmware/acpi/tables/IORT
  [ -f "$iort" ] || continue
  stack_chroot "$IASL" -p "$dir/out/iort" -d "$iort" >"$dir/iasl.log" 2>&1
  echo $? >"$dir/iasl.status"
done <"$LIST"
