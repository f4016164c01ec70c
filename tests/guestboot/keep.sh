#!/usr/bin/env bash
# Keep some boots of the guest-boot tier as fixtures for the fast verify
# tests (tests/verify-cli.sh): the guest's tree and the plan verify reads.
#
#   GUESTBOOT_SAVE=/tmp/boots meson test -C build guest-boot
#   tests/guestboot/keep.sh /tmp/boots
set -euo pipefail
SAVE=${1:?usage: keep.sh SAVED-BOOTS-DIR}
cd "$(dirname "$0")/../data/guests"
# fixture name ← boot name
for pair in kunpeng:kunpeng-per-smmu big-2-16:big-2-16-per-smmu shared-smmu:wrong-shared-smmu \
            device-on-pcie0:wrong-device-on-pcie0 split-functions:wrong-split-functions; do
  name=${pair%%:*} boot=$SAVE/${pair#*:}
  [ -d "$boot/out/tree/sys" ] || { echo "keep.sh: $boot has no guest tree" >&2; exit 1; }
  rm -rf "$name"
  mkdir "$name"
  cp -a "$boot/out/tree/." "$name/"
  cp "$boot/plan-standin.json" "$name/plan.json"
  # git keeps no empty directory (an SMMU's or a NUMA node's, whose attributes
  # were not captured): give each the uevent file every sysfs directory has.
  find "$name" -type d -empty -exec touch {}/uevent \;
  echo "$name ← $(basename "$boot"): $(grep -o '"mutation": [^,]*' "$boot/out/argv.json")"
done
