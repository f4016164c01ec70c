# validate against a host (SMU3xx): for every fixture host the planned XML
# has no errors against that host, and mutations give exactly the expected codes.
. "$SRCDIR/tests/lib.sh"

# Error codes of a validate --json run, sorted and unique, space separated.
error_codes() { /usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
codes = sorted({f["code"] for i in doc["inputs"] for f in i.get("findings", []) if f["severity"] == "error"})
print(" ".join(codes))' "$1"; }

expect_codes() { # WANT DESCRIPTION
  local got; got=$(error_codes "$WORK/out")
  if [ "$got" = "$1" ]; then ok; else fail "$2: error codes '$got', wanted '$1'"; fi
}

hw() { [ -f "tests/data/hosts/$1/hwinfo.json" ] && echo "--hwinfo-json tests/data/hosts/$1/hwinfo.json"; }

for h in gb200 altra kunpeng no-iommufd split-group; do
  root=tests/data/hosts/$h
  "$SMMUCTL" probe --root "$root" $(hw $h) --json >"$WORK/$h.json"
  # The devices a plan can serve: bound to vfio-pci, behind an SMMU that is not known to be unable to nest.
  devices=$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
cannot = {s["name"] for s in d["smmus"] if s["nesting"]["possible"] == "no"}
print(" ".join("--device " + p["bdf"] for p in d["pci_devices"]
               if p["driver"] == "vfio-pci" and p["smmu"] and p["smmu"] not in cannot))' "$WORK/$h.json")
  if [ -z "$devices" ]; then
    # altra: no SMMU can nest, so a plan of its devices must fail validation with SMU307, and only that.
    "$SMMUCTL" plan --root "$root" $(hw $h) --all-vfio -q -o "$WORK/$h.xml"
    expect_status 1 "$h: plan of SMMUs that cannot nest" -- "$SMMUCTL" validate --json --host "$WORK/$h.json" "$WORK/$h.xml"
    expect_codes "SMU307" "$h: cannot nest"
    continue
  fi
  "$SMMUCTL" plan --root "$root" $(hw $h) $devices --managed -q -o "$WORK/$h.xml" 2>"$WORK/plan-err"
  if [ "$h" = no-iommufd ]; then
    expect_status 1 "$h: planned XML on a host without iommufd" -- "$SMMUCTL" validate --json --host "$WORK/$h.json" "$WORK/$h.xml"
    expect_codes "SMU304" "$h: no iommufd"
    continue
  fi
  expect_status 0 "$h: planned XML against its host (--host)" -- "$SMMUCTL" validate --json --host "$WORK/$h.json" "$WORK/$h.xml"
  expect_codes "" "$h: no errors"
  expect_status 0 "$h: planned XML against its tree (--root)" -- "$SMMUCTL" validate --root "$root" $(hw $h) "$WORK/$h.xml"
done

# Mutations of a two-GPU gb200 plan.
G=tests/data/hosts/gb200
"$SMMUCTL" plan --root $G $(hw gb200) --device 0008:01:00.0 --device 0009:01:00.0 -q -o "$WORK/two.xml"
expect_status 0 "two GPUs, as planned" -- "$SMMUCTL" validate --json --root $G $(hw gb200) "$WORK/two.xml"
expect_codes "" "two GPUs"

# 1. Move the second GPU below the first vSMMU: two host SMMUs under one vSMMU,
#    and the second vSMMU left without a device.
/usr/bin/python3 - "$WORK/two.xml" "$WORK/mixed.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1]); devs = tree.getroot().find("devices")
hostdevs = devs.findall("hostdev")
first_bus = hostdevs[0].find("address").get("bus")
moved = hostdevs[1].find("address"); moved.set("bus", first_bus); moved.set("function", "0x1")
tree.write(sys.argv[2])
PY
expect_status 1 "GPUs of two SMMUs under one vSMMU" -- "$SMMUCTL" validate --json --root $G $(hw gb200) "$WORK/mixed.xml"
expect_codes "SMU203 SMU301" "mixed host SMMUs"
"$SMMUCTL" validate --root $G $(hw gb200) "$WORK/mixed.xml" >"$WORK/mixed.txt"
expect_grep 'SMU301 host-smmu-mixed: .*0008:01:00.0 → smmu3.0x0000000016000000, 0009:01:00.0 → smmu3.0x0000000016800000' \
  "$WORK/mixed.txt" "SMU301 names both sides"
# Without a host the same file has no SMU3xx (near miss for the host rules).
expect_status 1 "mixed, without a host" -- "$SMMUCTL" validate --json "$WORK/mixed.xml"
expect_codes "SMU203" "mixed without a host"

# 2. A host whose SMMUs have a 44-bit OAS: the planned oas='48' is too much.
/usr/bin/python3 - $G/hwinfo.json "$WORK/oas44.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["smmus"]:
    s["idr"][5] = "0x%08x" % ((int(s["idr"][5], 16) & ~7) | 4)
json.dump(d, open(sys.argv[2], "w"))
PY
expect_status 1 "oas above the host's" -- "$SMMUCTL" validate --json --root $G --hwinfo-json "$WORK/oas44.json" "$WORK/two.xml"
expect_codes "SMU309" "raised oas"
"$SMMUCTL" validate --root $G --hwinfo-json "$WORK/oas44.json" "$WORK/two.xml" >"$WORK/oas.txt"
expect_grep "SMU309 host-smmu-incompatible: QEMU 11.1.0 refuses host smmu3.0x0000000016000000 for the accelerated vSMMU on controller [0-9]+: \"Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA\" \(host IDR5.OAS=4, vSMMU 5: oas='48'\)" \
  "$WORK/oas.txt" "SMU309 quotes QEMU and names the register"

# 3. Unbind a GPU in a copy of the tree: managed='no' hostdevs need vfio-pci.
cp -a $G "$WORK/unbound"
ln -sfn ../../../../bus/pci/drivers/nvidia "$WORK/unbound/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/driver"
expect_status 1 "a GPU unbound from vfio-pci" -- "$SMMUCTL" validate --json --root "$WORK/unbound" $(hw gb200) "$WORK/two.xml"
expect_codes "SMU303" "unbound device"

# Host options: exactly one host; a host that cannot be read is exit 3; a malformed document exit 2.
expect_status 2 "--host and --root" -- "$SMMUCTL" validate --host "$WORK/gb200.json" --root $G "$WORK/two.xml"
expect_grep 'give one' "$WORK/err" "two hosts refused"
expect_status 3 "--root missing" -- "$SMMUCTL" validate --root "$WORK/nowhere" "$WORK/two.xml"
echo '{"format": "smmuctl-host", "format_version": 1, "smmus": 5}' >"$WORK/bad-host.json"
expect_status 2 "--host malformed" -- "$SMMUCTL" validate --host "$WORK/bad-host.json" "$WORK/two.xml"
expect_grep 'bad-host.json: \$\.smmus' "$WORK/err" "malformed host names the JSON path"
expect_status 2 "--hwinfo-json without a host" -- "$SMMUCTL" validate --hwinfo-json $G/hwinfo.json "$WORK/two.xml"

finish
