#!/usr/bin/env bash
# --target-qemu installed / --target-libvirt installed against the real
# programs (issue 12 §3): inside the real-stack chroots (tests/realstack/
# stack.sh), QEMU 11.1.3 + libvirt 12.9.0 ('current') and QEMU 10.0.13 +
# libvirt 11.3.0 ('trixie') are "installed" (qemu-system-aarch64 on PATH, the
# daemon at /run/libvirt).  What smmuctl reads from them (QEMU's help,
# libvirt's version and domain capabilities) must give the verdicts the
# version table gives for those releases; a vendor QEMU (an older number on
# the real 11.1 binary) is accepted for the properties it has; and the
# launch script's -smp gives QEMU 11.1 no NUMA warning.
# SKIP (77) with the reason when the chroots cannot be built here; with
# CI=true that is a failure.
. "$SRCDIR/tests/lib.sh"

STACK=tests/realstack/stack.sh
CASES=tests/data/domains/cases
HOST=tests/data/hosts/gb200

# ---- inside a stack: the checks ----
inside() {
  local profile=$1
  local qemu libvirt
  qemu=$(qemu-system-aarch64 --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
  echo "$profile: qemu-system-aarch64 $qemu, libvirt daemon $(virsh -c qemu:///system version --daemon 2>/dev/null | sed -n 's/^Running against daemon: //p')"

  # probe's tools section: what the programs report about themselves
  expect_status 0 "$profile: probe --tools --json" -- "$SMMUCTL" probe --root "$HOST" --tools --json
  cp "$WORK/out" "$WORK/probe.json"
  json_schema "$WORK/probe.json" data/schemas/host.schema.json
  /usr/bin/python3 - "$WORK/probe.json" "$profile" >"$WORK/tools" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tools"]
want = {
  "current": ("11.1.3", "12.9.0", {"qemu.iommufd": True, "qemu.highmem_mmio_size": True, "qemu.smmuv3_pluggable": True,
                                    "qemu.smmuv3_accel": True, "qemu.smmuv3_auto": True, "qemu.smmuv3_cmdqv": True,
                                    "libvirt.hostdev_iommufd": True}),
  "trixie": ("10.0.13", "11.3.0", {"qemu.iommufd": True, "qemu.highmem_mmio_size": True, "qemu.smmuv3_pluggable": False,
                                    "qemu.smmuv3_accel": False, "qemu.smmuv3_auto": False, "qemu.smmuv3_cmdqv": False,
                                    "libvirt.hostdev_iommufd": False}),
}[sys.argv[2]]
def check(what, got, expected):
    print("ok" if got == expected else "FAIL: %s: %r, wanted %r" % (what, got, expected))
check("QEMU version", t["qemu_version"], want[0])
check("libvirt version (the daemon's, not the 9.0 client library's)", t["libvirt_version"], want[1])
check("libvirt URI", t.get("libvirt_uri"), "qemu:///system")
for key, value in want[2].items():
    check("reported " + key, t.get("features", {}).get(key), value)
PY
  while read -r line; do if [ "$line" = ok ]; then ok; else fail "$profile: probe: ${line#FAIL: }"; fi; done <"$WORK/tools"

  local targets=(--target-qemu installed --target-libvirt installed)
  if [ "$profile" = current ]; then
    # Every feature of the table is there: nothing to report, and cmdqv and
    # <pcihole64> (libvirt 12.9) pass.
    for c in valid-accel smu501-ok-new-targets smu003-ok-cmdqv; do
      expect_status 0 "$profile: validate $c against the installed QEMU and libvirt" -- \
        "$SMMUCTL" validate --json "${targets[@]}" "$CASES/$c.xml"
      expect_grep '"qemu": "11\.1\.3"' "$WORK/out" "$profile: $c: the target QEMU is the installed 11.1.3"
      expect_grep '"libvirt": "12\.9\.0"' "$WORK/out" "$profile: $c: the target libvirt is the daemon's 12.9.0"
      expect_no_grep 'SMU501' "$WORK/out" "$profile: $c: no SMU501"
    done
    expect_status 0 "$profile: plan for the installed programs" -- \
      "$SMMUCTL" plan --root "$HOST" --hwinfo-json "$HOST/hwinfo.json" --vendor 10de "${targets[@]}" --explain \
      --name gb200-vm -o "$WORK/plan.xml"
    expect_grep 'targets: QEMU 11\.1\.3 \(installed\), libvirt 12\.9\.0 \(installed\)' "$WORK/plan.xml" \
      "$profile: plan says which targets it asked"
    expect_grep '<pcihole64 unit="KiB">4294967296</pcihole64>' "$WORK/plan.xml" "$profile: the window as <pcihole64>"
    expect_no_grep 'qemu:commandline|="auto"' "$WORK/plan.xml" "$profile: no <qemu:commandline>, no 'auto'"
    # libvirt 12.9 defines that plan (as a TCG copy: no KVM here) and passes the window on
    sed -e "s/<domain type=\"kvm\">/<domain type=\"qemu\">/" -e 's/<cpu mode="host-passthrough">/<cpu mode="maximum">/' \
      -e '/<gic version="host"\/>/d' "$WORK/plan.xml" >"$WORK/plan-tcg.xml"
    expect_status 0 "$profile: virsh define of the plan" -- virsh -q -c qemu:///system define "$WORK/plan-tcg.xml"
    expect_status 0 "$profile: virsh domxml-to-native of the plan" -- \
      virsh -q -c qemu:///system domxml-to-native qemu-argv --domain gb200-vm
    expect_grep 'highmem-mmio-size=4294967296K' "$WORK/out" "$profile: libvirt passes <pcihole64> as highmem-mmio-size"
    virsh -q -c qemu:///system undefine --nvram gb200-vm >/dev/null 2>&1

    # A vendor build: an older number, the real 11.1 binary's properties.
    mkdir -p "$WORK/vendor"
    printf '#!/bin/sh\n[ "$1" = --version ] && { echo "QEMU emulator version 10.2.0 (vendor build)"; exit 0; }\nexec %s "$@"\n' \
      "$(command -v qemu-system-aarch64)" >"$WORK/vendor/qemu-system-aarch64"
    chmod +x "$WORK/vendor/qemu-system-aarch64"
    expect_status 0 "$profile: a vendor QEMU 10.2 with accel and cmdqv is accepted" -- \
      env PATH="$WORK/vendor:$PATH" "$SMMUCTL" validate --target-qemu installed "$CASES/smu003-ok-cmdqv.xml"
    expect_status 0 "$profile: probe with the vendor QEMU" -- \
      env PATH="$WORK/vendor:$PATH" "$SMMUCTL" probe --root "$HOST" --tools
    expect_grep 'PASS +QEMU 10\.2\.0 supports arm-smmuv3,accel=on' "$WORK/out" "$profile: probe's check asks its properties"
    expect_status 1 "$profile: the same number without its report is not" -- \
      "$SMMUCTL" validate --target-qemu 10.2.0 "$CASES/smu003-ok-cmdqv.xml"
    expect_grep 'SMU501 .*arm-smmuv3 accel=on.*it needs QEMU 11\.0\.0 or newer' "$WORK/out" "$profile: 10.2 by number"

    # The launch script's -smp and NUMA cells: QEMU 11.1 has nothing to say.
    expect_status 0 "$profile: plan --format qemu" -- \
      "$SMMUCTL" plan --root "$HOST" --hwinfo-json "$HOST/hwinfo.json" --vendor 10de --target-qemu installed --format qemu \
      -o "$WORK/run.sh"
    mapfile -t topo < <(sed -n 's/^set -- "\$@" \(-smp\|-numa\|-object\) \(memory-backend[^ ]*\|node[^ ]*\|[0-9][^ ]*\)$/\1\n\2/p' "$WORK/run.sh")
    if [ "${#topo[@]}" -ge 6 ]; then ok; else fail "$profile: no -smp/-numa in the script: ${topo[*]}"; fi
    numa_warning "${topo[@]}" >"$WORK/warn"
    expect_no_grep 'have been associated with node' "$WORK/warn" "$profile: the script's -smp gives no NUMA warning"
    # and the check can fail: the bare -smp the script used to write
    local bare=("${topo[@]}")
    for i in "${!bare[@]}"; do [ "${bare[$i]}" = -smp ] && bare[$((i + 1))]=${bare[$((i + 1))]%%,*}; done
    numa_warning "${bare[@]}" >"$WORK/warn"
    expect_grep 'CPU-0 and CPU-2 in socket-0-cluster-0 have been associated with node-0 and node-1' "$WORK/warn" \
      "$profile: a bare -smp 4 makes QEMU 11.1 warn"
  else
    # QEMU 10.0 and libvirt 11.3 lack per-bus SMMUv3, accel, pciBus and hostdev iommufd: they say so themselves.
    expect_status 1 "$profile: validate valid-accel against the installed QEMU and libvirt" -- \
      "$SMMUCTL" validate "${targets[@]}" "$CASES/valid-accel.xml"
    expect_grep 'SMU501 .*-device arm-smmuv3,primary-bus=.*: the installed QEMU 10\.0\.13 reports it does not have it' \
      "$WORK/out" "$profile: QEMU 10.0's arm-smmuv3 is not user-creatable"
    expect_grep 'SMU501 .*arm-smmuv3 accel=on.*: the installed QEMU 10\.0\.13 reports it does not have it' \
      "$WORK/out" "$profile: QEMU 10.0 has no accel"
    expect_grep 'SMU501 .*<hostdev><driver iommufd=.yes./>: the installed libvirt 11\.3\.0 reports it does not have it' \
      "$WORK/out" "$profile: libvirt 11.3's domain capabilities have no hostdev iommufd"
    expect_grep 'SMU501 .*pciBus.*it needs libvirt 11\.10\.0 or newer and the target libvirt is 11\.3\.0' \
      "$WORK/out" "$profile: pciBus by libvirt's version"
    expect_status 1 "$profile: plan for the installed programs refuses" -- \
      "$SMMUCTL" plan --root "$HOST" --vendor 10de "${targets[@]}" -o "$WORK/plan.xml"
    expect_grep 'target QEMU 10\.0\.13 \(installed\) cannot express this plan' "$WORK/err" "$profile: says why"
    if [ ! -e "$WORK/plan.xml" ]; then ok; else fail "$profile: a refused plan wrote its output"; fi
    # <pcihole64> on virt: libvirt 11.3 refuses it, and so does SMU501
    expect_status 1 "$profile: <pcihole64> for libvirt 11.3" -- \
      "$SMMUCTL" validate --target-libvirt installed "$CASES/smu501-pcihole64-old-libvirt.xml"
    expect_grep "Setting the 64-bit PCI hole size is not supported for machine 'virt-10.0'" "$WORK/out" \
      "$profile: in libvirt 11.3's words"
  fi
}

# numa_warning -smp V -object V -numa V …: start QEMU 11.1 (TCG, -S) with
# just the CPU and NUMA topology and print what it says.
numa_warning() {
  timeout 5 qemu-system-aarch64 -S -machine virt -accel tcg -cpu max -m 4G -nodefaults -display none "$@" \
    </dev/null 2>&1 | grep -v 'terminating on signal' || true
}

json_schema() {
  /usr/bin/python3 - "$1" "$2" <<'PY' && ok || fail "$1 does not match $2"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
PY
}

if [ "${1:-}" = --inside ]; then
  inside "$2"
  finish
  exit $?
fi

# ---- outside: build or reuse the chroots, run the checks in each ----
cannot() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: the real-stack tier must run in CI, but: $1"
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}
if ! reason=$("$STACK" why-not); then
  cannot "$reason"
fi
status=0
for profile in current trixie; do
  "$STACK" ensure "$profile" >/dev/null || cannot "the '$profile' chroot could not be built (reason above)"
  "$STACK" run "$profile" -- bash "$SRCDIR/tests/realstack-targets.sh" --inside "$profile" || status=1
done
exit $status
