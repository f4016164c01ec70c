# smmuctl plan from the command line: golden documents for every fixture host
# x layout x format, validate(plan(x)) has no errors, the JSON matches its
# schema, --host equals --root, --base merges, and every bad request gets one
# clear error, its exit status and no output file.
. "$SRCDIR/tests/lib.sh"

HOSTS=tests/data/hosts
GOLDEN=tests/data/plan
PLANNABLE="gb200 kunpeng broken-iort broken-loop"
# What each plannable host's VM passes through: gb200's NIC SMMUs cannot
# nest (no CANWBS on their segments), so its VM takes the four GPUs.
selection() { case $1 in gb200) echo "--vendor 10de" ;; *) echo "--all-vfio" ;; esac; }

# plan_host HOST ARGS… : plan for a fixture host with its hw_info recording
plan_host() {
  local host=$1; shift
  local hw=()
  [ -f "$HOSTS/$host/hwinfo.json" ] && hw=(--hwinfo-json "$HOSTS/$host/hwinfo.json")
  "$SMMUCTL" plan --root "$HOSTS/$host" "${hw[@]}" "$@"
}

# expect_no_file PATH DESCRIPTION: a failed plan leaves nothing behind
expect_no_file() {
  if [ -e "$1" ]; then fail "$2: $1 was written"; else ok; fi
  if ls -a "$(dirname "$1")" | grep -q '^\..*\.[A-Za-z0-9]\{6\}$'; then fail "$2: a temporary file was left"; else ok; fi
}

# ---- golden documents, validate(plan(x)), schema, byte stability ----
ext() { case $1 in xml) echo xml ;; qemu) echo sh ;; json) echo json ;; esac; }
for host in $PLANNABLE; do
  for layout in per-smmu per-device; do
    for format in xml qemu json; do
      out="$WORK/$host-$layout.$(ext $format)"
      expect_status 0 "$host $layout $format" -- \
        plan_host "$host" $(selection $host) --layout "$layout" --format "$format" --name "$host-vm" -o "$out"
      golden "$out" "$GOLDEN/$host/$layout.$(ext $format)"
      plan_host "$host" $(selection $host) --layout "$layout" --format "$format" --name "$host-vm" -q --quiet-warnings \
        >"$WORK/again" 2>&1
      if cmp -s "$out" "$WORK/again"; then ok; else fail "$host $layout $format: not byte-stable (stdout vs -o)"; fi
    done
    json_schema "$WORK/$host-$layout.json" data/schemas/plan.schema.json
    # the contract: what plan writes, validate with the same host accepts
    hw=(); [ -f "$HOSTS/$host/hwinfo.json" ] && hw=(--hwinfo-json "$HOSTS/$host/hwinfo.json")
    expect_status 0 "validate --root $host $layout" -- "$SMMUCTL" validate --root "$HOSTS/$host" "${hw[@]}" "$WORK/$host-$layout.xml"
    # validate(plan(x)) has no errors and no warnings, for the targets planned for too
    expect_status 0 "validate $host $layout" -- "$SMMUCTL" validate --strict "$WORK/$host-$layout.xml"
    expect_status 0 "validate $host $layout at the planned targets" -- \
      "$SMMUCTL" validate --strict --target-qemu 11.1 --target-libvirt 12.9 "$WORK/$host-$layout.xml"
    bash -n "$WORK/$host-$layout.sh" && ok || fail "$host $layout: the QEMU script is not valid sh"
  done
done

# damaged trees: a plan or one clear refusal, never a crash
for host in broken-dangling broken-escape broken-garbage; do
  plan_host "$host" --all-vfio -q >"$WORK/out" 2>"$WORK/err"
  status=$?
  case $status in
    0) "$SMMUCTL" validate --strict "$WORK/out" >/dev/null && ok || fail "$host: the plan does not validate" ;;
    1) [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q '^smmuctl: ' "$WORK/err" && ok || fail "$host: refusal is not one error line" ;;
    *) fail "$host: exit $status"; sed 's/^/  | /' "$WORK/err" >&2 ;;
  esac
done

# --explain only adds comments; the summary has the UX shape
expect_status 0 "gb200 explain" -- plan_host gb200 --vendor 10de --explain --name gpu-vm --memory 64G --vcpus 32 -o "$WORK/explain.xml"
golden "$WORK/explain.xml" "$GOLDEN/gb200/explain.xml"
sed "s#$WORK/##g" "$WORK/err" >"$WORK/summary.txt"
golden "$WORK/summary.txt" "$GOLDEN/gb200/summary.txt"
expect_grep '^Planned 4 devices behind 4 host SMMUs → 4 pxb-pcie \+ 4 accelerated vSMMUs' "$WORK/err" "summary head"
expect_grep '^  pci\.1  busNr 252 node 0  vSMMU iommu0 ← smmu3\.0x0000000016000000  0008:01:00\.0$' "$WORK/err" "summary line"
expect_grep '^64-bit MMIO window: 4 TiB \(BARs need 3\.5 TiB\)$' "$WORK/err" "summary MMIO: 4 GPUs of 512 GiB + 32 MiB, each port window aligned to 512 GiB"
expect_status 0 "validate explain" -- "$SMMUCTL" validate --strict "$WORK/explain.xml"
expect_status 0 "gb200 explain qemu" -- plan_host gb200 --vendor 10de --explain --format qemu -o "$WORK/explain.sh"
golden "$WORK/explain.sh" "$GOLDEN/gb200/explain.sh"

# --vendor, --device, --managed, --no-numa
expect_status 0 "vendor" -- plan_host gb200 --vendor 10de:2941 --format json -q
count=$(/usr/bin/python3 -c 'import json,sys; print(sum(e["planned"] for e in json.load(sys.stdin)["endpoints"]))' <"$WORK/out")
[ "$count" = 4 ] && ok || fail "--vendor 10de:2941 planned $count devices, wanted the 4 GPUs"
expect_status 0 "device" -- plan_host kunpeng --device 0000:81:00.1 --device 7d:00.2 --format json -q
expect_grep '"host_bdf": "0000:7d:00.2"' "$WORK/out" "--device without a domain means segment 0"
expect_status 0 "managed" -- plan_host kunpeng --device 0000:7d:00.1 --managed -q
expect_grep "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"yes\">" "$WORK/out" "--managed"
expect_status 0 "no-numa" -- plan_host gb200 --vendor 10de --no-numa -q
expect_no_grep "<numa>|<node>" "$WORK/out" "--no-numa"

# ---- the plan's own check: what validate would reject is never written ----
rm -f "$WORK/never.xml"
expect_status 1 "gb200 --all-vfio: NIC SMMUs cannot nest" -- plan_host gb200 --all-vfio -o "$WORK/never.xml"
expect_no_file "$WORK/never.xml" "refused plan"
expect_grep "^$WORK/never\.xml:[0-9]+: error: SMU307 host-no-nesting: the vSMMU on controller 1 is accelerated, but host smmu3\.0x0000000011000000 cannot nest" \
  "$WORK/err" "findings as validate prints them"
expect_grep "^$WORK/never\.xml: 2 errors, 1 info$" "$WORK/err" "validate's count line"
expect_grep "^smmuctl: nothing written: the plan fails the checks .smmuctl validate. makes with this host; to plan a VM that starts:$" \
  "$WORK/err" "nothing written, and why"
expect_grep "^  - leave out 0000:01:00\.0: behind host SMMU smmu3\.0x0000000011000000, which cannot back an accelerated vSMMU" \
  "$WORK/err" "which devices to leave out"
expect_grep "^  - to plan the others, select them: --device 0008:01:00\.0 --device 0009:01:00\.0 --device 0018:01:00\.0 --device 0019:01:00\.0$" \
  "$WORK/err" "which options plan the others"
expect_status 0 "following the advice" -- plan_host gb200 --device 0008:01:00.0 --device 0009:01:00.0 \
  --device 0018:01:00.0 --device 0019:01:00.0 -q
# -q never hides an error, and leaves out infos; --json is validate's document plus the changes
expect_status 1 "refused, -q" -- plan_host gb200 --all-vfio -q --quiet-warnings
expect_grep "error: SMU307" "$WORK/err" "-q keeps errors"
expect_no_grep "info: SMU207|errors, 1 info" "$WORK/err" "-q drops infos and counts"
expect_status 1 "refused, --json" -- plan_host gb200 --all-vfio --json -o "$WORK/never.xml"
json_schema "$WORK/err" data/schemas/validate.schema.json
expect_grep '"exit_status": 1' "$WORK/err" "--json summary"
expect_grep '"changes": \[' "$WORK/err" "--json changes"
expect_no_file "$WORK/never.xml" "refused plan, --json"
# QEMU's host check (SMU309) in QEMU's words; a host without iommufd (SMU304)
expect_status 1 "no16k: QEMU refuses its SMMU" -- plan_host no16k --all-vfio -q
expect_grep "error: SMU309 host-smmu-incompatible: QEMU 11\.1\.0 refuses host smmu3\.0x0000000040000000 for the accelerated vSMMU on controller 1: \"Host SMMUv3 doesn't support 16K translation granule\"" \
  "$WORK/err" "SMU309 quotes QEMU"
expect_grep "leave out 0000:01:00\.0: .*QEMU refuses it: \"Host SMMUv3 doesn't support 16K translation granule\" \(SMU309\)" \
  "$WORK/err" "the planner refuses the devices behind it, with QEMU's reason"
expect_status 1 "no-iommufd: formerly a warning, now an error" -- plan_host no-iommufd --all-vfio -q
expect_grep "error: SMU304 host-no-iommufd: .*has no /dev/iommu" "$WORK/err" "no /dev/iommu is an error"
expect_grep "^  - load iommufd on the host" "$WORK/err" "what to change on the host"
expect_status 1 "altra: SMMUs that cannot nest" -- plan_host altra --all-vfio -q
expect_grep "error: SMU307" "$WORK/err" "cannot nest is an error"
expect_no_grep "^warning:.*will fail" "$WORK/err" "no 'will fail' warning left"
# warnings: printed with -q, not with --quiet-warnings, before the document is written
# (for QEMU 11.0, which has no auto: the unknown properties are left to its defaults)
expect_status 0 "warnings with -q" -- plan_host broken-iort --all-vfio -q --target-qemu 11.0
expect_grep "^warning: iommu0: .* left to QEMU's defaults" "$WORK/err" "-q keeps warnings"
expect_status 0 "--quiet-warnings" -- plan_host broken-iort --all-vfio -q --quiet-warnings --target-qemu 11.0
[ -s "$WORK/err" ] && fail "--quiet-warnings: stderr not empty" || ok
expect_status 0 "warnings in --json" -- plan_host broken-iort --all-vfio -q --json --target-qemu 11.0
json_schema "$WORK/err" data/schemas/validate.schema.json
expect_grep '"plan_warnings": \[' "$WORK/err" "--json plan warnings"

# ---- --host FILE (a probe --json document) plans the same as --root ----
"$SMMUCTL" probe --json --root "$HOSTS/gb200" --hwinfo-json "$HOSTS/gb200/hwinfo.json" >"$WORK/gb200.json"
expect_status 0 "--host" -- "$SMMUCTL" plan --host "$WORK/gb200.json" --vendor 10de --name gb200-vm -q
if cmp -s "$WORK/out" "$WORK/gb200-per-smmu.xml"; then ok; else fail "--host FILE plans differently from --root"; fi
expect_status 0 "--host -" -- sh -c "\"\$0\" plan --host - --vendor 10de --name gb200-vm -q <'$WORK/gb200.json'" "$SMMUCTL"
if cmp -s "$WORK/out" "$WORK/gb200-per-smmu.xml"; then ok; else fail "--host - plans differently"; fi

# ---- --base: merge into an existing domain ----
expect_status 0 "base merge" -- plan_host gb200 --vendor 10de --base "$GOLDEN/bases/gpu-numa.xml" -o "$WORK/merged.xml"
golden "$WORK/merged.xml" "$GOLDEN/gb200/merged-gpu-numa.xml"
expect_status 0 "validate merged" -- "$SMMUCTL" validate --strict "$WORK/merged.xml"
expect_grep '<node>1</node>' "$WORK/merged.xml" "pxb placed on the base's NUMA cell 1"
expect_status 0 "base from stdin" -- sh -c "\"\$0\" plan --root $HOSTS/gb200 --hwinfo-json $HOSTS/gb200/hwinfo.json --vendor 10de --base - -q <$GOLDEN/bases/gpu-numa.xml" "$SMMUCTL"
if cmp -s "$WORK/out" "$WORK/merged.xml"; then ok; else fail "--base - differs from --base FILE"; fi
expect_status 0 "base json" -- plan_host gb200 --vendor 10de --base "$GOLDEN/bases/gpu-numa.xml" --format json -o "$WORK/merged.json"
json_schema "$WORK/merged.json" data/schemas/plan.schema.json

# ---- bad requests: one clear error, the exit status, no output file ----
# bad_request STATUS PATTERN DESCRIPTION -- plan arguments…
bad_request() {
  local want=$1 pattern=$2 what=$3; shift 4
  rm -f "$WORK/never.xml"
  expect_status "$want" "$what" -- "$@" -o "$WORK/never.xml"
  expect_grep "$pattern" "$WORK/err" "$what"
  lines=$(wc -l <"$WORK/err")
  [ "$lines" -eq 1 ] && ok || fail "$what: $lines lines on stderr, wanted one error line"
  expect_no_file "$WORK/never.xml" "$what"
}
bad_request 1 "^smmuctl: 0008:05:00\.0: not found under $HOSTS/gb200/sys/bus/pci/devices \(try: smmuctl probe --root $HOSTS/gb200\)$" \
  "BDF not on the host" -- plan_host gb200 --device 0008:05:00.0
bad_request 1 "0000:01:00\.1 \(mlx5_core\) is not bound to vfio-pci; bind it: echo vfio-pci > /sys/bus/pci/devices/0000:01:00\.1/driver_override.*--managed" \
  "not bound to vfio-pci" -- plan_host gb200 --device 0000:01:00.1
bad_request 1 "IOMMU group 5 is split: 0000:01:00\.0 is selected but 0000:01:00\.1 in the same group is bound to igb" \
  "split group" -- plan_host split-group --all-vfio
bad_request 1 "bus numbers exhausted: 6 devices on 6 root complexes need 1512 bus numbers" \
  "more devices than bus numbers" -- plan_host gb200 --all-vfio --bus-headroom 250
bad_request 1 "x86\.xml:1: not an aarch64 virt domain \(arch 'x86_64', machine 'q35'\)" \
  "base not aarch64 virt" -- plan_host gb200 --all-vfio --base "$GOLDEN/bases/x86.xml"
bad_request 1 "machine-iommu\.xml:13: already has a machine-wide IOMMU" \
  "base with a conflicting IOMMU" -- plan_host gb200 --all-vfio --base "$GOLDEN/bases/machine-iommu.xml"
bad_request 2 "malformed\.xml:4: .*\(the --base domain\)" \
  "malformed base" -- plan_host gb200 --all-vfio --base "$GOLDEN/bases/malformed.xml"
bad_request 1 "target libvirt 9\.0\.0 \(--target-libvirt\) cannot express this plan: it needs <iommu model='smmuv3'><driver pciBus=" \
  "target libvirt too old" -- plan_host gb200 --all-vfio --target-libvirt 9.0
bad_request 1 "target QEMU 10\.1\.0 \(--target-qemu\) cannot express this plan" \
  "target QEMU too old" -- plan_host gb200 --all-vfio --target-qemu 10.1
bad_request 2 "no such directory|not a (readable )?directory|cannot|No such" \
  "unreadable base" -- plan_host gb200 --all-vfio --base "$WORK/missing.xml"
bad_request 3 "$WORK/nothing" "host tree missing" -- "$SMMUCTL" plan --root "$WORK/nothing" --all-vfio
bad_request 2 "choose the devices to pass through" "no selection" -- plan_host gb200
bad_request 2 "--format 'yaml': use xml, qemu or json" "bad format" -- plan_host gb200 --all-vfio --format yaml
bad_request 2 "--format qemu writes a whole VM and cannot merge into --base" \
  "qemu and base" -- plan_host gb200 --all-vfio --format qemu --base "$GOLDEN/bases/gpu-numa.xml"
bad_request 2 "--vendor 'nvidia'" "bad vendor" -- plan_host gb200 --vendor nvidia
bad_request 2 "--host - and --base - cannot both read standard input" "two stdins" -- \
  "$SMMUCTL" plan --host - --base - --all-vfio
bad_request 2 "--device '01:00': not a PCI address" "bad BDF" -- plan_host gb200 --device 01:00
bad_request 2 "--name, --memory and --vcpus describe a new domain" \
  "name with base" -- plan_host gb200 --all-vfio --name x --base "$GOLDEN/bases/gpu-numa.xml"

# ---- holes found in review (issue 13 §3) ----
# --base with a controller at index 253: the lowest free indexes, never past
# 255 (they were 254-257).  libvirt fills every unused index below 253 with a
# root port on pcie.0 (measured, libvirt 12.9), so pcie.0 keeps ~250 bus
# numbers: one GPU fits without headroom, two do not.
expect_status 0 "base with index 253" -- plan_host gb200 --device 0008:01:00.0 --bus-headroom 0 \
  --base "$GOLDEN/bases/index-253.xml" -q -o "$WORK/index.xml"
indexes=$(grep -o '<controller type="pci" index="[0-9]*"' "$WORK/index.xml" | grep -o '[0-9]*"$' | tr -d '"' | tr '\n' ' ')
[ "$indexes" = "0 253 1 2 " ] && ok || fail "base with index 253: controller indexes '$indexes', wanted 0 253 1 2"
expect_grep '<target busNr="254"' "$WORK/index.xml" "busNr at most 254"
bad_request 1 "bus numbers exhausted: .*above pcie\.0's 0-251 \(with the root ports libvirt adds for unused controller indexes\)" \
  "base with index 253, two GPUs" -- plan_host gb200 --device 0008:01:00.0 --device 0009:01:00.0 \
  --base "$GOLDEN/bases/index-253.xml"
/usr/bin/python3 - "$WORK/full.xml" <<'PY'
import sys
# (each plugged into itself: no root complex counts its bus, so only the indexes run out)
ports = "".join("<controller type='pci' index='%d' model='pcie-root-port'><address type='pci' bus='0x%02x' "
                "slot='0x00' function='0x0'/></controller>" % (i, i) for i in range(1, 256))
open(sys.argv[1], "w").write("<domain type='kvm'><name>full</name><memory unit='GiB'>4</memory><vcpu>2</vcpu>"
  "<os><type arch='aarch64' machine='virt'>hvm</type></os><features><acpi/></features><devices>"
  "<controller type='pci' index='0' model='pcie-root'/>" + ports + "</devices></domain>")
PY
bad_request 1 "no free controller index for pxb-pcie 1 of 1: libvirt and QEMU take indexes 1-255, and .*full\.xml uses the others" \
  "every controller index taken" -- plan_host gb200 --device 0008:01:00.0 --base "$WORK/full.xml"
# --managed takes group peers bound to host drivers only when told to
bad_request 1 "^smmuctl: --managed would take 0000:01:00\.1 \(bound to igb, IOMMU group 5 with 0000:01:00\.0\) from the host: .*name each one with --device .* or pass --managed-peers" \
  "--managed and a peer on a host driver" -- plan_host split-group --all-vfio --managed
expect_status 0 "--managed, the peer named" -- plan_host split-group --device 0000:01:00.0 --device 0000:01:00.1 --managed -q
expect_status 0 "--managed --managed-peers" -- plan_host split-group --all-vfio --managed --managed-peers -q
expect_grep "<source><address domain=\"0x0000\" bus=\"0x01\" slot=\"0x00\" function=\"0x1\"/></source>|bus=\"0x01\" slot=\"0x00\" function=\"0x1\"" \
  "$WORK/out" "--managed-peers takes the peer"
# the i350 below the vSMMU has no ATS: the vSMMU must not promise it
expect_grep "<driver pciBus=\"1\" accel=\"on\" ats=\"off\"" "$WORK/out" "a device without ATS turns ats off"
bad_request 2 "--managed-peers takes group peers along with --managed" "--managed-peers alone" -- \
  plan_host split-group --all-vfio --managed-peers
# standard input is read once; options are given once and do not contradict
bad_request 2 "plan: --host - and --hwinfo-json - cannot both read standard input" "two stdins (hwinfo)" -- \
  "$SMMUCTL" plan --host - --hwinfo-json - --all-vfio
bad_request 2 "plan: --format is given more than once" "--format twice" -- plan_host gb200 --all-vfio --format xml --format json
bad_request 2 "plan: --root is given before the verb \(.*\) and after it" "--root twice" -- \
  "$SMMUCTL" --root "$HOSTS/gb200" plan --root "$HOSTS/kunpeng" --all-vfio
bad_request 2 "plan: --hwinfo and --hwinfo-json contradict each other" "--hwinfo with a recording" -- \
  plan_host gb200 --all-vfio --hwinfo

# -o to a device is a stream: /dev/null stays /dev/null (as root a rename would replace it)
expect_status 0 "-o /dev/null" -- plan_host gb200 --vendor 10de -o /dev/null
[ -c /dev/null ] && ok || fail "-o /dev/null replaced /dev/null"

# a failed plan never touches an existing output file
echo "previous" >"$WORK/keep.xml"
expect_status 1 "failed plan over an existing file" -- plan_host gb200 --device 0008:05:00.0 -o "$WORK/keep.xml"
[ "$(cat "$WORK/keep.xml")" = previous ] && ok || fail "a failed plan changed the existing output file"
# an unwritable destination is an error naming it, with nothing left behind
expect_status 2 "output into a missing directory" -- plan_host gb200 --vendor 10de -o "$WORK/no/such/dir/out.xml"
expect_grep "no/such/dir/out\.xml: cannot create a temporary file" "$WORK/err" "unwritable output"

finish
