#!/usr/bin/env bash
# The malformed-input suite (issue 8): hostile IORT tables, sysfs trees, host
# documents, hw_info recordings and domain XML.  Each case asserts the exit
# status of SPEC §6 (which also proves no crash: a signal gives >= 128 and a
# hang gives timeout's 124) and the message: what was wrong and where.
# The small inputs live in tests/data/bad/ (tests/data/bad/make-bad.py writes
# them); the big ones (40 MB XML, 100 MB sparse files, 10,000-level nesting)
# and the damaged trees are made here, in $WORK.
. "$SRCDIR/tests/lib.sh"

BAD=tests/data/bad
BASE_HOST=tests/data/hosts/split-group   # small; its SMMU is at 0x30000000 like bad/iort/valid.bin
CASES=0 # hostile inputs fed, for the closing count
T() { timeout 20 "$@"; }

# A fresh copy of the base host to damage: echoes its path.
tree() {
  local dir="$WORK/trees/$1"
  mkdir -p "$WORK/trees" && cp -a "$BASE_HOST" "$dir" && echo "$dir"
}
DEV_A=sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0   # 0000:01:00.0, vfio-pci, group 5
DEV_B=sys/devices/pci0000:00/0000:00:02.0/0000:02:00.0   # 0000:02:00.0, vfio-pci, group 2
IORT_AT=sys/firmware/acpi/tables/IORT

# Text output goes to terminals and logs: valid UTF-8 and no escape sequences.
expect_clean_text() {
  if iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then ok; else fail "$2: $1 is not valid UTF-8"; fi
  if grep -q $'\x1b' "$1"; then fail "$2: $1 carries a terminal escape sequence"; else ok; fi
}
expect_json() {
  if /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1" 2>"$WORK/json-err"
  then ok; else fail "$2: $1 is not JSON"; cat "$WORK/json-err" >&2; fi
}

# ---- 1. IORT given with --iort: an unusable table is exit 2, naming the byte --
# name|what the message must say (after "FILE: IORT: ")
IORT_CASES='
empty.bin|table ends at byte 0x0 \(0 bytes\), inside the 48-byte table header
short-header.bin|table ends at byte 0x1e \(30 bytes\)
not-iort.bin|signature at byte 0x0 is "DSDT", expected "IORT"
length-past-end.bin|length at byte 0x4 says the table is 65536 bytes .* only 220 bytes
length-inside-header.bin|length at byte 0x4 says the table is 20 bytes, shorter than its 48-byte header
first-node-in-header.bin|first node offset 0x10 at byte 0x28 points inside the 48-byte table header
first-node-past-end.bin|first node offset 0x2000 at byte 0x28 is past the end of the table
node-count-huge.bin|node 3 at byte 0xdc: node count at byte 0x24 is 4294967295
zero-length-node.bin|node 1 at byte 0x48: length 0 is shorter than a node header
node-length-past-end.bin|node 2 at byte 0xa0: length 65535 runs past the end of the table
smmu-node-too-short.bin|node 1 at byte 0x48: smmuv3 node length 20 is shorter
mappings-past-node.bin|node 2 at byte 0xa0: ID mapping array \(count 268435456.* runs past the node end
mappings-in-header.bin|node 2 at byte 0xa0: ID mapping array \(count 1\) at node offset 0x4 overlaps
its-count-huge.bin|node 0 at byte 0x30: ITS identifier array \(count 4294967295
rmr-ranges-past-node.bin|node 3 at byte 0xdc: RMR memory range array \(count 2147483647
'
while IFS='|' read -r name what; do
  [ -n "$name" ] || continue
  CASES=$((CASES + 1))
  expect_status 2 "--iort $name" -- T "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort "$BAD/iort/$name"
  expect_grep "^smmuctl: $BAD/iort/$name: IORT: $what" "$WORK/err" "--iort $name names what and where"
done <<<"$IORT_CASES"

expect_status 0 "--iort valid.bin (the base of the broken ones)" -- \
  T "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort "$BAD/iort/valid.bin"
expect_no_grep 'IORT' "$WORK/err" "--iort valid.bin is quiet"

# ---- 2. The same tables inside a host tree: the tree is still usable --------
# exit 0, and a note naming the file and the byte; --json carries it too.
IN_TREE=$(tree iort-in-tree)
while IFS='|' read -r name what; do
  [ -n "$name" ] || continue
  CASES=$((CASES + 1))
  cp "$BAD/iort/$name" "$IN_TREE/$IORT_AT"
  expect_status 0 "$name in a tree" -- T "$SMMUCTL" probe --root "$IN_TREE" --no-tools
  expect_grep "$IN_TREE/$IORT_AT: IORT: $what.*; IORT facts .* unknown" "$WORK/out" "$name in a tree: a note"
  expect_grep '0000:02:00.0 +10de:20b5' "$WORK/out" "$name in a tree: the devices are still listed"
done <<<"$IORT_CASES"
cp "$BAD/iort/node-count-huge.bin" "$IN_TREE/$IORT_AT"
expect_status 0 "broken IORT in a tree, --json" -- T "$SMMUCTL" probe --root "$IN_TREE" --no-tools --json
expect_json "$WORK/out" "broken IORT in a tree, --json"
expect_grep '"[^"]*tables/IORT: IORT: node 3 at byte 0xdc: node count' "$WORK/out" "--json notes name the byte"

# ---- 3. Mapping loops and dangling references -------------------------------
# The parser accepts them (they are graph properties); looking a RID up must
# end, and a loop must be reported, not mistaken for "not translated".  In
# this tree 0000:02:00.0 has no iommu link, so its SMMU comes from the IORT.
NO_LINK=$(tree iort-lookup)
rm "$NO_LINK/$DEV_B/iommu"
for name in mapping-self-loop.bin mapping-two-node-loop.bin; do
  CASES=$((CASES + 1))
  expect_status 0 "--iort $name" -- T "$SMMUCTL" probe --root "$NO_LINK" --no-tools --iort "$BAD/iort/$name"
  expect_grep 'IORT: RID 0x200 of the root-complex node at byte 0xa0: .*loop' "$WORK/out" "--iort $name: the loop is named"
done
CASES=$((CASES + 1))
expect_status 0 "--iort mapping-dangling.bin" -- T "$SMMUCTL" probe --root "$NO_LINK" --no-tools --iort "$BAD/iort/mapping-dangling.bin"
expect_grep '^No SMMU' "$WORK/out" "a dangling reference leaves the device untranslated"
expect_status 0 "--iort valid.bin gives the SMMU" -- T "$SMMUCTL" probe --root "$NO_LINK" --no-tools --iort "$BAD/iort/valid.bin"
expect_grep '0000:02:00.0 .*\(SMMU from IORT\)' "$WORK/out" "valid.bin: the lookup works in this tree"

# ---- 4. --iort naming something that is not a table file --------------------
CASES=$((CASES + 4))
expect_status 2 "--iort DIRECTORY" -- T "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort "$WORK"
expect_grep "$WORK.*(directory|not a regular file)" "$WORK/err" "--iort DIRECTORY: says what"
expect_status 2 "--iort MISSING" -- T "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort "$WORK/no-such-iort"
expect_grep "$WORK/no-such-iort" "$WORK/err" "--iort MISSING: names the file"
# A pipe works (acpidump -b … | smmuctl probe --iort /dev/stdin).
expect_status 0 "--iort from a pipe" -- T "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort /dev/stdin <"$BAD/iort/valid.bin"
# An endless stream must be refused after a bound, not read into memory.
# (The cap keeps a regression from exhausting the machine; ASan reserves
# terabytes of address space, so there ASan's own allocation limit caps it.)
case "$(nm -u "$SMMUCTL" 2>/dev/null)" in
  *__asan_init*) cap=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:max_allocation_size_mb=512:allocator_may_return_null=1") ;;
  *) cap=(prlimit --as=2147483648) ;;
esac
expect_status 2 "--iort /dev/zero" -- T "${cap[@]}" "$SMMUCTL" probe --root "$BASE_HOST" --no-tools --iort /dev/zero
expect_grep '/dev/zero.*larger than' "$WORK/err" "--iort /dev/zero: refused as too big"

# ---- 5. Hostile sysfs trees: each is still probed, the damage noted ---------
# FIFOs (a read would block forever), directories where files belong.
# (config and vendor both: the ids come from whichever can be read.)
t=$(tree fifos)
rm "$t/$DEV_A/config" "$t/$DEV_A/vendor" "$t/$IORT_AT" "$t/sys/kernel/iommu_groups/5/reserved_regions"
mkfifo "$t/$DEV_A/config" "$t/$DEV_A/vendor" "$t/$IORT_AT" "$t/sys/kernel/iommu_groups/5/reserved_regions"
CASES=$((CASES + 4))
expect_status 0 "FIFOs in a tree" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep "$t/sys/.*0000:01:00.0/vendor: not a regular file" "$WORK/out" "FIFO vendor: noted"
expect_grep "IORT not read: $t/$IORT_AT: not a regular file" "$WORK/out" "FIFO IORT: noted"

t=$(tree directories)
rm "$t/$DEV_A/config" "$t/$DEV_A/resource" "$t/$IORT_AT" "$t/proc/sys/kernel/osrelease"
mkdir "$t/$DEV_A/config" "$t/$DEV_A/resource" "$t/$IORT_AT" "$t/proc/sys/kernel/osrelease"
CASES=$((CASES + 4))
expect_status 0 "directories in place of files" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep "$t/sys/.*0000:01:00.0/resource: not a regular file" "$WORK/out" "directory resource: noted"
expect_grep "IORT not read: $t/$IORT_AT: not a regular file" "$WORK/out" "directory IORT: noted"

# 100 MB sparse files: read up to a bound, never whole.
t=$(tree huge)
for f in "$DEV_A/resource" "$DEV_A/config" "$IORT_AT" sys/kernel/iommu_groups/5/reserved_regions; do
  truncate -s 100M "$t/$f"
done
CASES=$((CASES + 4))
expect_status 0 "100 MB files in a tree" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep "$t/sys/.*0000:01:00.0/resource: larger than [0-9]+ bytes" "$WORK/out" "100 MB resource: noted"
expect_grep "IORT not read: $t/$IORT_AT: larger than [0-9]+ bytes" "$WORK/out" "100 MB IORT: noted"

# Symlink loops: a self-link, two links into each other, a directory loop.
t=$(tree loops)
rm "$t/$DEV_A/iommu_group" && ln -s iommu_group "$t/$DEV_A/iommu_group"
ln -s loop-b "$t/sys/class/iommu/smmu3.0x00000000aaaa0000" && ln -s smmu3.0x00000000aaaa0000 "$t/sys/class/iommu/loop-b"
ln -s . "$t/sys/bus/pci/devices/0000:05:00.0"
CASES=$((CASES + 3))
expect_status 0 "symlink loops in a tree" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep "$t/sys/.*0000:01:00.0/iommu_group: (symlink loop|.*not an IOMMU group)" "$WORK/out" "iommu_group loop: noted"
expect_grep '0000:01:00.0 .* group - ' "$WORK/out" "iommu_group loop: no group assigned"
expect_grep "smmu3.0x00000000aaaa0000.*(loop|dangling)" "$WORK/out" "class/iommu loop: noted"
expect_grep '0000:02:00.0 +10de:20b5' "$WORK/out" "loops: the other devices are still listed"

t=$(tree devices-loop)
rm -r "$t/sys/bus/pci/devices" && ln -s devices "$t/sys/bus/pci/devices"
CASES=$((CASES + 1))
expect_status 0 "sys/bus/pci/devices is a link to itself" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep "no PCI devices: $t/sys/bus/pci/devices: .*symbolic links" "$WORK/out" "devices loop: noted"

# Links escaping the root, relative and absolute.  A valid IORT outside the
# tree, with an SMMU the tree does not have, shows whether it was followed.
t=$(tree escape)
mkdir -p "$WORK/outside" && /usr/bin/python3 - "$BAD/iort/valid.bin" "$WORK/outside/IORT" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<Q", data, 0x48 + 16, 0x9999000000)       # the SMMU's base address
data[9] = 0; data[9] = (-sum(data)) & 0xff
open(sys.argv[2], "wb").write(data)
PY
up=$(printf '../%.0s' $(seq 1 40))
rm "$t/$IORT_AT" && ln -s "$up$WORK/outside/IORT" "$t/$IORT_AT"
rm "$t/$DEV_A/iommu" && ln -s "$up/proc/self" "$t/$DEV_A/iommu"
rm "$t/$DEV_A/driver" && ln -s "$WORK/outside" "$t/$DEV_A/driver"
CASES=$((CASES + 3))
expect_status 0 "links escaping the root" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_no_grep '9999000000' "$WORK/out" "the IORT outside the root is not read"
expect_grep "$t/sys/.*0000:01:00.0/iommu: link target missing" "$WORK/out" "an escaping iommu link resolves inside the root"
# The absolute form: /…/IORT restarts at the root, so the tree's own copy is read.
mkdir -p "$t$WORK/outside" && cp "$BAD/iort/valid.bin" "$t$WORK/outside/IORT"
rm "$t/$IORT_AT" && ln -s "$WORK/outside/IORT" "$t/$IORT_AT"
CASES=$((CASES + 1))
expect_status 0 "an absolute link resolves inside the root" -- T "$SMMUCTL" probe --root "$t" --no-tools --json
expect_grep '"present": true' "$WORK/out" "the in-root IORT is read"
expect_no_grep '9999000000' "$WORK/out" "the IORT outside the root is still not read"

# Names that are not UTF-8, carry escape sequences, or are 250 bytes long.
t=$(tree names)
ln -s "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0" "$t/sys/bus/pci/devices/$(printf '0000:07:00.\xff')"
ln -s nowhere "$t/sys/bus/pci/devices/$(head -c 250 /dev/zero | tr '\0' a)"
ln -s nowhere "$t/sys/class/iommu/$(printf 'smmu3.0x\xfe\x1b[2J')"
rm "$t/$DEV_A/driver" && ln -s "../../../../bus/pci/drivers/$(printf 'vfio\xff\x1b[31m')" "$t/$DEV_A/driver"
CASES=$((CASES + 4))
expect_status 0 "hostile names in a tree" -- T "$SMMUCTL" probe --root "$t" --no-tools
expect_grep 'devices/aaaaaaaaaa+: not a PCI address, ignored' "$WORK/out" "a 250-byte name: noted"
expect_grep 'devices/0000:07:00\.' "$WORK/out" "a non-UTF-8 name: noted"
expect_clean_text "$WORK/out" "hostile names, text"
expect_status 0 "hostile names in a tree, --json" -- T "$SMMUCTL" probe --root "$t" --no-tools --json
expect_json "$WORK/out" "hostile names, --json"

# The root itself.
CASES=$((CASES + 3))
expect_status 3 "--root MISSING" -- T "$SMMUCTL" probe --root "$WORK/no-such-root" --no-tools
expect_grep "$WORK/no-such-root: No such file or directory \(--root must name a directory" "$WORK/err" "--root MISSING"
expect_status 3 "--root FILE" -- T "$SMMUCTL" probe --root "$BAD/make-bad.py" --no-tools
expect_grep "make-bad.py: not a directory" "$WORK/err" "--root FILE"
mkfifo "$WORK/root-fifo"
expect_status 3 "--root FIFO" -- T "$SMMUCTL" probe --root "$WORK/root-fifo" --no-tools
expect_grep "root-fifo: not a directory" "$WORK/err" "--root FIFO"

# ---- 6. Host documents (plan --host) and hw_info recordings with wrong types --
# name|JSON path and complaint
JSON_CASES='
host-not-object.json|\$: expected an object
host-wrong-format.json|\$\.format: "smmuctl-plan" is not a smmuctl host document
host-smmus-string.json|\$\.smmus: expected an array
host-base-number.json|\$\.smmus\[0\]\.base: expected a hexadecimal string
host-group-string.json|\$\.pci_devices\[0\]\.iommu_group: expected an integer or null
host-version-huge.json|\$\.format_version: expected an integer
'
while IFS='|' read -r name what; do
  [ -n "$name" ] || continue
  CASES=$((CASES + 1))
  expect_status 2 "plan --host $name" -- T "$SMMUCTL" plan --host "$BAD/json/$name" --all-vfio
  expect_grep "^smmuctl: $BAD/json/$name: $what" "$WORK/err" "plan --host $name names the JSON path"
done <<<"$JSON_CASES"
HWINFO_CASES='
hwinfo-not-object.json|\$: expected an object with an "smmus" array
hwinfo-idr-short.json|\$\.smmus\[0\]\.idr: expected an array of 6
hwinfo-idr-number.json|\$\.smmus\[0\]\.idr\[0\]: expected a hexadecimal string
hwinfo-pasid-string.json|\$\.smmus\[0\]\.out_max_pasid_log2: expected an integer
'
while IFS='|' read -r name what; do
  [ -n "$name" ] || continue
  CASES=$((CASES + 1))
  expect_status 2 "probe --hwinfo-json $name" -- \
    T "$SMMUCTL" probe --root tests/data/hosts/gb200 --no-tools --hwinfo-json "$BAD/hwinfo/$name"
  expect_grep "^smmuctl: $BAD/hwinfo/$name: $what" "$WORK/err" "--hwinfo-json $name names the JSON path"
done <<<"$HWINFO_CASES"
# Made here: not UTF-8, nested 100,000 deep, cut short, empty, endless.
printf '{"format":"smmuctl-host\xff","format_version":1}' >"$WORK/non-utf8.json"
/usr/bin/python3 -c 'print("[" * 100000 + "]" * 100000)' >"$WORK/deep.json"
head -c 100 tests/data/probe/gb200.json >"$WORK/truncated.json"
: >"$WORK/empty.json"
for c in "non-utf8.json|:1:24: not valid JSON: invalid utf-8" "deep.json|:1:[0-9]+: not valid JSON: nesting too deep" \
         "truncated.json|:[0-9]+:[0-9]+: not valid JSON: unexpected end" "empty.json|:1:1: not valid JSON"; do
  CASES=$((CASES + 1))
  expect_status 2 "plan --host ${c%%|*}" -- T "$SMMUCTL" plan --host "$WORK/${c%%|*}" --all-vfio
  expect_grep "^smmuctl: $WORK/${c%%|*}${c#*|}" "$WORK/err" "plan --host ${c%%|*}: line and column"
done
CASES=$((CASES + 1))
expect_status 2 "plan --host /dev/zero" -- T "$SMMUCTL" plan --host /dev/zero --all-vfio
expect_grep '^smmuctl: /dev/zero: larger than 64 MiB' "$WORK/err" "plan --host /dev/zero: bounded"

# ---- 7. Domain XML: each bad file is one SMU001, the others still checked ---
/usr/bin/python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
tail = "<name>{}</name><memory>4194304</memory><os><type arch='aarch64' machine='virt'>hvm</type></os></domain>\n"
with open(work + "/deep.xml", "w") as f:              # 10,000 levels
    f.write("<domain type='kvm'>\n" + "<a>" * 10000 + "</a>" * 10000 + "\n" + tail.format("deep"))
with open(work + "/big.xml", "w") as f:               # 40 MiB of well-formed XML
    f.write("<domain type='kvm'>\n<description>\n")
    line = "x" * 1023 + "\n"
    for _ in range(40 * 1024):
        f.write(line)
    f.write("</description>\n" + tail.format("big"))
PY
XML_CASES='
bomb.xml|3|entity declarations are not accepted
param-bomb.xml|3|entity declarations are not accepted
xxe.xml|2|entity declarations are not accepted
non-utf8.xml|3|not proper UTF-8
non-utf8-attribute.xml|1|not proper UTF-8
nul-byte.xml|2|Char 0x0 out of allowed range
long-element-name.xml|2|Name too long
utf16-bom-lies.xml|1|.
deep.xml|2|Excessive depth in document: 256
big.xml|1|larger than 32 MiB
'
files=()
while IFS='|' read -r name line what; do
  [ -n "$name" ] || continue
  CASES=$((CASES + 1))
  if [ -e "$BAD/xml/$name" ]; then files+=("$BAD/xml/$name"); else files+=("$WORK/$name"); fi
done <<<"$XML_CASES"
# Never loaded: an external DTD (file: and network) and an XInclude.
for name in xxe-dtd.xml xxe-network.xml xinclude.xml; do CASES=$((CASES + 1)); files+=("$BAD/xml/$name"); done
files+=("$BAD/xml/good.xml" tests/data/domains/cases/smu205-tcg.xml)
trace=()
# (LeakSanitizer cannot run under ptrace; the --json run below checks leaks.)
if command -v strace >/dev/null; then
  trace=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -o "$WORK/xml.strace" -e trace=open,openat,connect)
fi
expect_status 1 "validate hostile XML with good files" -- T "${trace[@]}" "$SMMUCTL" validate "${files[@]}"
while IFS='|' read -r name line what; do
  [ -n "$name" ] || continue
  expect_grep "(^|/)$name:$line: error: SMU001 xml-malformed: .*$what" "$WORK/out" "$name: SMU001 at line $line"
done <<<"$XML_CASES"
for name in xxe-dtd.xml xxe-network.xml xinclude.xml; do
  expect_grep "$name: no findings" "$WORK/out" "$name: nothing external loaded, nothing to report"
done
expect_grep 'good\.xml: no findings' "$WORK/out" "the good file is still checked"
expect_grep 'smu205-tcg\.xml:[0-9]+: error: SMU205' "$WORK/out" "the rules still run on the other files"
tcg_errors=$("$SMMUCTL" validate tests/data/domains/cases/smu205-tcg.xml | sed -n 's/^.*smu205-tcg\.xml: \([0-9]*\) error.*/\1/p')
expect_grep "^${#files[@]} inputs: $((10 + ${tcg_errors:-0})) errors" "$WORK/out" "the summary counts every input"
# One finding per line: libxml2's multi-line messages are folded, and
# libxml2 prints nothing of its own on stderr.
expect_no_grep '^[^ ].*' <(grep -vE '^([^ ].*:[0-9]+: (error|warning|info): SMU[0-9]{3} |[^ ]+: (no findings|[0-9]+ (error|warning|info))|[0-9]+ inputs: )' "$WORK/out") \
  "every line of the text report is a finding, a hint or a summary"
expect_no_grep '.' "$WORK/err" "libxml2 prints nothing on stderr"
if [ ${#trace[@]} -gt 0 ]; then
  expect_no_grep '"/etc/passwd"' "$WORK/xml.strace" "/etc/passwd is never opened"
  expect_no_grep 'connect\(' "$WORK/xml.strace" "no network connection is attempted"
else
  echo "SKIP: strace not installed: external-entity file access not traced" >&2
fi
expect_status 1 "validate --json over hostile XML" -- T "$SMMUCTL" validate --json "${files[@]}"
expect_json "$WORK/out" "validate --json over hostile XML"
expect_status 2 "plan --base bomb.xml" -- T "$SMMUCTL" plan --root tests/data/hosts/gb200 --all-vfio --base "$BAD/xml/bomb.xml"
expect_grep "$BAD/xml/bomb.xml:3: entity declarations are not accepted" "$WORK/err" "plan --base bomb.xml names the line"
# A FIFO with a writer (process substitution) is a normal input.
CASES=$((CASES + 1))
expect_status 0 "validate from a pipe" -- T "$SMMUCTL" validate <(cat "$BAD/xml/good.xml")

# ---- 8. Hostile names in the QEMU script: safe to run whatever the bytes ----
# The script runs with a stand-in QEMU that records its argv: nothing may be
# executed, and the name arrives as one argument (commas doubled for QEMU).
hostile="a'b\"c\$(touch $WORK/pwned1)\`touch $WORK/pwned2\`;touch $WORK/pwned3 & | * ? ~ \\ ,x=y
second line"
vars_dir="$WORK/vars 'dir' \$(touch $WORK/pwned4)"
mkdir -p "$vars_dir" && : >"$WORK/vars-template.fd"
cat >"$WORK/fake-qemu" <<'SH'
#!/bin/sh
printf '%s\0' "$@" >"$FAKE_QEMU_ARGV"
SH
chmod +x "$WORK/fake-qemu"
CASES=$((CASES + 1))
expect_status 0 "plan --format qemu with a hostile name" -- T "$SMMUCTL" plan --root tests/data/hosts/gb200 \
  --device 0008:01:00.0 -q --format qemu --name "$hostile" --nvram "$vars_dir/v.fd" \
  --firmware-vars "$WORK/vars-template.fd" -o "$WORK/launch.sh"
expect_status 0 "the generated script runs" -- env QEMU="$WORK/fake-qemu" FAKE_QEMU_ARGV="$WORK/argv" sh "$WORK/launch.sh"
if ls "$WORK"/pwned* >/dev/null 2>&1; then fail "the QEMU script executed part of a name"; else ok; fi
/usr/bin/python3 - "$WORK/argv" "$hostile" "$vars_dir/v.fd" <<'PY' && ok || fail "QEMU argv does not carry the names intact"
import sys
argv = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
name = ("guest=" + sys.argv[2].replace(",", ",,")).encode()
assert argv[argv.index(b"-name") + 1] == name, argv[argv.index(b"-name") + 1]
assert any(a.endswith(b"file=" + sys.argv[3].replace(",", ",,").encode()) for a in argv)
PY
[ -e "$vars_dir/v.fd" ] && ok || fail "the script did not create the nvram file at the hostile path"
expect_status 0 "plan --format xml with a hostile name" -- T "$SMMUCTL" plan --root tests/data/hosts/gb200 \
  --device 0008:01:00.0 -q --name "<&'\"]]>$hostile" -o "$WORK/hostile.xml"
expect_status 0 "the XML is well-formed" -- xmllint --noout "$WORK/hostile.xml"

echo "bad-input: $CASES hostile inputs"
finish
