#!/usr/bin/env bash
# smmuctl validate --qemu from the command line: every case under
# tests/data/qemu/cases against its golden text and JSON (SMMUCTL_REGENERATE=1
# rewrites them) with the naming contract of tests/check-cases.py; the proofs
# that a command line and the XML it comes from get the same exit status and
# codes — real libvirt 12.9's domxml-to-native of every domain case it
# converts (tests/data/qemu/libvirt/, recorded by its record.sh; the
# exceptions are listed below with their reason) and `plan --format qemu`
# against `plan` for every fixture host and layout, with and without the
# host; SMU3xx through host= and sysfsdev=, and the device libvirt passes by
# file descriptor; stdin, several files, unreadable files, usage errors.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/qemu-libvirt.sh"

CASES=$SRCDIR/tests/data/qemu/cases
GOLDEN=$SRCDIR/tests/data/qemu/golden
LIBVIRT=$SRCDIR/tests/data/qemu/libvirt
DOMAINS=$SRCDIR/tests/data/domains/cases
SCHEMA=$SRCDIR/data/schemas/validate.schema.json

# ---- every case: golden text and JSON, schema, naming contract ----
docs=()
for argv in "$CASES"/*.argv; do
  name=$(basename "$argv" .argv)
  args=()
  [ -f "$CASES/$name.args" ] && read -ra args <"$CASES/$name.args"
  (cd "$CASES" && "$SMMUCTL" validate "${args[@]}" --qemu "$name.argv") >"$WORK/$name.txt" 2>&1
  status=$?
  echo "exit $status" >>"$WORK/$name.txt"
  golden "$WORK/$name.txt" "$GOLDEN/$name.txt"
  (cd "$CASES" && "$SMMUCTL" validate --json "${args[@]}" --qemu "$name.argv") >"$WORK/$name.json" 2>"$WORK/err"
  json_status=$?
  if [ "$json_status" -eq "$status" ]; then ok; else fail "$name: --json exits $json_status, text $status"; fi
  sed 's/"smmuctl_version": "[^"]*"/"smmuctl_version": "VERSION"/' "$WORK/$name.json" >"$WORK/$name.norm.json"
  golden "$WORK/$name.norm.json" "$GOLDEN/$name.json"
  docs+=("$name=$WORK/$name.json")
done
/usr/bin/python3 "$SRCDIR/tests/check-cases.py" "$SCHEMA" "${docs[@]}" >"$WORK/checks"
while read -r line; do
  if [ "$line" = ok ]; then ok; else fail "${line#FAIL: }"; fi
done <"$WORK/checks"
if [ "$(wc -l <"$WORK/checks")" -eq $((3 * ${#docs[@]})) ]; then ok; else fail "check-cases.py did not run every check"; fi

# Every code a command line can fire has a case and a near miss here: all
# but the host rules, verify's SMU6xx, SMU001 (XML only) and SMU103 (pciBus
# index vs busNr: primary-bus names a bus, there is nothing to confuse).
"$SMMUCTL" explain --list >"$WORK/list"
for code in $(awk 'NR > 1 { print $1 }' "$WORK/list"); do
  n=${code#SMU}
  [[ $n == 3* || $n == 6* || $n == 001 || $n == 103 ]] && continue
  fires=$(find "$CASES" -name "smu$n-*.argv" ! -name "smu$n-ok-*" | wc -l)
  misses=$(find "$CASES" -name "smu$n-ok-*.argv" | wc -l)
  if [ "$fires" -gt 0 ] && [ "$misses" -gt 0 ]; then ok; else fail "$code: $fires firing and $misses near-miss command lines"; fi
done

# Locations: the argument and what is written there, shortened in text,
# whole in JSON (line and path are null: they are XML's).
cd "$CASES"
expect_status 1 "a finding's location" -- "$SMMUCTL" validate --qemu smu202-no-iommufd.argv
expect_grep '^smu202-no-iommufd\.argv:arg 26: -device vfio-pci,host=0008:01:00\.0,id=gpu0,bus=rp2: error: SMU202 ' \
  "$WORK/out" "file:arg N: OPTION: severity: CODE"
expect_status 1 "a long argument" -- "$SMMUCTL" validate --qemu smu003-fork-spelling.argv
expect_grep '^smu003-fork-spelling\.argv:arg 24: -device arm-smmuv3,primary-bus=pxb1,.{20,}…: error: SMU003 ' \
  "$WORK/out" "shortened with …"
expect_status 1 "the argument in JSON" -- "$SMMUCTL" validate --json --qemu smu003-fork-spelling.argv
/usr/bin/python3 - "$WORK/out" >"$WORK/loc" <<'PY'
import json, sys
f = [f for i in json.load(open(sys.argv[1]))["inputs"] for f in i["findings"] if f["code"] == "SMU003"][0]
print(f["line"], f["path"], f["argument"]["index"], f["argument"]["text"])
PY
expect_grep '^None None 24 -device arm-smmuv3,primary-bus=pxb1,id=smmu1,accel=on,ssidSize=20,pasid=on$' "$WORK/loc" \
  "index and whole text"
expect_status 0 "XML findings carry no argument" -- "$SMMUCTL" validate --json "$DOMAINS/valid-accel.xml"
expect_no_grep '"argument"' "$WORK/out" "no argument key for XML"

# ---- libvirt 12.9's own command lines agree with the XML they come from ----
# (recorded here; validate-qemu-libvirt.sh records them afresh in the real-stack tier)
compare_with_libvirt "$LIBVIRT"

# ---- plan --format qemu agrees with plan, for every fixture host and layout ----
pairs=0
for host in "$SRCDIR"/tests/data/hosts/*/; do
  name=$(basename "$host")
  hw=()
  [ -f "$host/hwinfo.json" ] && hw=(--hwinfo-json "$host/hwinfo.json")
  for layout in per-smmu per-device; do
    plan=("$SMMUCTL" plan --root "$host" "${hw[@]}" --all-vfio --layout "$layout" --target-qemu 11.1 --target-libvirt 12.9)
    "${plan[@]}" -o "$WORK/$name-$layout.xml" >/dev/null 2>&1
    xml_status=$?
    "${plan[@]}" --format qemu -o "$WORK/$name-$layout.sh" >/dev/null 2>&1
    qemu_status=$?
    if [ "$xml_status" -ne "$qemu_status" ]; then fail "plan $name $layout: XML exits $xml_status, qemu $qemu_status"; continue; fi
    [ "$xml_status" -eq 0 ] || continue
    pairs=$((pairs + 1))
    for with_host in no yes; do
      h=()
      [ "$with_host" = yes ] && h=(--root "$host" "${hw[@]}")
      from_xml=$(status_and_codes --target-qemu 11.1 "${h[@]}" "$WORK/$name-$layout.xml")
      from_sh=$(status_and_codes --target-qemu 11.1 "${h[@]}" --qemu "$WORK/$name-$layout.sh")
      if [ "$from_xml" = "$from_sh" ]; then ok
      else fail "plan $name $layout (host: $with_host): XML gives '$from_xml', the launch script '$from_sh'"; fi
    done
  done
done
if [ "$pairs" -ge 8 ]; then ok; else fail "only $pairs fixture plans to compare"; fi

# ---- SMU3xx through the command line's host addresses ----
GB200=(--root "$SRCDIR/tests/data/hosts/gb200" --hwinfo-json "$SRCDIR/tests/data/hosts/gb200/hwinfo.json")
expect_status 0 "host= maps to the host's device" -- "$SMMUCTL" validate "${GB200[@]}" --qemu valid-launch-script.argv
expect_grep '^valid-launch-script\.argv: 1 info$' "$WORK/out" "0008:01:00.0 is gb200's, with every capability asked for"
sed 's/host=0008:01:00.0/host=0042:01:00.0/' valid-launch-script.argv >"$WORK/missing.argv"
expect_status 1 "host= of a device the host lacks" -- "$SMMUCTL" validate "${GB200[@]}" --qemu "$WORK/missing.argv"
expect_grep 'error: SMU302 .*0042:01:00\.0' "$WORK/out" "SMU302 names it"
# A second GPU, named by its sysfs directory, behind another host SMMU but below the same vSMMU.
sed '/^exec /i set -- "$@" -device pcie-root-port,port=1,chassis=3,id=pci.3,bus=pci.1,addr=0x1,hotplug=off\
set -- "$@" -device vfio-pci,sysfsdev=/sys/bus/pci/devices/0009:01:00.0,iommufd=iommufd0,id=hostdev1,bus=pci.3' \
  valid-launch-script.argv >"$WORK/sysfsdev.argv"
expect_status 1 "sysfsdev= of another SMMU's device" -- "$SMMUCTL" validate "${GB200[@]}" --qemu "$WORK/sysfsdev.argv"
expect_grep 'error: SMU301 .*0008:01:00\.0 → smmu3\.[0-9a-fx]+, 0009:01:00\.0 → smmu3\.' "$WORK/out" \
  "sysfsdev= and host= are read as the host devices"
expect_status 1 "libvirt passes the device by file descriptor" -- \
  "$SMMUCTL" validate "${GB200[@]}" --qemu "$LIBVIRT/valid-accel.argv"
expect_grep "info: SMU310 host-device-unknown: the host device of vfio-pci 'hostdev0' is unknown" "$WORK/out" \
  "says the host device is unknown"
expect_no_grep 'SMU30[1-9]' "$WORK/out" "and guesses nothing"

# ---- inputs ----
expect_status 0 "stdin" -- sh -c "\"$SMMUCTL\" validate --qemu - <valid-accel.argv"
expect_grep '^-: 2 info$' "$WORK/out" "stdin is named -"
expect_status 1 "several command lines, in the order given" -- \
  "$SMMUCTL" validate --qemu valid-accel.argv smu202-no-iommufd.argv valid-launch-script.argv
grep -oE '^[^ :]+\.argv: ([0-9]+ (error|warning|info)|no findings)' "$WORK/out" | cut -d: -f1 >"$WORK/order"
if diff <(printf '%s\n' valid-accel.argv smu202-no-iommufd.argv valid-launch-script.argv) "$WORK/order" >/dev/null; then ok
else fail "reports not in the order given: $(cat "$WORK/order")"; fi
expect_grep '^3 inputs: 1 error, 6 info$' "$WORK/out" "the total"
expect_status 2 "an unreadable file" -- "$SMMUCTL" validate --qemu /nonexistent/vm.sh valid-accel.argv
expect_grep '^smmuctl: /nonexistent/vm.sh: cannot open: No such file or directory$' "$WORK/err" "says which file"
printf 'qemu-system-aarch64 -machine virt\0\n' >"$WORK/binary"
expect_status 1 "a binary file" -- "$SMMUCTL" validate --qemu "$WORK/binary"
expect_grep 'SMU004 .*not a text file' "$WORK/out" "is SMU004, not a crash"
: >"$WORK/empty"
expect_status 1 "an empty file" -- "$SMMUCTL" validate --qemu "$WORK/empty"
expect_grep 'SMU004 .*no QEMU command line' "$WORK/out" "says there is no command line"
printf 'qemu-system-aarch64 -machine virt -device\n' >"$WORK/dangling"
expect_status 1 "an option without its argument" -- "$SMMUCTL" validate --qemu "$WORK/dangling"
expect_grep "SMU004 .*QEMU exits: \"-device: requires an argument\"" "$WORK/out" "in QEMU's words"
printf -- '-machine virt,acpi=off -accel kvm -nodefaults \\\n  -device arm-smmuv3,primary-bus=pcie.0,accel=on\n' >"$WORK/bare"
expect_status 1 "options without the binary" -- "$SMMUCTL" validate --qemu "$WORK/bare"
expect_grep 'SMU206 ' "$WORK/out" "are checked"
expect_grep '^[^ ]+bare:arg 6: -device arm-smmuv3,primary-bus=pcie\.0,accel=on: ' "$WORK/out" "counted from arg 1"

# ---- usage ----
expect_status 2 "--qemu with --connect" -- "$SMMUCTL" validate --qemu --connect test:///default vm
expect_grep '^smmuctl: validate: --qemu reads command lines from files, --connect domains from libvirt; give one$' \
  "$WORK/err" "one line, what to do"
expect_status 2 "--qemu without FILE" -- "$SMMUCTL" validate --qemu
expect_grep '^smmuctl: validate: no FILE given' "$WORK/err" "asks for a FILE"

finish
