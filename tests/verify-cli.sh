# smmuctl verify on guests captured by the guest-boot tier (tests/data/guests):
# the ones that match their plan pass, the wrong boots fail with their codes,
# and every other SMU6xx comes from a copy with one thing changed on purpose
# (a plan value, a sysfs link, the IORT).  Golden text in tests/data/verify/.
. "$SRCDIR/tests/lib.sh"
G=tests/data/guests
GOLDEN=tests/data/verify
SCHEMA=data/schemas/verify.schema.json

# codes_of JSON → the sorted distinct finding codes
codes_of() {
  /usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({f["code"] for f in json.load(open(sys.argv[1]))["findings"]})))' "$1"
}
# check NAME STATUS "CODES" PLAN ROOT [verify options…]: exit status, codes, schema
check() {
  local name=$1 want=$2 codes=$3 plan=$4 root=$5; shift 5
  expect_status "$want" "$name" -- "$SMMUCTL" verify --plan "$plan" --root "$root" --json "$@"
  cp "$WORK/out" "$WORK/$name.json"
  json_schema "$WORK/$name.json" "$SCHEMA"
  local got
  got=$(codes_of "$WORK/$name.json")
  [ "$got" = "$codes" ] && ok || fail "$name: findings '$got', wanted '$codes'"
  [ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["exit_status"])' "$WORK/$name.json")" = "$want" ] \
    && ok || fail "$name: summary.exit_status differs from the exit status"
}
# copy_guest NAME → a writable copy of a fixture guest (tree and plan) in $WORK/NAME
copy_guest() {
  rm -rf "${WORK:?}/$2"
  cp -a "$G/$1" "$WORK/$2"
}
# edit_plan FILE PYTHON: change the plan document (variable p) in place
edit_plan() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(p, open(sys.argv[1], "w"), indent=2)
PY
}

# ---- the captured guests, text goldens ----
for guest in kunpeng big-2-16 shared-smmu device-on-pcie0 split-functions; do
  "$SMMUCTL" verify --plan "$G/$guest/plan.json" --root "$G/$guest" >"$WORK/$guest.txt" 2>"$WORK/err"
  echo "exit status $?" >>"$WORK/$guest.txt"
  golden "$WORK/$guest.txt" "$GOLDEN/$guest.txt"
done
check kunpeng 0 "" "$G/kunpeng/plan.json" "$G/kunpeng"
check big-2-16 0 "" "$G/big-2-16/plan.json" "$G/big-2-16"
check shared-smmu 1 "SMU606" "$G/shared-smmu/plan.json" "$G/shared-smmu"
check device-on-pcie0 1 "SMU601 SMU610" "$G/device-on-pcie0/plan.json" "$G/device-on-pcie0"
check split-functions 1 "SMU601" "$G/split-functions/plan.json" "$G/split-functions"
# Per device: where it is, which codes concern it.
/usr/bin/python3 - "$WORK/device-on-pcie0.json" <<'PY' && ok || fail "device-on-pcie0: per-device results"
import json, sys
d = {x["id"]: x for x in json.load(open(sys.argv[1]))["devices"]}
assert d["hostdev0"]["guest"] is None and d["hostdev0"]["codes"] == ["SMU601"], d["hostdev0"]
g = d["hostdev1"]["guest"]
assert (g["bdf"], g["numa_node"], g["smmu_source"], g["group_endpoints"]) == ("0000:f9:00.0", 2, "sysfs", ["0000:f9:00.0"]), g
assert d["hostdev1"]["planned_at"] == "0000:f8:00.0/00.0" and d["hostdev1"]["codes"] == []
PY
# The global --root works as well as the verb's, and - reads the plan from stdin.
expect_status 0 "global --root, plan on stdin" -- sh -c "\"\$0\" --root $G/kunpeng verify --plan - <$G/kunpeng/plan.json" "$SMMUCTL"
expect_grep 'plan.json|<stdin>: no findings' "$WORK/out" "a plan from stdin is named <stdin>"

# ---- each remaining code from one change ----
# SMU602: the plan as written names the host devices, not the stand-ins.
copy_guest kunpeng ids
edit_plan "$WORK/ids/plan.json" 'p["endpoints"][1]["host"]["vendor"] = "15b3"; p["endpoints"][1]["host"]["device"] = "101e"'
check smu602 1 "SMU602" "$WORK/ids/plan.json" "$WORK/ids"
expect_status 1 "SMU602 text" -- "$SMMUCTL" verify --plan "$WORK/ids/plan.json" --root "$WORK/ids"
expect_grep 'error: SMU602 verify-device-other: hostdev1 \(host 0000:81:00.1\): the function at 0000:f9:00.0 is 1b36:0005, the plan passes through 15b3:101e' \
  "$WORK/out" "SMU602 names device, address and both ids"

# SMU601 with a hint: the plan puts hostdev1 in slot 3 of its port; the guest has it in slot 0.
copy_guest kunpeng slot
edit_plan "$WORK/slot/plan.json" 'p["endpoints"][1]["slot"] = 3'
check smu601 1 "SMU601" "$WORK/slot/plan.json" "$WORK/slot"
expect_status 1 "SMU601 text" -- "$SMMUCTL" verify --plan "$WORK/slot/plan.json" --root "$WORK/slot"
expect_grep 'SMU601 verify-device-missing: hostdev1 \(host 0000:81:00.1\): the guest has no PCI function at 0000:f8:00.0/03.0' \
  "$WORK/out" "SMU601 names the planned path"
expect_grep 'hint: a 1b36:0005 function is at 0000:f8:00.0/00.0 instead' "$WORK/out" "SMU601 hint says where it is"

# SMU609: the plan puts pci.2 on node 1; the guest has it on node 2.
copy_guest kunpeng numa
edit_plan "$WORK/numa/plan.json" 'next(b for b in p["buses"] if b["id"] == "pci.2")["numa_node"] = 1'
check smu609 1 "SMU609" "$WORK/numa/plan.json" "$WORK/numa"

# SMU604: the guest says hostdev0 is translated by the other pxb's SMMU.
copy_guest kunpeng wrong-smmu
ln -sfn ../../../platform/arm-smmu-v3.0.auto/iommu/smmu3.0x000000000c020000 \
  "$WORK/wrong-smmu/sys/devices/pci0000:fc/0000:fc:00.0/0000:fd:00.0/iommu"
check smu604 1 "SMU604" "$WORK/wrong-smmu/plan.json" "$WORK/wrong-smmu"

# SMU605: a vSMMU planned on pcie.0, which the guest's IORT maps to no SMMU.
copy_guest kunpeng pcie0-vsmmu
edit_plan "$WORK/pcie0-vsmmu/plan.json" 'p["vsmmus"].append(dict(p["vsmmus"][0], id="iommu9", pci_bus=0, root_complex="pcie.0"))'
check smu605 1 "SMU605" "$WORK/pcie0-vsmmu/plan.json" "$WORK/pcie0-vsmmu"

# SMU607: the plan without iommu1: the guest's second SMMU is unplanned.
copy_guest kunpeng extra-smmu
edit_plan "$WORK/extra-smmu/plan.json" 'p["vsmmus"] = [v for v in p["vsmmus"] if v["id"] != "iommu1"]'
check smu607 1 "SMU607" "$WORK/extra-smmu/plan.json" "$WORK/extra-smmu"

# SMU608: another endpoint joins hostdev0's group.
copy_guest kunpeng group
ln -sfn ../../../../kernel/iommu_groups/3 "$WORK/group/sys/devices/pci0000:f8/0000:f8:00.0/0000:f9:00.0/iommu_group"
check smu608 1 "SMU608" "$WORK/group/plan.json" "$WORK/group"

# SMU603 (+ SMU612): neither sysfs nor an IORT puts hostdev0 behind an SMMU.
copy_guest kunpeng untranslated
rm "$WORK/untranslated/sys/devices/pci0000:fc/0000:fc:00.0/0000:fd:00.0/iommu" \
   "$WORK/untranslated/sys/firmware/acpi/tables/IORT"
check smu603 1 "SMU603 SMU612" "$WORK/untranslated/plan.json" "$WORK/untranslated"

# SMU611: no driver bound, so no group: a warning; --strict makes it fail.
copy_guest kunpeng unbound
rm "$WORK/unbound/sys/devices/pci0000:fc/0000:fc:00.0/0000:fd:00.0/driver" \
   "$WORK/unbound/sys/devices/pci0000:fc/0000:fc:00.0/0000:fd:00.0/iommu_group"
check smu611 0 "SMU611" "$WORK/unbound/plan.json" "$WORK/unbound"
check smu611-strict 1 "SMU611" "$WORK/unbound/plan.json" "$WORK/unbound" --strict

# SMU612: no IORT under the root; --iort FILE gives it back.
copy_guest kunpeng no-iort
mv "$WORK/no-iort/sys/firmware/acpi/tables/IORT" "$WORK/iort.bin"
check smu612 0 "SMU612" "$WORK/no-iort/plan.json" "$WORK/no-iort"
check smu612-iort 0 "" "$WORK/no-iort/plan.json" "$WORK/no-iort" --iort "$WORK/iort.bin"

# Every SMU6xx of explain --list has a case above (SMU610 in device-on-pcie0).
cat "$WORK"/*.json | grep -o '"code": "SMU6[0-9]*"' | sort -u | grep -o 'SMU6[0-9]*' >"$WORK/seen"
"$SMMUCTL" explain --list | awk '$1 ~ /^SMU6/ { print $1 }' >"$WORK/listed"
diff -u "$WORK/listed" "$WORK/seen" >"$WORK/diff" && ok || { fail "SMU6xx codes without a case"; cat "$WORK/diff" >&2; }
for code in $(cat "$WORK/listed"); do
  expect_status 0 "explain $code" -- "$SMMUCTL" explain "$code"
  expect_grep "^Fix:" "$WORK/out" "explain $code says how to fix it"
done

# -q: errors only, no tables.
expect_status 1 "verify -q" -- "$SMMUCTL" verify -q --plan "$G/device-on-pcie0/plan.json" --root "$G/device-on-pcie0"
[ "$(grep -c . "$WORK/out")" -eq 2 ] && expect_grep '^tests/data/guests/device-on-pcie0/plan.json: error: SMU601' "$WORK/out" "-q prints the error" \
  || fail "verify -q prints the error and its hint only"

# ---- usage and unreadable input: exit 2, one line that says what to do ----
expect_status 2 "no --plan" -- "$SMMUCTL" verify --root "$G/kunpeng"
expect_grep '^smmuctl: verify: no --plan FILE given' "$WORK/err" "no --plan"
expect_status 2 "an argument" -- "$SMMUCTL" verify "$G/kunpeng/plan.json"
expect_grep "unexpected argument .*the plan goes with --plan FILE" "$WORK/err" "a bare argument"
expect_status 2 "missing plan" -- "$SMMUCTL" verify --plan "$WORK/none.json" --root "$G/kunpeng"
expect_grep 'none.json: cannot open' "$WORK/err" "missing plan"
expect_status 2 "a host document as plan" -- "$SMMUCTL" verify --plan tests/data/bad/json/host-wrong-format.json --root "$G/kunpeng"
expect_status 2 "XML as plan" -- "$SMMUCTL" verify --plan tests/data/domains/cases/smu201-virtio-below-accel.xml --root "$G/kunpeng"
expect_grep 'smu201-virtio-below-accel.xml:1:1: not valid JSON' "$WORK/err" "not JSON: file:line:column"
copy_guest kunpeng bad-plan
edit_plan "$WORK/bad-plan/plan.json" 'p["endpoints"][0]["bus"] = "pci.99"'
expect_status 2 "a plan naming no bus" -- "$SMMUCTL" verify --plan "$WORK/bad-plan/plan.json" --root "$G/kunpeng"
expect_grep 'plan.json: \$.endpoints\[0\].bus: "pci.99" is not the id of a bus in \$.buses' "$WORK/err" "the JSON path"
expect_status 2 "a guest tree without sys/" -- "$SMMUCTL" verify --plan "$G/kunpeng/plan.json" --root "$WORK"
expect_grep '^smmuctl: verify: guest: .*no sys/ directory here' "$WORK/err" "no sys/"
expect_status 2 "a bad --iort" -- "$SMMUCTL" verify --plan "$G/kunpeng/plan.json" --root "$G/kunpeng" --iort tests/data/bad/iort/not-iort.bin
[ "$(wc -l <"$WORK/err")" -eq 1 ] && ok || fail "one line per usage error"

finish
