#!/usr/bin/env bash
# smmuctl validate and explain from the command line: every case under
# tests/data/domains/cases against its golden text and JSON (SMMUCTL_REGENERATE=1
# rewrites them), the naming contract of the cases (smuNNN-*.xml fires SMUNNN,
# smuNNN-ok-*.xml must not), the JSON Schema, exit statuses, many files and
# stdin in one run, --strict, -q, --target-*, and --connect through libvirt's
# test:/// driver (the real client library, no mocks).
source "$(dirname "$0")/lib.sh"

CASES=$SRCDIR/tests/data/domains/cases
GOLDEN=$SRCDIR/tests/data/domains/golden
SCHEMA=$SRCDIR/data/schemas/validate.schema.json

codes_in () { # JSON document → sorted codes of its findings
  /usr/bin/python3 -c 'import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join(sorted({f["code"] for i in doc["inputs"] for f in i["findings"]})))' "$1"
}

# The naming contract, the JSON Schema and the exit status of each case
# (tests/check-cases.py); each argument NAME=DOC.
check_cases () {
  /usr/bin/python3 "$SRCDIR/tests/check-cases.py" "$SCHEMA" "$@"
}

tally () { # reads check_cases output
  while read -r line; do
    if [ "$line" = ok ]; then ok; else fail "${line#FAIL: }"; fi
  done
}

# ---- every case: golden text and JSON, schema, naming contract ----
docs=()
for xml in "$CASES"/*.xml; do
  name=$(basename "$xml" .xml)
  args=()
  [ -f "$CASES/$name.args" ] && read -ra args <"$CASES/$name.args"
  (cd "$CASES" && "$SMMUCTL" validate "${args[@]}" "$name.xml") >"$WORK/$name.txt" 2>&1
  status=$?
  echo "exit $status" >>"$WORK/$name.txt"
  golden "$WORK/$name.txt" "$GOLDEN/$name.txt"
  (cd "$CASES" && "$SMMUCTL" validate --json "${args[@]}" "$name.xml") >"$WORK/$name.json" 2>"$WORK/err"
  json_status=$?
  if [ "$json_status" -eq "$status" ]; then ok; else fail "$name: --json exits $json_status, text $status"; fi
  sed 's/"smmuctl_version": "[^"]*"/"smmuctl_version": "VERSION"/' "$WORK/$name.json" >"$WORK/$name.norm.json"
  golden "$WORK/$name.norm.json" "$GOLDEN/$name.json"
  docs+=("$name=$WORK/$name.json")
done
check_cases "${docs[@]}" >"$WORK/checks"
tally <"$WORK/checks"
if [ "$(wc -l <"$WORK/checks")" -eq $((3 * ${#docs[@]})) ]; then ok; else fail "check_cases did not run every check"; fi

# Every host-independent code has a case that fires it and a near miss.
"$SMMUCTL" explain --list >"$WORK/list"
for code in $(awk 'NR > 1 { print $1 }' "$WORK/list"); do
  n=${code#SMU}
  [[ $n == 3* ]] && continue # host rules: tested with fixture hosts by rules_host's tests
  [[ $n == 6* ]] && continue # verify findings: tested on captured guests by verify-cli.sh
  # Command-line codes (SMU004, SMU005) have their cases in tests/data/qemu/cases.
  fires=$(find "$CASES" "$SRCDIR/tests/data/qemu/cases" \( -name "smu$n-*.xml" -o -name "smu$n-*.argv" \) \
            ! -name "smu$n-ok-*" | wc -l)
  misses=$(find "$CASES" "$SRCDIR/tests/data/qemu/cases" \( -name "smu$n-ok-*.xml" -o -name "smu$n-ok-*.argv" \) | wc -l)
  if [ "$fires" -gt 0 ] && [ "$misses" -gt 0 ]; then ok; else fail "$code: $fires firing and $misses near-miss cases"; fi
done

# ---- many inputs in one process, stdin, unreadable files ----
cd "$CASES"
mapfile -t all < <(ls *.xml)
expect_status 1 "all cases in one run" -- "$SMMUCTL" validate "${all[@]}"
summaries=$(grep -cE '^[^ ]+\.xml: ([0-9]+ (error|warning|info)|no findings)' "$WORK/out")
if [ "$summaries" -eq "${#all[@]}" ]; then ok; else fail "one run: $summaries summaries for ${#all[@]} files"; fi
expect_grep "^${#all[@]} inputs: " "$WORK/out" "one run: the total"
# Checked on every CPU, reported in the order given (here: reversed).
mapfile -t reversed < <(printf '%s\n' "${all[@]}" | sort -r)
expect_status 1 "reversed order" -- "$SMMUCTL" validate "${reversed[@]}"
grep -oE '^[^ :]+\.xml: ([0-9]+ (error|warning|info)|no findings)' "$WORK/out" | cut -d: -f1 >"$WORK/order"
if diff <(printf '%s\n' "${reversed[@]}") "$WORK/order" >/dev/null; then ok; else fail "reports not in the order given"; fi
expect_status 1 "all cases in one JSON document" -- "$SMMUCTL" validate --json "${all[@]}"
json_schema "$WORK/out" "$SCHEMA"
n=$(/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["inputs"]), d["summary"]["inputs"])' "$WORK/out")
if [ "$n" = "${#all[@]} ${#all[@]}" ]; then ok; else fail "JSON: $n inputs for ${#all[@]} files"; fi

expect_status 0 "stdin" -- sh -c "\"$SMMUCTL\" validate - <valid-accel.xml"
expect_grep '^-: 2 info$' "$WORK/out" "stdin is named -"
expect_status 1 "malformed stdin is a finding, not a usage error" -- sh -c "printf '<domain>' | \"$SMMUCTL\" validate -"
expect_grep '^-:1: error: SMU001 xml-malformed: ' "$WORK/out" "malformed stdin"

expect_status 2 "an unreadable file among readable ones" -- \
  "$SMMUCTL" validate smu201-virtio-below-accel.xml /nonexistent/vm.xml valid-accel.xml
expect_grep '^smmuctl: /nonexistent/vm.xml: cannot open: No such file or directory$' "$WORK/err" "says which file"
expect_grep '^smu201-virtio-below-accel.xml:[0-9]+: error: SMU201 ' "$WORK/out" "the file before it is checked"
expect_grep '^valid-accel.xml: 2 info$' "$WORK/out" "the file after it is checked"
expect_status 2 "a directory is unreadable" -- "$SMMUCTL" validate --json . valid-accel.xml
json_schema "$WORK/out" "$SCHEMA"
expect_grep '"readable": false' "$WORK/out" "JSON marks it"
expect_grep '"exit_status": 2' "$WORK/out" "JSON carries the exit status"

expect_status 1 "a newline in an attribute stays on its line" -- sh -c "printf \"<domain><devices><iommu model='smmuv3'><driver pciBus='&#10;7'/></iommu></devices></domain>\" | \"$SMMUCTL\" validate -"
if [ "$(wc -l <"$WORK/out")" -eq 3 ]; then ok; else fail "one line per finding and hint, got: $(cat "$WORK/out")"; fi

# Colour on a terminal (not with NO_COLOR, which the test environment sets).
env -u NO_COLOR /usr/bin/python3 -c 'import os, pty, sys
os.chdir(sys.argv[2])
pty.spawn([sys.argv[1], "validate", "smu201-virtio-below-accel.xml"])' "$SMMUCTL" "$CASES" >"$WORK/tty" 2>&1
expect_grep $'\033\\[1;31merror:' "$WORK/tty" "errors in red on a terminal"
expect_no_grep $'\033' "$CASES/../golden/smu201-virtio-below-accel.txt" "no colour when piped"

# ---- --strict and -q ----
expect_status 0 "warnings pass" -- "$SMMUCTL" validate smu204-hotplug-on.xml
expect_status 1 "--strict: warnings fail" -- "$SMMUCTL" validate --strict smu204-hotplug-on.xml
expect_status 1 "-q still fails on errors" -- "$SMMUCTL" validate -q smu201-virtio-below-accel.xml smu204-hotplug-on.xml
expect_grep ': error: SMU201 ' "$WORK/out" "-q prints errors"
expect_no_grep ': (warning|info): |: [0-9]+ (error|warning|info)|no findings|inputs:' "$WORK/out" "-q prints nothing else"
expect_status 0 "-q on a clean file prints nothing" -- "$SMMUCTL" validate -q valid-accel.xml
if [ ! -s "$WORK/out" ]; then ok; else fail "-q printed: $(cat "$WORK/out")"; fi

# ---- targets ----
mkdir -p "$WORK/bin" "$WORK/empty"
printf '#!/bin/sh\necho "QEMU emulator version 10.0.3 (a stand-in)"\n' >"$WORK/bin/qemu-system-aarch64"
chmod +x "$WORK/bin/qemu-system-aarch64"
expect_status 1 "--target-qemu installed" -- env PATH="$WORK/bin:$PATH" "$SMMUCTL" validate --target-qemu installed valid-accel.xml
expect_grep 'SMU501 target-too-old: .* it needs QEMU 11\.0\.0 or newer and the target QEMU is 10\.0\.3' "$WORK/out" "installed QEMU"
expect_status 2 "--target-qemu installed without QEMU" -- env PATH="$WORK/empty" "$SMMUCTL" validate --target-qemu installed valid-accel.xml
expect_grep 'no qemu-system-aarch64 is installed here' "$WORK/err" "says QEMU is missing"
expect_status 1 "--target-libvirt installed" -- "$SMMUCTL" validate --json --target-libvirt installed valid-accel.xml
expect_grep '"libvirt": "[0-9]+\.[0-9]+\.[0-9]+"' "$WORK/out" "the library's version is the target"
expect_status 2 "--target-qemu garbage" -- "$SMMUCTL" validate --target-qemu eleven valid-accel.xml
expect_grep "^smmuctl: validate: --target-qemu 'eleven': not a version" "$WORK/err" "names the option"

# ---- usage ----
expect_status 2 "no FILE" -- "$SMMUCTL" validate
expect_grep '^smmuctl: validate: no FILE given' "$WORK/err" "one line, what to do"
expect_status 2 "unknown option" -- "$SMMUCTL" validate --frobnicate valid-accel.xml
expect_grep 'see smmuctl validate --help' "$WORK/err" "points at --help"
# The global --root names the host for the SMU3xx checks (tests/validate-host.sh has the rest).
expect_status 0 "global --root checks against that host" -- "$SMMUCTL" --root "$SRCDIR/tests/data/hosts/gb200" validate valid-accel.xml
expect_no_grep 'BAR sizes .* unknown without a host' "$WORK/out" "no 'unknown without a host' info with a host"
expect_status 0 "--help" -- "$SMMUCTL" validate --help
expect_grep 'target-libvirt' "$WORK/out" "--help lists the options"

# ---- --connect: libvirt's test driver ----
URI="test://$SRCDIR/tests/data/libvirt-test-driver.xml"
expect_status 0 "--connect: a clean domain" -- "$SMMUCTL" validate --connect "$URI" vm-good
expect_grep '^vm-good: 1 info$' "$WORK/out" "named after the domain"
expect_status 1 "--connect: findings" -- "$SMMUCTL" validate -c "$URI" vm-good vm-x86-smmu vm-bad-topology
golden "$WORK/out" "$GOLDEN/connect.txt"
expect_status 1 "--connect --json" -- "$SMMUCTL" validate --json -c "$URI" vm-x86-smmu vm-bad-topology
json_schema "$WORK/out" "$SCHEMA"
codes=" $(codes_in "$WORK/out") "
for code in SMU002 SMU106 SMU107 SMU108 SMU401; do
  if [[ $codes == *" $code "* ]]; then ok; else fail "--connect: $code missing (got:$codes)"; fi
done
expect_status 3 "--connect: a domain that does not exist" -- "$SMMUCTL" validate -c "$URI" no-such-vm vm-good
expect_grep "^smmuctl: libvirt domain 'no-such-vm' not found at $URI" "$WORK/err" "says which"
expect_grep '^vm-good: 1 info$' "$WORK/out" "the other domain is still checked"
expect_status 3 "--connect: an unreachable URI" -- "$SMMUCTL" validate -c test:///nonexistent/driver.xml vm-good
expect_grep '^smmuctl: validate: cannot connect to libvirt at test:///nonexistent/driver.xml: ' "$WORK/err" "says where"
if [ "$(wc -l <"$WORK/err")" -eq 1 ]; then ok; else fail "one line of error, got: $(cat "$WORK/err")"; fi
expect_status 2 "--connect without DOMAIN" -- "$SMMUCTL" validate -c "$URI"
# libvirt is loaded when --connect needs it: an unusable libvirt.so.0 (here a
# text file found first on LD_LIBRARY_PATH) is exit 3 naming the package,
# and checking files never needs the library at all.
mkdir -p "$WORK/nolibvirt"
echo 'not a library' >"$WORK/nolibvirt/libvirt.so.0"
LD_LIBRARY_PATH=$WORK/nolibvirt expect_status 3 "--connect without a usable libvirt" -- \
  "$SMMUCTL" validate -c "$URI" vm-good
expect_grep '^smmuctl: validate: --connect test:///.*: the libvirt client library is not usable: .*libvirt\.so\.0.*apt-get install libvirt0\)$' \
  "$WORK/err" "names the library and the package"
LD_LIBRARY_PATH=$WORK/nolibvirt expect_status 0 "files need no libvirt" -- \
  "$SMMUCTL" validate "$CASES/smu002-ok-versioned-virt.xml"

# ---- validate(plan(host)) has no errors, for every fixture host plan accepts ----
planned=0
for host in "$SRCDIR"/tests/data/hosts/*/; do
  name=$(basename "$host")
  targets=(--target-qemu 11.1 --target-libvirt 12.9)
  if "$SMMUCTL" plan --root "$host" --all-vfio "${targets[@]}" -o "$WORK/plan-$name.xml" >/dev/null 2>&1; then
    planned=$((planned + 1))
    expect_status 0 "validate(plan($name))" -- "$SMMUCTL" validate --strict "${targets[@]}" "$WORK/plan-$name.xml"
  fi
done
if [ "$planned" -ge 4 ]; then ok; else fail "plan accepted only $planned fixture hosts"; fi

# ---- explain ----
cd "$SRCDIR"
expect_status 0 "explain --list" -- "$SMMUCTL" explain --list
golden "$WORK/out" "$GOLDEN/explain-list.txt"
: >"$WORK/all"
for code in $(awk 'NR > 1 { print $1 }' "$WORK/list"); do
  expect_status 0 "explain $code" -- "$SMMUCTL" explain "$code"
  expect_grep "^$code [a-z0-9-]+ \((error|warning|info)\)$" "$WORK/out" "$code: a header"
  expect_grep '^At run time' "$WORK/out" "$code: what goes wrong"
  expect_grep '^Fix' "$WORK/out" "$code: how to fix it"
  expect_grep '^Before' "$WORK/out" "$code: before and after"
  expect_no_grep '\{\{' "$WORK/out" "$code: every version filled in"
  cat "$WORK/out" >>"$WORK/all"
done
golden "$WORK/all" "$GOLDEN/explain-all.txt"
expect_status 0 "explain by name" -- "$SMMUCTL" explain accel-emulated-endpoint smu204
expect_grep '^SMU201 accel-emulated-endpoint \(error\)$' "$WORK/out" "by name"
expect_grep '^SMU204 accel-hotplug \(warning\)$' "$WORK/out" "lower case code"
tr '\n' ' ' <"$WORK/out" >"$WORK/flat"
expect_grep '"Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on"' "$WORK/flat" "QEMU's words"
expect_status 2 "explain an unknown code" -- "$SMMUCTL" explain SMU201 SMU999
expect_grep "unknown code 'SMU999'" "$WORK/err" "names it"
if [ ! -s "$WORK/out" ]; then ok; else fail "explain printed something before failing"; fi
expect_status 2 "explain without a code" -- "$SMMUCTL" explain
expect_status 2 "explain --list to a full disk" -- sh -c "\"$SMMUCTL\" explain --list >/dev/full"
expect_grep '^smmuctl: cannot write to standard output$' "$WORK/err" "says so"

finish
