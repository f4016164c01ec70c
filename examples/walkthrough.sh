#!/usr/bin/env bash
# A walk-through of smmuctl on the bundled example host (a GB200-class machine
# with 4 GPUs, each behind its own SMMUv3): probe → plan → validate the plan →
# break it on purpose, twice → read the findings → explain them.
#
# Run it from a checkout (it needs nothing but smmuctl, and jq for step 6):
#   SMMUCTL=build/smmuctl examples/walkthrough.sh
# It writes its files into $WORKDIR (default: a new temporary directory).
# tests/examples.sh runs it, so every command below works as shown.
set -euo pipefail
cd "$(dirname "$0")/.."

SMMUCTL=${SMMUCTL:-$(command -v smmuctl || echo build/smmuctl)}
HOST=tests/data/hosts/gb200
WORKDIR=${WORKDIR:-$(mktemp -d)}
step=0

# say TEXT — a numbered heading; run CMD… — show a command, then run it.
say() { step=$((step + 1)); printf '\n=== %d. %s\n' "$step" "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# expect_exit STATUS CMD… — run a command that must end with STATUS.
expect_exit() {
  local want=$1 got=0; shift
  run "$@" || got=$?
  printf '(exit status %d)\n' "$got"
  if [ "$got" -ne "$want" ]; then
    echo "walkthrough: expected exit status $want from: $*" >&2
    exit 1
  fi
}

say "Probe the host: which SMMU translates which device, and can each SMMU nest?"
# On a real machine: sudo smmuctl probe --hwinfo.  Here the host is a sysfs
# and IORT tree, and the SMMU ID registers were recorded in hwinfo.json.
run "$SMMUCTL" probe --root "$HOST" --hwinfo-json "$HOST/hwinfo.json"

say "Record the host as JSON: plan can work from this file on any machine"
echo "\$ $SMMUCTL probe --root $HOST --hwinfo-json $HOST/hwinfo.json --json > $WORKDIR/host.json"
"$SMMUCTL" probe --root "$HOST" --hwinfo-json "$HOST/hwinfo.json" --json >"$WORKDIR/host.json"
echo "wrote $WORKDIR/host.json ($(wc -c <"$WORKDIR/host.json") bytes)"

say "Plan a VM with two GPUs; they sit behind two different host SMMUs"
# One pxb-pcie and one accelerated vSMMU per host SMMU; the summary goes to
# stderr, the domain XML to the file.
run "$SMMUCTL" plan --host "$WORKDIR/host.json" --device 0008:01:00.0 --device 0009:01:00.0 \
  --name gpu-vm --memory 64G --vcpus 16 -o "$WORKDIR/gpu-vm.xml"

say "Validate the plan: no errors (info findings are allowed), exit status 0"
expect_exit 0 "$SMMUCTL" validate "$WORKDIR/gpu-vm.xml"

say "Break it: add a virtio NIC on a new root port below the first accelerated vSMMU"
# Controller index 1 is the pxb-pcie of GPU 0008:01:00.0; its vSMMU is accel=on.
# QEMU refuses emulated endpoints there and exits at start-up.
sed 's|^  </devices>|    <controller type="pci" index="10" model="pcie-root-port">\
      <target chassis="10" port="0x8" hotplug="off"/>\
      <address type="pci" domain="0x0000" bus="0x01" slot="0x01" function="0x0"/>\
    </controller>\
    <interface type="network">\
      <source network="default"/>\
      <model type="virtio"/>\
      <address type="pci" domain="0x0000" bus="0x0a" slot="0x00" function="0x0"/>\
    </interface>\
  </devices>|' "$WORKDIR/gpu-vm.xml" >"$WORKDIR/broken-virtio.xml"
run diff "$WORKDIR/gpu-vm.xml" "$WORKDIR/broken-virtio.xml" || true
expect_exit 1 "$SMMUCTL" validate "$WORKDIR/broken-virtio.xml"

say "Break it another way: move the second GPU's root port below the first vSMMU"
# Both GPUs now share one vSMMU although they are behind different host SMMUs,
# and the second vSMMU is left without a device.
sed 's|<address type="pci" domain="0x0000" bus="0x02" slot="0x00" function="0x0"/>|<address type="pci" domain="0x0000" bus="0x01" slot="0x01" function="0x0"/>|' \
  "$WORKDIR/gpu-vm.xml" >"$WORKDIR/broken-mixed.xml"
run diff "$WORKDIR/gpu-vm.xml" "$WORKDIR/broken-mixed.xml" || true
expect_exit 1 "$SMMUCTL" validate "$WORKDIR/broken-mixed.xml"

say "Only the host knows the GPUs are behind different SMMUs: validate against it"
# --host reads the probe document; SMU301 names each device and its host SMMU.
expect_exit 1 "$SMMUCTL" validate --host "$WORKDIR/host.json" "$WORKDIR/broken-mixed.xml"

say "Read the findings as a script would: --json, one document, stable codes"
echo "\$ $SMMUCTL validate --json $WORKDIR/broken-virtio.xml $WORKDIR/broken-mixed.xml > $WORKDIR/findings.json"
"$SMMUCTL" validate --json "$WORKDIR/broken-virtio.xml" "$WORKDIR/broken-mixed.xml" >"$WORKDIR/findings.json" || true
run jq -r '.inputs[] | .source as $f | .findings[]
           | select(.severity == "error") | "\($f):\(.line): \(.code) \(.name)"' "$WORKDIR/findings.json"

say "Ask what a finding means, and how to fix it"
run "$SMMUCTL" explain SMU201
run "$SMMUCTL" explain accel-no-coldplug-vfio

say "Done"
echo "Files are in $WORKDIR. Next: fix the XML (or plan again) and validate until the exit status is 0."
