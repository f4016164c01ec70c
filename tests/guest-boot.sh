# The guest-boot tier: every fixture plan is booted as a real arm64 guest
# (Debian 13's kernel, busybox, UEFI, under TCG with the real-stack chroot's
# QEMU 11.1) and `smmuctl verify` must find the guest as planned; boots made
# wrong on purpose must fail with the expected finding codes.
#
# Per fixture host (tests/data/hosts/*, plus a generated host with 8-function
# devices) and layout (per-smmu, per-device): plan --format json and
# --format qemu; run the planned script with QEMU=tests/guestboot/
# qemu-standin.py, which boots the planned topology (rewritten as the
# real-stack tier rewrites it: vfio-pci → an emulated stand-in with the same
# id/bus/addr/multifunction, accel properties dropped; see its header) with
# -kernel/-initrd; the initramfs (tests/guestboot/init.sh) binds
# the endpoints to pci-stub and sends the guest's /sys and IORT back over
# the console.  Plans with the same boot topology share one boot.  The
# guest's IORT is also decoded with ACPICA's iasl, which must agree with
# smmuctl's parser.
#
# Needs root, the real-stack chroot (tests/realstack/stack.sh) and a Debian
# mirror (this machine's apt sources) once: the guest is cached under
# ~/.cache/smmuctl/guestboot.  Without them it is skipped (exit 77) — except
# with CI=true, where it must run.  GUESTBOOT_SAVE=DIR keeps the boots.
. "$SRCDIR/tests/lib.sh"
started=$(date +%s)

skip() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: the guest-boot tier cannot run, and CI=true needs it: $*" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}

STACK_SH=$SRCDIR/tests/realstack/stack.sh
GB_DIR=$SRCDIR/tests/guestboot
[ "$(id -u)" -eq 0 ] || skip "not root (the tier boots VMs in a chroot, in private namespaces)"
reason=$("$STACK_SH" why-not) || skip "no real-stack chroot here: $reason"
CACHE=${SMMUCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smmuctl}
GUEST_CACHE=$CACHE/guestboot
"$GB_DIR/fetch.sh" "$GUEST_CACHE" >"$WORK/fetched.env" 2>"$WORK/fetch.err"
case $? in
  0) ;;
  3) skip "cannot fetch the guest kernel: $(tail -1 "$WORK/fetch.err")" ;;
  *) fail "fetching the guest: $(tail -1 "$WORK/fetch.err")"; finish; exit 1 ;;
esac
. "$WORK/fetched.env"
STACK=$("$STACK_SH" ensure current 2>"$WORK/stack.err") || skip "no real-stack chroot: $(tail -1 "$WORK/stack.err")"
echo "guest: $GUEST_KERNEL_PACKAGE, $("$GUEST_BUSYBOX" 2>/dev/null | head -1 || echo busybox-static) (arm64)"

/usr/bin/python3 "$GB_DIR/initramfs.py" --busybox "$GUEST_BUSYBOX" --init "$GB_DIR/init.sh" \
  --module "$GUEST_PCI_STUB" -o "$WORK/initrd.cpio" && ok || fail "building the initramfs"

# ---- plans ----------------------------------------------------------------
/usr/bin/python3 tests/gen-hosts.py "$WORK/hosts" --big 2 16 >/dev/null || fail "gen-hosts --big"
# Hosts that must plan: a change that stops one from planning fails here.
# (altra's SMMUs cannot nest and no-iommufd has no iommufd: plan refuses
# them, SMU307 and SMU304, as validate would; gb200's NIC SMMUs cannot nest
# either, so its VM takes the GPUs.)
MUST_PLAN="broken-garbage broken-iort broken-loop gb200 kunpeng big-2-16"
selection() { case $(basename "$1") in gb200) echo "--vendor 10de" ;; *) echo "--all-vfio" ;; esac; }
BOOTS=$WORK/boots
mkdir -p "$BOOTS"
: >"$WORK/jobs"
# job NAME HOST_ROOT LAYOUT [MUTATION]: plan, and describe one boot in BOOTS/NAME
job() {
  local name=$1 root=$2 layout=$3 mutation=${4:-} dir=$BOOTS/$1
  local hw=()
  [ -f "$root/hwinfo.json" ] && hw=(--hwinfo-json "$root/hwinfo.json")
  mkdir -p "$dir"
  if ! "$SMMUCTL" plan --root "$root" "${hw[@]}" $(selection "$root") --layout "$layout" -q --format json \
      -o "$dir/plan.json" 2>"$dir/plan.err"; then
    rm -rf "$dir"
    return 1
  fi
  "$SMMUCTL" plan --root "$root" "${hw[@]}" $(selection "$root") --layout "$layout" -q --format qemu \
    --firmware-vars "$STACK/usr/share/AAVMF/AAVMF_VARS.fd" --nvram "$dir/vars.fd" -o "$dir/run.sh" \
    || { fail "$name: plan --format qemu"; return 1; }
  {
    printf 'GUESTBOOT_KERNEL=%q\n' "$GUEST_KERNEL"
    printf 'GUESTBOOT_INITRD=%q\n' "$WORK/initrd.cpio"
    printf 'GUESTBOOT_OUT=%q\n' "$dir/out"
    printf 'GUESTBOOT_MUTATE=%q\n' "$mutation"
  } >"$dir/env"
  # The stand-in's argv without booting: plans with one topology share a boot.
  (cd "$dir" && set -a && . ./env && GUESTBOOT_DRYRUN=1 QEMU="$GB_DIR/qemu-standin.py" sh ./run.sh) \
    || { fail "$name: the planned script does not run"; return 1; }
  echo "$name" >>"$WORK/jobs"
}
for root in tests/data/hosts/* "$WORK/hosts/big-2-16"; do
  [ -d "$root/sys" ] || continue
  host=$(basename "$root")
  for layout in per-smmu per-device; do
    if job "$host-$layout" "$root" "$layout"; then
      ok
    elif [[ " $MUST_PLAN " == *" $host "* ]]; then
      fail "$host $layout: smmuctl plan failed: $(cat "$BOOTS/$host-$layout/plan.err" 2>/dev/null)"
    else
      echo "not plannable, not booted: $host $layout"
    fi
  done
done
# Wrong on purpose (see qemu-standin.py) and the findings they must give.
declare -A WRONG=([wrong-shared-smmu]="SMU606" [wrong-device-on-pcie0]="SMU601 SMU610"
                  [wrong-split-functions]="SMU601")
job wrong-shared-smmu tests/data/hosts/kunpeng per-device shared-smmu && ok || fail "wrong-shared-smmu: plan"
job wrong-device-on-pcie0 tests/data/hosts/kunpeng per-smmu device-on-pcie0 && ok || fail "wrong-device-on-pcie0: plan"
job wrong-split-functions "$WORK/hosts/big-2-16" per-smmu split-functions && ok || fail "wrong-split-functions: plan"

# One boot per topology: the first job of each boots, the others read its tree.
: >"$WORK/boot-list"
declare -A FIRST
while read -r name; do
  topology=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["topology"])' \
    "$BOOTS/$name/out/argv.json")
  if [ -z "${FIRST[$topology]:-}" ]; then
    FIRST[$topology]=$name
    echo "$BOOTS/$name" >>"$WORK/boot-list"
  fi
  echo "$name ${FIRST[$topology]}" >>"$WORK/booted-by"
done <"$WORK/jobs"
echo "$(wc -l <"$WORK/jobs") plans, $(wc -l <"$WORK/boot-list") distinct boots"

# ---- boots ----------------------------------------------------------------
boot_started=$(date +%s)
IASL=$IASL STANDIN=$GB_DIR/qemu-standin.py "$STACK_SH" run current --share "$WORK" --share "$GUEST_CACHE" -- \
  "$GB_DIR/boot-all.sh" "$WORK/boot-list" >"$WORK/boot-all.log" 2>&1 || { fail "stack.sh run"; cat "$WORK/boot-all.log" >&2; }
boot_seconds=$(($(date +%s) - boot_started))
while read -r dir; do
  name=$(basename "$dir")
  if [ "$(cat "$dir/boot.status" 2>/dev/null)" = 0 ] && [ -d "$dir/out/tree/sys" ]; then
    ok
    echo "booted $name in $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' \
      "$dir/out/argv.json") s"
  else
    fail "$name: the guest did not boot or send its tree"; tail -5 "$dir/boot.log" "$dir/out/serial.log" >&2
  fi
done <"$WORK/boot-list"

# ---- verify ---------------------------------------------------------------
# The stand-in is not the host device: the plan verify reads expects its ids.
standin_plan() { # PLAN ARGV.JSON OUT
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, sys
plan, ids = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["standin_ids"]
for e in plan["endpoints"]:
    if e["kind"] == "hostdev" and e["host"] is not None:
        e["host"]["vendor"], e["host"]["device"] = ids
json.dump(plan, open(sys.argv[3], "w"), indent=2)
PY
}
while read -r name first; do
  dir=$BOOTS/$name tree=$BOOTS/$first/out/tree
  [ -d "$tree/sys" ] || continue
  standin_plan "$dir/plan.json" "$dir/out/argv.json" "$dir/plan-standin.json"
  "$SMMUCTL" verify --plan "$dir/plan-standin.json" --root "$tree" --json >"$dir/verify.json" 2>"$dir/verify.err"
  status=$?
  json_schema "$dir/verify.json" data/schemas/verify.schema.json
  codes=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({f["code"] for f in json.load(open(sys.argv[1]))["findings"]})))' \
    "$dir/verify.json" 2>/dev/null)
  if [ -n "${WRONG[$name]:-}" ]; then
    [ "$status" -eq 1 ] && [ "$codes" = "${WRONG[$name]}" ] && ok \
      || fail "$name: verify exit $status with '$codes', wanted exit 1 with '${WRONG[$name]}'"
  else
    [ "$status" -eq 0 ] && [ -z "$codes" ] && ok || {
      fail "$name (boot $first): verify exit $status, findings '$codes'"
      "$SMMUCTL" verify --plan "$dir/plan-standin.json" --root "$tree" >&2
    }
  fi
  if [ "$name" = "$first" ]; then
    if [ "$(cat "$dir/iasl.status" 2>/dev/null)" = 0 ]; then
      /usr/bin/python3 "$GB_DIR/iort-compare.py" "$dir/out/iort.dsl" "$dir/verify.json" >"$dir/compare" \
        && ok || { fail "$name: iasl and smmuctl read the guest's IORT differently"; cat "$dir/compare" >&2; }
    else
      fail "$name: iasl -d could not decode the guest's IORT"; cat "$dir/iasl.log" >&2
    fi
  fi
done <"$WORK/booted-by"

# verify is not blind: the plan as written (the host devices' ids) fails on
# the stand-ins with SMU602 only, and the text form says where.
dir=$BOOTS/kunpeng-per-smmu first=$(awk '$1 == "kunpeng-per-smmu" { print $2 }' "$WORK/booted-by")
expect_status 1 "verify of the plan with the host devices' ids" -- \
  "$SMMUCTL" verify --plan "$dir/plan.json" --root "$BOOTS/$first/out/tree"
ids=$(/usr/bin/python3 -c 'import json,sys; print(":".join(json.load(open(sys.argv[1]))["standin_ids"]))' "$dir/out/argv.json")
expect_grep "error: SMU602 verify-device-other: hostdev0 \(host 0000:7d:00.2\): the function at 0000:fd:00.0 is $ids" \
  "$WORK/out" "SMU602 names the device, the guest address and both ids"
[ "$(grep -c 'error: SMU' "$WORK/out")" -eq 2 ] && ok || fail "only the two SMU602 findings"

if [ -n "${GUESTBOOT_SAVE:-}" ]; then
  mkdir -p "$GUESTBOOT_SAVE" && cp -a "$BOOTS"/. "$GUESTBOOT_SAVE"/ && echo "boots kept in $GUESTBOOT_SAVE"
fi
echo "guest-boot tier: $(wc -l <"$WORK/boot-list") boots in ${boot_seconds} s, $(($(date +%s) - started)) s in all"
finish
