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

# ---- the contract: plan never writes what validate rejects ----
# For every fixture host x selection x layout x format, with and without its
# recorded registers: plan exit 0 => validate --root and --host of its XML
# exit 0; plan exit 1 => nothing written, and either one planner refusal
# line or the findings validate gives for the same document.  That document
# comes from planning for an "oracle" copy of the host (probe --json) whose
# SMMUs can nest and pass QEMU's check, with /dev/iommu and vfio cdevs: the
# planned XML does not depend on those facts, so validating it against the
# real host must give exactly what plan reported (the same text, too).
oracle() { /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["smmus"]:
    hw = s.get("hwinfo")
    if hw:
        idr = [int(x, 16) for x in hw["idr"]]
        idr[0] = (idr[0] & ~(3 << 27) & ~(3 << 21) & ~(3 << 2)) | 1 << 27 | 2 << 2 | 3   # ST_LEVEL 1, LE, AArch64, S1P+S2P
        idr[1] = (idr[1] & ~0x3f) | max(idr[1] & 0x3f, 16)                               # SIDSIZE >= 16
        idr[3] |= 1 << 8                                                                 # FWB: nests
        idr[5] |= 0x70                                                                   # 4K, 16K, 64K
        hw["idr"] = ["0x%08x" % r for r in idr]
for key in ("iommufd", "vfio_cdev"):
    d[key]["present"] = True
for i, p in enumerate(d["pci_devices"]):
    if p["driver"] == "vfio-pci" and p["vfio_cdev"] is None:
        p["vfio_cdev"] = "vfio%d" % (900 + i)
json.dump(d, open(sys.argv[2], "w"))
PY
}
codes_of() { /usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join(sorted({f["code"] for i in doc["inputs"] for f in i["findings"] if f["severity"] == "error"})))' "$1"; }

contract_runs=0 refused=0
for h in gb200 altra kunpeng no-iommufd no16k split-group broken-dangling broken-escape broken-garbage broken-iort broken-loop; do
  root=tests/data/hosts/$h
  for regs in with without; do
    hwopt=$(hw $h)
    if [ $regs = without ]; then [ -n "$hwopt" ] || continue; hwopt=; fi
    "$SMMUCTL" probe --root "$root" $hwopt --json >"$WORK/real.json" 2>/dev/null
    oracle "$WORK/real.json" "$WORK/oracle.json"
    selections="--all-vfio"
    [ $h = gb200 ] && selections="--all-vfio|--vendor 10de"
    IFS='|'; for sel in $selections; do unset IFS
      for layout in per-smmu per-device; do
        for format in xml qemu json; do
          what="$h ($regs registers) $sel $layout $format"
          out="$WORK/contract.$format"; rm -f "$out"
          "$SMMUCTL" plan --root "$root" $hwopt $sel --layout $layout --format $format --json -o "$out" \
            >/dev/null 2>"$WORK/plan-err"
          status=$?
          contract_runs=$((contract_runs + 1))
          # the XML of the same plan, for validate (plan --format qemu/json checks it too)
          "$SMMUCTL" plan --host "$WORK/oracle.json" $sel --layout $layout --format xml -q --quiet-warnings \
            -o "$WORK/doc.xml" >/dev/null 2>"$WORK/oracle-err"
          oracle_status=$?
          case $status in
            0)
              [ -s "$out" ] && ok || fail "$what: exit 0 but nothing written"
              expect_status 0 "$what: validate --root of the planned XML" -- \
                "$SMMUCTL" validate --root "$root" $hwopt "$WORK/doc.xml"
              expect_status 0 "$what: validate --host of the planned XML" -- \
                "$SMMUCTL" validate --host "$WORK/real.json" "$WORK/doc.xml" ;;
            1)
              refused=$((refused + 1))
              [ -e "$out" ] && fail "$what: refused but $out was written" || ok
              if head -c1 "$WORK/plan-err" | grep -q '{'; then
                # findings: validate's codes for the same document on the real host
                [ $oracle_status -eq 0 ] || { fail "$what: the oracle host refuses too"; sed 's/^/  | /' "$WORK/oracle-err" >&2; continue; }
                json_schema "$WORK/plan-err" data/schemas/validate.schema.json
                "$SMMUCTL" validate --json --root "$root" $hwopt "$WORK/doc.xml" >"$WORK/val.json"
                want=$(codes_of "$WORK/val.json"); got=$(codes_of "$WORK/plan-err")
                [ -n "$got" ] && [ "$got" = "$want" ] && ok || fail "$what: plan reports '$got', validate '$want'"
              else
                # a refusal before there is a plan: one line, and validate has nothing to say either
                [ "$(wc -l <"$WORK/plan-err")" -eq 1 ] && grep -q '^smmuctl: ' "$WORK/plan-err" && ok \
                  || fail "$what: refusal is not one error line"
                [ $oracle_status -ne 0 ] && ok || fail "$what: planned for the oracle but refused for the host without findings"
              fi ;;
            *) fail "$what: exit $status"; sed 's/^/  | /' "$WORK/plan-err" >&2 ;;
          esac
        done
      done
    done; unset IFS
  done
done
[ $contract_runs -ge 100 ] && [ $refused -ge 20 ] && [ $refused -lt $contract_runs ] && ok \
  || fail "contract matrix too small: $contract_runs runs, $refused refused"

# The text form is validate's, line for line: the same document, the same path.
for h in altra no16k no-iommufd; do
  root=tests/data/hosts/$h
  "$SMMUCTL" probe --root "$root" $(hw $h) --json >"$WORK/real.json"
  oracle "$WORK/real.json" "$WORK/oracle.json"
  rm -f "$WORK/vm.xml"
  expect_status 1 "$h: plan refuses" -- "$SMMUCTL" plan --root "$root" $(hw $h) --all-vfio -o "$WORK/vm.xml"
  grep -v -e '^smmuctl: nothing written' -e '^  - ' "$WORK/err" >"$WORK/plan-findings.txt"
  "$SMMUCTL" plan --host "$WORK/oracle.json" --all-vfio -q --quiet-warnings -o "$WORK/vm.xml"
  "$SMMUCTL" validate --root "$root" $(hw $h) "$WORK/vm.xml" >"$WORK/validate-findings.txt"
  if diff -u "$WORK/validate-findings.txt" "$WORK/plan-findings.txt" >"$WORK/diff"; then ok
  else fail "$h: plan's findings are not validate's text"; cat "$WORK/diff" >&2; fi
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
