#!/usr/bin/env bash
# A provisioning script built on smmuctl's contract: exit statuses (0 ok,
# 1 findings / plan impossible, 2 usage or unreadable input, 3 host or libvirt
# unreachable) and --json documents read with jq.  It records the host, plans
# a VM for the requested devices, validates the plan, and defines it with
# libvirt when --connect is given.
#
#   examples/provision.sh [--root DIR [--hwinfo-json FILE] | --host FILE]
#                         [--connect URI] [--target-libvirt V] [--target-qemu V]
#                         [--out DIR] NAME BDF…
#
# Example, on the bundled example host (from a checkout):
#   SMMUCTL=build/smmuctl examples/provision.sh --root tests/data/hosts/gb200 \
#     --hwinfo-json tests/data/hosts/gb200/hwinfo.json gpu-vm 0008:01:00.0 0009:01:00.0
#
# Its own exit status follows smmuctl's, so it can be called the same way.
set -uo pipefail

SMMUCTL=${SMMUCTL:-smmuctl}
host_args=() plan_args=() connect="" out=""

die() { # STATUS MESSAGE
  echo "provision: $2" >&2
  exit "$1"
}
usage() { die 2 "usage: provision.sh [--root DIR [--hwinfo-json FILE] | --host FILE] [--connect URI] [--target-libvirt V] [--target-qemu V] [--out DIR] NAME BDF…"; }

while [ $# -gt 0 ]; do
  case $1 in
    --root | --hwinfo-json) [ $# -ge 2 ] || usage; host_args+=("$1" "$2"); shift 2 ;;
    --host) [ $# -ge 2 ] || usage; host_json=$2; shift 2 ;;
    --connect) [ $# -ge 2 ] || usage; connect=$2; shift 2 ;;
    --target-libvirt | --target-qemu) [ $# -ge 2 ] || usage; plan_args+=("$1" "$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
name=$1; shift
command -v jq >/dev/null || die 2 "jq is needed (apt-get install jq)"
out=${out:-$(mktemp -d)}
mkdir -p "$out" || die 2 "cannot create $out"

# 1. Record the host (or take a recorded one).  Exit 3: the host is unreadable.
if [ -z "${host_json:-}" ]; then
  host_json=$out/host.json
  "$SMMUCTL" probe --json "${host_args[@]}" >"$host_json"
  case $? in
    0) ;;
    3) die 3 "cannot read the host (see the message above)" ;;
    *) die 2 "smmuctl probe failed" ;;
  esac
fi

# 2. Host readiness: iommufd and vfio cdevs, and each device's SMMU must nest.
failed=$(jq -r '.checks[] | select(.status == "FAIL" and (.id == "iommufd" or .id == "vfio-cdev")) | .message' "$host_json") ||
  die 2 "$host_json is not a smmuctl host document"
[ -z "$failed" ] || die 1 "host not ready: $failed"
for bdf in "$@"; do
  dev=$(jq -c --arg bdf "$bdf" '.pci_devices[] | select(.bdf == $bdf)' "$host_json")
  [ -n "$dev" ] || die 1 "$bdf: no such PCI device on the host"
  smmu=$(jq -r '.smmu // "none"' <<<"$dev")
  nesting=$(jq -r --arg s "$smmu" '[.smmus[] | select(.name == $s) | .nesting.possible][0] // "unknown"' "$host_json")
  echo "provision: $bdf $(jq -r '"\(.vendor):\(.device) \(.driver // "no driver")"' <<<"$dev") behind $smmu (nesting $nesting)"
  [ "$nesting" != no ] || die 1 "$bdf: its SMMU $smmu cannot nest; it cannot sit below an accelerated vSMMU"
done

# 3. Plan: the JSON for this script, the XML for libvirt.  Exit 1: the request
#    cannot be satisfied (a split IOMMU group, a target too old, …).
devices=()
for bdf in "$@"; do devices+=(--device "$bdf"); done
"$SMMUCTL" plan --host "$host_json" "${devices[@]}" "${plan_args[@]}" --name "$name" -q -o "$out/$name.xml"
case $? in
  0) ;;
  1) die 1 "no valid plan for $* (see the message above)" ;;
  *) die 2 "smmuctl plan refused the request" ;;
esac
"$SMMUCTL" plan --host "$host_json" "${devices[@]}" "${plan_args[@]}" --name "$name" \
  --format json -q -o "$out/plan.json" || die 1 "smmuctl plan --format json failed after the XML succeeded"
jq -r '.vsmmus[] | "provision: vSMMU \(.id) on \(.root_complex) for \(.host_smmu.name): \(.props | to_entries | map("\(.key)=\(.value)") | join(" "))"' "$out/plan.json"
jq -r '.warnings[] | "provision: warning: \(.)"' "$out/plan.json"

# 4. Validate what will be defined.  Exit 1: errors; the findings say why.
"$SMMUCTL" validate --json "$out/$name.xml" >"$out/findings.json"
status=$?
jq -r '.inputs[].findings[] | select(.severity != "info") | "provision: \(.severity) \(.code) \(.name): \(.message)"' "$out/findings.json"
case $status in
  0) ;;
  1) die 1 "the planned domain has errors; see $out/findings.json" ;;
  *) die "$status" "smmuctl validate could not check $out/$name.xml" ;;
esac

# 5. Define it.  Without --connect, stop here and say what to run.
if [ -z "$connect" ]; then
  echo "provision: planned $out/$name.xml; define it with: virsh define $out/$name.xml"
  exit 0
fi
virsh -c "$connect" define "$out/$name.xml" || die 3 "libvirt at $connect refused or could not be reached"
echo "provision: defined $name at $connect"
