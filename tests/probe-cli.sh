# smmuctl probe over every fixture host: golden text and JSON, the JSON
# schema, exit statuses, and broken trees that must not crash it.
. "$SRCDIR/tests/lib.sh"

HOSTS="gb200 altra kunpeng no-iommufd no16k split-group"
for h in $HOSTS; do
  root=tests/data/hosts/$h
  hw=()
  [ -f "$root/hwinfo.json" ] && hw=(--hwinfo-json "$root/hwinfo.json")
  expect_status 0 "probe $h" -- "$SMMUCTL" probe --root "$root" "${hw[@]}"
  golden "$WORK/out" tests/data/probe/$h.txt
  expect_status 0 "probe --json $h" -- "$SMMUCTL" probe --json --root "$root" "${hw[@]}"
  golden "$WORK/out" tests/data/probe/$h.json
  json_schema "$WORK/out" data/schemas/host.schema.json
done

# The kernel's in-root resolution (openat2) and smmuctl's own (older
# kernels, seccomp filters) read every fixture, broken ones too, the same.
for root in tests/data/hosts/*/; do
  "$SMMUCTL" probe --json --root "$root" >"$WORK/kernel.json" 2>&1
  SMMUCTL_NO_OPENAT2=1 "$SMMUCTL" probe --json --root "$root" >"$WORK/own.json" 2>&1
  cmp -s "$WORK/kernel.json" "$WORK/own.json" && ok || fail "$root: openat2 and own resolver differ"
done

# Facts a reader of the example host must see.
"$SMMUCTL" probe --root tests/data/hosts/gb200 --hwinfo-json tests/data/hosts/gb200/hwinfo.json >"$WORK/gb" 2>&1
expect_grep '^smmu3\.0x0000000016000000  node 0 ' "$WORK/gb" "GPU SMMU line"
expect_grep 'nesting yes \(S1\+S2, CANWBS\)' "$WORK/gb" "nesting from CANWBS"
expect_grep '0008:01:00.0  10de:2941  3D controller' "$WORK/gb" "GPU behind its SMMU"
expect_grep 'WARN|PASS  IOMMU groups' "$WORK/gb" "group check"
# The global --root before the verb works the same.
expect_status 0 "global --root" -- "$SMMUCTL" --root tests/data/hosts/gb200 probe
expect_grep '0008:01:00.0' "$WORK/out" "global --root reads the tree"

# Without ID registers nesting is unknown, and probe says how to learn it.
"$SMMUCTL" probe --root tests/data/hosts/gb200 >"$WORK/nohw" 2>&1
expect_grep 'nesting \?' "$WORK/nohw" "nesting unknown without hwinfo"
# An Altra-class SMMU has no coherent walks: nesting no, and why.
"$SMMUCTL" probe --root tests/data/hosts/altra --hwinfo-json tests/data/hosts/altra/hwinfo.json >"$WORK/altra" 2>&1
expect_grep 'FAIL  smmu3\.[0-9a-fx]+ nesting no: stage-2 walks are not coherent' "$WORK/altra" "altra cannot nest"
# No iommufd: a FAIL line with a hint.
"$SMMUCTL" probe --root tests/data/hosts/no-iommufd >"$WORK/noiommufd" 2>&1
expect_grep 'FAIL  iommufd: no /dev/iommu' "$WORK/noiommufd" "no-iommufd fails the iommufd check"
# The split group names the other endpoint.
"$SMMUCTL" probe --root tests/data/hosts/split-group >"$WORK/split" 2>&1
expect_grep 'FAIL  IOMMU group 5 of 0000:01:00.0 also holds 0000:01:00.1 \(igb\)' "$WORK/split" "split group"

# Exit statuses: 3 host unreadable, 2 usage, one line each.
# --check: a gate for scripts, exit 1 when a check FAILs (virt-host-validate's convention)
expect_status 0 "kunpeng --check: no FAIL" -- "$SMMUCTL" probe --root tests/data/hosts/kunpeng \
  --hwinfo-json tests/data/hosts/kunpeng/hwinfo.json --check --no-tools
expect_status 0 "no-iommufd without --check: a report" -- "$SMMUCTL" probe --root tests/data/hosts/no-iommufd --no-tools
expect_status 1 "no-iommufd --check: FAIL" -- "$SMMUCTL" probe --root tests/data/hosts/no-iommufd --check --no-tools
expect_grep "FAIL  iommufd: no /dev/iommu" "$WORK/out" "the report is still printed"
expect_status 1 "no16k --check: QEMU refuses its SMMU" -- "$SMMUCTL" probe --root tests/data/hosts/no16k \
  --hwinfo-json tests/data/hosts/no16k/hwinfo.json --check --no-tools --json
expect_grep '"id": "qemu-accel"' "$WORK/out" "the qemu-accel check"
expect_grep "QEMU 11\.1\.0 refuses smmu3\.0x0000000040000000 for an accelerated vSMMU: .*Host SMMUv3 doesn.t support 16K translation granule" \
  "$WORK/out" "in QEMU's words"
expect_status 3 "missing root" -- "$SMMUCTL" probe --root "$WORK/nope"
expect_grep "^smmuctl: $WORK/nope: " "$WORK/err" "missing root message"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && ok || fail "missing root: one line"
expect_status 3 "root without sys/" -- "$SMMUCTL" probe --root "$WORK"
expect_grep 'no sys/ directory here' "$WORK/err" "root without sys message"
expect_status 2 "unknown option" -- "$SMMUCTL" probe --bogus
expect_grep "^smmuctl: probe: Unknown option --bogus; see smmuctl probe --help$" "$WORK/err" "unknown option message"
expect_status 2 "stray argument" -- "$SMMUCTL" probe extra
expect_status 2 "unknown verb" -- "$SMMUCTL" prbe
expect_grep "did you mean 'probe'" "$WORK/err" "verb suggestion"
expect_status 0 "probe --help" -- "$SMMUCTL" probe --help
expect_grep '--hwinfo-json' "$WORK/out" "probe --help lists options"

# Broken trees: probe goes on and says what it could not read.
expect_status 0 "dangling links" -- "$SMMUCTL" probe --root tests/data/hosts/broken-dangling
expect_grep 'link target missing|dangling' "$WORK/out" "dangling noted"
expect_status 0 "looping iommu link" -- "$SMMUCTL" probe --root tests/data/hosts/broken-loop
expect_grep "iommu: link target missing \('iommu2' is not in /sys/class/iommu\)" "$WORK/out" "loop noted"
cp -a tests/data/hosts/broken-loop "$WORK/loop"
ln -s 0000:09:00.0 "$WORK/loop/sys/bus/pci/devices/0000:09:00.0"
expect_status 0 "looping device link" -- "$SMMUCTL" probe --root "$WORK/loop"
expect_grep '0000:09:00.0: too many levels of symbolic links \(a link loop\?\); device ignored' "$WORK/out" "device loop noted"
expect_status 0 "escaping links" -- "$SMMUCTL" probe --root tests/data/hosts/broken-escape
expect_grep "broken-escape/sys/bus/pci/devices/0000:01:00.0/iommu_group: 'etc' is not an IOMMU group" "$WORK/out" "escape noted"
expect_status 0 "garbage attributes" -- "$SMMUCTL" probe --root tests/data/hosts/broken-garbage
expect_grep "resource line 3: end 0x40ffffffffff is below start" "$WORK/out" "bad BAR named"
# Without config space the ids come from the attribute files, garbage included.
cp -a tests/data/hosts/broken-garbage "$WORK/garbage"
rm "$WORK/garbage/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config"
expect_status 0 "garbage attributes without config" -- "$SMMUCTL" probe --root "$WORK/garbage"
expect_grep "0000:01:00.0/vendor: 'banana' is not a number" "$WORK/out" "garbage vendor named"
expect_status 0 "truncated IORT under the root" -- "$SMMUCTL" probe --root tests/data/hosts/broken-iort
expect_grep 'IORT' "$WORK/out" "truncated IORT noted"
# …but a truncated IORT given explicitly is an input error naming the bytes.
expect_status 2 "--iort truncated" -- "$SMMUCTL" probe --root tests/data/hosts/broken-iort \
  --iort tests/data/hosts/broken-iort/sys/firmware/acpi/tables/IORT
expect_grep '^smmuctl: .*IORT.*(200|100)' "$WORK/err" "--iort truncated message"
expect_status 2 "--hwinfo-json missing" -- "$SMMUCTL" probe --root tests/data/hosts/gb200 --hwinfo-json "$WORK/none.json"

# A FIFO or directory where an attribute should be: no hang, a note.
cp -a tests/data/hosts/gb200 "$WORK/odd"
rm "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/config"
mkfifo "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/config"
rm "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/vendor"
mkfifo "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/vendor"
rm "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/resource"
mkdir "$WORK/odd/sys/devices/pci0008:00/0008:00:00.0/0008:01:00.0/resource"
expect_status 0 "fifo and directory attributes" -- timeout 10 "$SMMUCTL" probe --root "$WORK/odd"
expect_grep 'vendor: not a regular file' "$WORK/out" "fifo noted"

finish
